/// A character that a table-driven encoder could not map, with its offset in characters; the
/// encoders turn it into a ``TextEncodingError`` that names their encoding.
struct EncodingMismatch: Error {
    var character: Character
    var offset: Int
}
