import NIOCore

/// One piece of a PDU written out by hand: hex octets, or text as its ASCII octets.
struct WirePart: ExpressibleByStringLiteral {
    let bytes: [UInt8]

    /// Hex digits, whitespace ignored: `"00 00 00 10"`.
    init(stringLiteral hex: String) {
        let digits = hex.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd number of hex digits in \(hex)")
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16)!)
            index = next
        }
        self.bytes = bytes
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// The ASCII octets of `text`, without terminator.
    static func text(_ text: String) -> WirePart { WirePart(bytes: Array(text.utf8)) }

    /// The ASCII octets of `text` followed by NUL: a C-Octet String.
    static func cString(_ text: String) -> WirePart { WirePart(bytes: Array(text.utf8) + [0]) }
}

/// The octets of a PDU written part by part.
func wire(_ parts: WirePart...) -> [UInt8] {
    parts.flatMap(\.bytes)
}

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    bytes.map { byte in
        let hex = String(byte, radix: 16, uppercase: true)
        return byte < 16 ? "0" + hex : hex
    }.joined(separator: " ")
}

extension ByteBuffer {
    /// The readable octets as an array.
    var bytes: [UInt8] { Array(self.readableBytesView) }
}
