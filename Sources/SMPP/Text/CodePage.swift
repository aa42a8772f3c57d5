/// A single-octet character set: a table from codes to Unicode scalars, with the reverse map.
///
/// Shared by Latin-1, IA5/ASCII, and the decode-only ISO-8859-5 (Cyrillic) and ISO-8859-8 (Hebrew)
/// pages. Decoding writes UTF-8 from a precomputed table; undefined codes decode as U+FFFD.
struct CodePage: Sendable {
    /// Per code: the scalar's UTF-8 in packed form (see ``UTF8Scalars/packed(_:)``).
    let utf8: [UInt32]
    /// Scalar value → code, for scalars below `codes.count`; `0xFFFF` when the page has none.
    let codes: [UInt16]
    /// Characters spelled with other scalars but canonically equivalent to a character of the page
    /// (a decomposed "é", the Kelvin sign for "K"); found through `Character`'s Unicode-aware hashing.
    let equivalents: [Character: UInt8]

    /// Builds a page from its table, where `nil` marks an undefined code.
    init(scalars: [UInt32?]) {
        precondition(scalars.count <= 256)
        let replacement = UTF8Scalars.packed(0xFFFD)
        self.utf8 = scalars.map { $0.map(UTF8Scalars.packed) ?? replacement }
        let highest = scalars.compactMap(\.self).max() ?? 0
        var codes = [UInt16](repeating: 0xFFFF, count: Int(highest) + 1)
        var equivalents: [Character: UInt8] = [:]
        for (code, scalar) in scalars.enumerated() {
            guard let scalar, let unicode = Unicode.Scalar(scalar) else { continue }
            codes[Int(scalar)] = UInt16(code)
            equivalents[Character(unicode)] = UInt8(code)
        }
        self.codes = codes
        self.equivalents = equivalents
    }

    /// Decodes octets to text.
    func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        self.utf8.withUnsafeBufferPointer { table in
            String(unsafeUninitializedCapacity: bytes.count * 3) { output in
                var written = 0
                for byte in bytes {
                    UTF8Scalars.write(table[Int(byte)], to: output, at: &written)
                }
                return written
            }
        }
    }

    /// Encodes text, or returns the offending character and its character offset.
    func encode(_ text: String) -> Result<[UInt8], EncodingMismatch> {
        let fast: [UInt8]? = self.codes.withUnsafeBufferPointer { codes in
            UTF8Scalars.withUTF8(text) { utf8 in
                var output = [UInt8]()
                output.reserveCapacity(utf8.count)
                var index = 0
                while index < utf8.count {
                    let scalar = Int(UTF8Scalars.next(utf8, &index))
                    guard scalar < codes.count else { return nil }
                    let code = codes[scalar]
                    guard code != 0xFFFF else { return nil }
                    output.append(UInt8(truncatingIfNeeded: code))
                }
                return output
            }
        }
        if let fast { return .success(fast) }
        return self.encodeByCharacter(text)
    }

    /// The slow path: character by character, so that canonically equivalent spellings are accepted
    /// and a failure can name the user-perceived character and its offset.
    private func encodeByCharacter(_ text: String) -> Result<[UInt8], EncodingMismatch> {
        var output = [UInt8]()
        output.reserveCapacity(text.utf8.count)
        for (offset, character) in text.enumerated() {
            let mark = output.count
            var fits = true
            for scalar in character.unicodeScalars {
                let value = Int(scalar.value)
                guard value < self.codes.count, self.codes[value] != 0xFFFF else {
                    fits = false
                    break
                }
                output.append(UInt8(truncatingIfNeeded: self.codes[value]))
            }
            if fits { continue }
            output.removeSubrange(mark...)
            guard let code = self.equivalents[character] else {
                return .failure(EncodingMismatch(character: character, offset: offset))
            }
            output.append(code)
        }
        return .success(output)
    }

    /// The number of octets `text` needs, or `nil` when a character is not on the page.
    func count(_ text: String) -> Int? {
        let fast: Int? = self.codes.withUnsafeBufferPointer { codes in
            UTF8Scalars.withUTF8(text) { utf8 in
                var count = 0
                var index = 0
                while index < utf8.count {
                    let scalar = Int(UTF8Scalars.next(utf8, &index))
                    guard scalar < codes.count, codes[scalar] != 0xFFFF else { return nil }
                    count &+= 1
                }
                return count
            }
        }
        if let fast { return fast }
        switch self.encodeByCharacter(text) {
        case .success(let bytes): return bytes.count
        case .failure: return nil
        }
    }
}

extension CodePage {
    /// ISO-8859-1: every code is the scalar of the same value.
    static let latin1 = CodePage(scalars: (0..<256).map { UInt32($0) })

    /// IA5 / US-ASCII: codes 0x00–0x7F; the upper half is undefined.
    static let ascii = CodePage(scalars: (0..<256).map { $0 < 0x80 ? UInt32($0) : nil })

    /// ISO-8859-5 (Latin/Cyrillic), as used by data_coding 0x06.
    static let cyrillic = CodePage(
        scalars: (0..<256).map { code -> UInt32? in
            switch code {
            case 0..<0xA1, 0xAD: UInt32(code)
            case 0xF0: 0x2116
            case 0xFD: 0x00A7
            default: UInt32(code) + 0x360
            }
        }
    )

    /// ISO-8859-8 (Latin/Hebrew), as used by data_coding 0x07.
    static let hebrew = CodePage(
        scalars: (0..<256).map { code -> UInt32? in
            switch code {
            case 0..<0xA1, 0xA2...0xA9, 0xAB...0xB9, 0xBB...0xBE: UInt32(code)
            case 0xAA: 0x00D7
            case 0xBA: 0x00F7
            case 0xDF: 0x2017
            case 0xE0...0xFA: UInt32(code) - 0xE0 + 0x05D0
            case 0xFD: 0x200E
            case 0xFE: 0x200F
            default: nil
            }
        }
    )
}
