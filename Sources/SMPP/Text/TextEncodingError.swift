/// A character that the chosen encoding cannot represent.
///
/// The gateway refuses such text rather than substituting "?": the error names the encoding, the
/// user-perceived character, its Unicode scalars and its offset in characters from the start.
public struct TextEncodingError: Error, Hashable, Sendable {
    /// The encoding that was asked for.
    public var encoding: TextEncoding
    /// The first character that does not fit.
    public var character: Character
    /// The offset of ``character`` in the text, counted in characters (grapheme clusters) from 0.
    public var characterOffset: Int

    public init(encoding: TextEncoding, character: Character, characterOffset: Int) {
        self.encoding = encoding
        self.character = character
        self.characterOffset = characterOffset
    }

    /// The Unicode scalars of ``character``.
    public var scalars: [Unicode.Scalar] {
        Array(self.character.unicodeScalars)
    }
}

extension TextEncodingError: CustomStringConvertible {
    public var description: String {
        let codes = self.scalars.map { scalar in
            let hex = String(scalar.value, radix: 16, uppercase: true)
            return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        }
        return
            "character \(String(self.character).debugDescription) (\(codes.joined(separator: " "))) at offset \(self.characterOffset) cannot be encoded in \(self.encoding.name)"
    }
}
