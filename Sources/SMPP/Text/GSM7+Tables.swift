// The GSM 03.38 tables (3GPP TS 23.038 §6.2.1, SMPP.md §9.1–9.2) and the lookup tables derived
// from them once, on first use.

extension GSM7 {
    /// The default alphabet: code → Unicode scalar. 0x1B is the escape to the extension table and
    /// has no character of its own.
    static let basicScalars: [UInt32] = [
        0x0040, 0x00A3, 0x0024, 0x00A5, 0x00E8, 0x00E9, 0x00F9, 0x00EC,  // 0x00 @ £ $ ¥ è é ù ì
        0x00F2, 0x00C7, 0x000A, 0x00D8, 0x00F8, 0x000D, 0x00C5, 0x00E5,  // 0x08 ò Ç LF Ø ø CR Å å
        0x0394, 0x005F, 0x03A6, 0x0393, 0x039B, 0x03A9, 0x03A0, 0x03A8,  // 0x10 Δ _ Φ Γ Λ Ω Π Ψ
        0x03A3, 0x0398, 0x039E, 0x0000, 0x00C6, 0x00E6, 0x00DF, 0x00C9,  // 0x18 Σ Θ Ξ ESC Æ æ ß É
        0x0020, 0x0021, 0x0022, 0x0023, 0x00A4, 0x0025, 0x0026, 0x0027,  // 0x20 SP ! " # ¤ % & '
        0x0028, 0x0029, 0x002A, 0x002B, 0x002C, 0x002D, 0x002E, 0x002F,  // 0x28 ( ) * + , - . /
        0x0030, 0x0031, 0x0032, 0x0033, 0x0034, 0x0035, 0x0036, 0x0037,  // 0x30 0–7
        0x0038, 0x0039, 0x003A, 0x003B, 0x003C, 0x003D, 0x003E, 0x003F,  // 0x38 8 9 : ; < = > ?
        0x00A1, 0x0041, 0x0042, 0x0043, 0x0044, 0x0045, 0x0046, 0x0047,  // 0x40 ¡ A–G
        0x0048, 0x0049, 0x004A, 0x004B, 0x004C, 0x004D, 0x004E, 0x004F,  // 0x48 H–O
        0x0050, 0x0051, 0x0052, 0x0053, 0x0054, 0x0055, 0x0056, 0x0057,  // 0x50 P–W
        0x0058, 0x0059, 0x005A, 0x00C4, 0x00D6, 0x00D1, 0x00DC, 0x00A7,  // 0x58 X Y Z Ä Ö Ñ Ü §
        0x00BF, 0x0061, 0x0062, 0x0063, 0x0064, 0x0065, 0x0066, 0x0067,  // 0x60 ¿ a–g
        0x0068, 0x0069, 0x006A, 0x006B, 0x006C, 0x006D, 0x006E, 0x006F,  // 0x68 h–o
        0x0070, 0x0071, 0x0072, 0x0073, 0x0074, 0x0075, 0x0076, 0x0077,  // 0x70 p–w
        0x0078, 0x0079, 0x007A, 0x00E4, 0x00F6, 0x00F1, 0x00FC, 0x00E0,  // 0x78 x y z ä ö ñ ü à
    ]

    /// The extension table: the code after ESC → Unicode scalar.
    static let extensionScalars: [(code: UInt8, scalar: UInt32)] = [
        (0x0A, 0x000C),  // form feed
        (0x14, 0x005E),  // ^
        (0x28, 0x007B),  // {
        (0x29, 0x007D),  // }
        (0x2F, 0x005C),  // \
        (0x3C, 0x005B),  // [
        (0x3D, 0x007E),  // ~
        (0x3E, 0x005D),  // ]
        (0x40, 0x007C),  // |
        (0x65, 0x20AC),  // €
    ]

    /// The highest scalar the encode table covers directly; "€" (U+20AC) is checked separately.
    static let encodeTableSize = 0x400

    /// Marks an extension-table code in ``encodeTable``.
    static let extensionFlag: UInt8 = 0x80

    /// Marks a scalar with no GSM 03.38 code in ``encodeTable``.
    static let noCode: UInt8 = 0xFF

    /// Scalar → code for scalars below ``encodeTableSize``: a basic code, an extension code with
    /// ``extensionFlag`` set, or ``noCode``.
    static let encodeTable: [UInt8] = {
        var table = [UInt8](repeating: noCode, count: encodeTableSize)
        for (code, scalar) in basicScalars.enumerated() where code != Int(escape) {
            table[Int(scalar)] = UInt8(code)
        }
        for (code, scalar) in extensionScalars where Int(scalar) < encodeTableSize {
            table[Int(scalar)] = extensionFlag | code
        }
        return table
    }()

    /// Septet → packed UTF-8 for the default alphabet; ESC on its own decodes as a space.
    static let basicUTF8: [UInt32] = basicScalars.enumerated().map { code, scalar in
        UTF8Scalars.packed(code == Int(escape) ? 0x20 : scalar)
    }

    /// Code after ESC → packed UTF-8. Codes the extension table does not define decode as their
    /// basic-table character (so ESC + CR2 0x0D gives CR); ESC ESC, reserved, decodes as a space.
    static let extensionUTF8: [UInt32] = {
        var table = basicUTF8
        for (code, scalar) in extensionScalars {
            table[Int(code)] = UTF8Scalars.packed(scalar)
        }
        return table
    }()

    /// Characters that are canonically equivalent to a GSM character but spelled with other scalars
    /// (a decomposed "é", the Ohm sign for "Ω", the Angstrom sign for "Å"), mapped to their septets.
    static let equivalents: [Character: [UInt8]] = {
        var map: [Character: [UInt8]] = [:]
        for (code, scalar) in basicScalars.enumerated() where code != Int(escape) {
            map[Character(Unicode.Scalar(scalar)!)] = [UInt8(code)]
        }
        for (code, scalar) in extensionScalars {
            map[Character(Unicode.Scalar(scalar)!)] = [escape, code]
        }
        return map
    }()
}
