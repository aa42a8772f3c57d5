import NIOCore

/// Helpers shared by the text and concatenation tests.
enum TextTestSupport {
    /// Octets from hex digits; spaces are ignored.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = hex.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0)
        var result: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            result.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        return result
    }

    /// Upper-case hex of octets, without separators.
    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16, uppercase: true) }.joined()
    }

    static func hex(_ buffer: ByteBuffer) -> String {
        self.hex(buffer.readableBytesView)
    }

    /// The GSM 03.38 basic table of SMPP.md §9.1 as characters (ESC at 0x1B is skipped by callers).
    static let gsmBasic: [Character] = Array(
        "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u{1B}ÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    )

    /// The extension table of SMPP.md §9.2: code after ESC → character.
    static let gsmExtension: [(code: UInt8, character: Character)] = [
        (0x0A, "\u{0C}"), (0x14, "^"), (0x28, "{"), (0x29, "}"), (0x2F, "\\"),
        (0x3C, "["), (0x3D, "~"), (0x3E, "]"), (0x40, "|"), (0x65, "€"),
    ]
}
