/// The GSM 03.38 default alphabet and its extension table (3GPP TS 23.038 §6.2.1).
///
/// Septets here are *unpacked*, one per octet with bit 7 clear, which is how data_coding 0 travels in
/// SMPP by default; ``pack(_:fillBits:)`` and ``unpack(_:septetCount:fillBits:)`` convert to and from
/// the packed 7-bit form for connections that use it. A character of the extension table takes two
/// septets: ESC (0x1B) and its code. National language shift tables are not supported.
///
/// Encoding is table-driven over the string's UTF-8; a character spelled with other but canonically
/// equivalent scalars (a decomposed "é") is accepted through a slower per-character path.
public enum GSM7 {
    /// The escape to the extension table.
    public static let escape: UInt8 = 0x1B

    /// Encodes text as unpacked septets, extension characters as ESC + code.
    ///
    /// - Throws: ``TextEncodingError`` naming the first character with no GSM 03.38 code.
    public static func septets(from text: String) throws(TextEncodingError) -> [UInt8] {
        if let septets = self.fastSeptets(from: text) { return septets }
        switch self.septetsByCharacter(from: text) {
        case .success(let septets): return septets
        case .failure(let mismatch):
            throw TextEncodingError(encoding: .gsm7, character: mismatch.character, characterOffset: mismatch.offset)
        }
    }

    /// The number of septets `text` needs (extension characters count two), or `nil` when a
    /// character does not fit the alphabet.
    public static func septetCount(of text: String) -> Int? {
        let fast: Int? = self.encodeTable.withUnsafeBufferPointer { table in
            UTF8Scalars.withUTF8(text) { utf8 in
                var count = 0
                var index = 0
                while index < utf8.count {
                    let scalar = UTF8Scalars.next(utf8, &index)
                    let code: UInt8
                    if scalar < UInt32(table.count) {
                        code = table[Int(scalar)]
                    } else {
                        code = scalar == 0x20AC ? Self.extensionFlag : Self.noCode
                    }
                    guard code != Self.noCode else { return nil }
                    count &+= code & Self.extensionFlag == 0 ? 1 : 2
                }
                return count
            }
        }
        if let fast { return fast }
        switch self.septetsByCharacter(from: text) {
        case .success(let septets): return septets.count
        case .failure: return nil
        }
    }

    /// Whether every character of `text` has a GSM 03.38 code (basic or extension table).
    public static func canEncode(_ text: String) -> Bool {
        self.septetCount(of: text) != nil
    }

    /// Decodes unpacked septets, leniently: bit 7 of each octet is ignored, ESC followed by a code the
    /// extension table does not define gives that code's basic character, ESC ESC gives a space, and a
    /// trailing lone ESC gives a space.
    public static func string(fromSeptets septets: some Collection<UInt8>) -> String {
        UTF8Scalars.withContiguousBytes(septets) { septets in
            self.basicUTF8.withUnsafeBufferPointer { basic in
                self.extensionUTF8.withUnsafeBufferPointer { extended in
                    String(unsafeUninitializedCapacity: septets.count * 3) { output in
                        var written = 0
                        var index = 0
                        let count = septets.count
                        while index < count {
                            let septet = septets[index] & 0x7F
                            index &+= 1
                            if septet == Self.escape, index < count {
                                UTF8Scalars.write(extended[Int(septets[index] & 0x7F)], to: output, at: &written)
                                index &+= 1
                            } else {
                                UTF8Scalars.write(basic[Int(septet)], to: output, at: &written)
                            }
                        }
                        return written
                    }
                }
            }
        }
    }

    /// The table-driven path over UTF-8; `nil` as soon as a scalar has no code of its own.
    private static func fastSeptets(from text: String) -> [UInt8]? {
        var fits = true
        let septets = self.encodeTable.withUnsafeBufferPointer { table in
            UTF8Scalars.withUTF8(text) { utf8 in
                // A scalar of n UTF-8 octets gives at most 2 septets: 2 × the UTF-8 length is enough.
                [UInt8](unsafeUninitializedCapacity: utf8.count * 2) { septets, initialized in
                    var written = 0
                    var index = 0
                    while index < utf8.count {
                        let scalar = UTF8Scalars.next(utf8, &index)
                        let code: UInt8
                        if scalar < UInt32(table.count) {
                            code = table[Int(scalar)]
                        } else {
                            code = scalar == 0x20AC ? Self.extensionFlag | 0x65 : Self.noCode
                        }
                        if code & Self.extensionFlag == 0 {
                            septets[written] = code
                            written &+= 1
                        } else if code != Self.noCode {
                            septets[written] = Self.escape
                            septets[written &+ 1] = code & 0x7F
                            written &+= 2
                        } else {
                            fits = false
                            break
                        }
                    }
                    initialized = fits ? written : 0
                }
            }
        }
        return fits ? septets : nil
    }

    /// The per-character path: accepts canonically equivalent spellings and locates a failure.
    private static func septetsByCharacter(from text: String) -> Result<[UInt8], EncodingMismatch> {
        var septets = [UInt8]()
        septets.reserveCapacity(text.utf8.count + 8)
        for (offset, character) in text.enumerated() {
            let mark = septets.count
            var fits = true
            for scalar in character.unicodeScalars {
                let value = Int(scalar.value)
                let code: UInt8
                if value < self.encodeTableSize {
                    code = self.encodeTable[value]
                } else {
                    code = value == 0x20AC ? Self.extensionFlag | 0x65 : Self.noCode
                }
                if code == Self.noCode {
                    fits = false
                    break
                }
                if code & Self.extensionFlag == 0 {
                    septets.append(code)
                } else {
                    septets.append(Self.escape)
                    septets.append(code & 0x7F)
                }
            }
            if fits { continue }
            septets.removeSubrange(mark...)
            guard let equivalent = self.equivalents[character] else {
                return .failure(EncodingMismatch(character: character, offset: offset))
            }
            septets.append(contentsOf: equivalent)
        }
        return .success(septets)
    }
}
