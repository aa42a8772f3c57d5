/// Fast, allocation-free access to the Unicode scalars and UTF-8 bytes behind the text codecs.
///
/// The codecs work on a `String`'s contiguous UTF-8 (native Swift strings already are) and write
/// decoded text straight into a new string's UTF-8 storage, so no per-character `String` or
/// `Character` is ever created on the fast paths.
enum UTF8Scalars {
    /// Calls `body` with the UTF-8 code units of `text`, made contiguous first if needed.
    @inline(__always)
    static func withUTF8<R>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var text = text
        return text.withUTF8(body)
    }

    /// Decodes the scalar starting at `index` of valid UTF-8 and advances `index` past it.
    @inline(__always)
    static func next(_ bytes: UnsafeBufferPointer<UInt8>, _ index: inout Int) -> UInt32 {
        let b0 = UInt32(bytes[index])
        if b0 < 0x80 {
            index &+= 1
            return b0
        }
        if b0 < 0xE0 {
            let value = (b0 & 0x1F) << 6 | UInt32(bytes[index &+ 1] & 0x3F)
            index &+= 2
            return value
        }
        if b0 < 0xF0 {
            let value = (b0 & 0x0F) << 12 | UInt32(bytes[index &+ 1] & 0x3F) << 6 | UInt32(bytes[index &+ 2] & 0x3F)
            index &+= 3
            return value
        }
        let value =
            (b0 & 0x07) << 18 | UInt32(bytes[index &+ 1] & 0x3F) << 12 | UInt32(bytes[index &+ 2] & 0x3F) << 6
            | UInt32(bytes[index &+ 3] & 0x3F)
        index &+= 4
        return value
    }

    /// Packs a scalar's UTF-8 bytes into one word: bytes in the low three octets (first byte lowest),
    /// the byte count in the high octet. Only for scalars of the Basic Multilingual Plane.
    static func packed(_ scalar: UInt32) -> UInt32 {
        precondition(scalar < 0x1_0000, "packed UTF-8 holds at most three bytes")
        if scalar < 0x80 { return 1 << 24 | scalar }
        if scalar < 0x800 {
            return 2 << 24 | (0x80 | scalar & 0x3F) << 8 | (0xC0 | scalar >> 6)
        }
        return 3 << 24 | (0x80 | scalar & 0x3F) << 16 | (0x80 | (scalar >> 6) & 0x3F) << 8 | (0xE0 | scalar >> 12)
    }

    /// Writes a packed entry at `index` and advances past it. Always stores three octets, so the
    /// destination needs three octets of room at `index` even for a one-byte entry.
    @inline(__always)
    static func write(_ entry: UInt32, to output: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        output[index] = UInt8(truncatingIfNeeded: entry)
        output[index &+ 1] = UInt8(truncatingIfNeeded: entry >> 8)
        output[index &+ 2] = UInt8(truncatingIfNeeded: entry >> 16)
        index &+= Int(entry >> 24)
    }

    /// Writes any scalar as UTF-8 at `index` (up to four octets) and advances past it.
    @inline(__always)
    static func write(scalar: UInt32, to output: UnsafeMutableBufferPointer<UInt8>, at index: inout Int) {
        if scalar < 0x80 {
            output[index] = UInt8(truncatingIfNeeded: scalar)
            index &+= 1
        } else if scalar < 0x800 {
            output[index] = UInt8(truncatingIfNeeded: 0xC0 | scalar >> 6)
            output[index &+ 1] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            index &+= 2
        } else if scalar < 0x1_0000 {
            output[index] = UInt8(truncatingIfNeeded: 0xE0 | scalar >> 12)
            output[index &+ 1] = UInt8(truncatingIfNeeded: 0x80 | (scalar >> 6) & 0x3F)
            output[index &+ 2] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            index &+= 3
        } else {
            output[index] = UInt8(truncatingIfNeeded: 0xF0 | scalar >> 18)
            output[index &+ 1] = UInt8(truncatingIfNeeded: 0x80 | (scalar >> 12) & 0x3F)
            output[index &+ 2] = UInt8(truncatingIfNeeded: 0x80 | (scalar >> 6) & 0x3F)
            output[index &+ 3] = UInt8(truncatingIfNeeded: 0x80 | scalar & 0x3F)
            index &+= 4
        }
    }

    /// Calls `body` with the octets of `bytes` as one contiguous buffer, copying only when the
    /// collection has no contiguous storage.
    @inline(__always)
    static func withContiguousBytes<R>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) -> R
    ) -> R {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }
}
