/// Makes the message id of a submit_sm_resp and the id a receipt quotes comparable.
///
/// Carriers write the same id differently in the two places: hex in one and decimal in the other,
/// with or without leading zeros, in another letter case, with or without dashes. Store each
/// submitted id under ``key(forSubmitted:)``; look a receipt up under each of
/// ``candidates(forReceipted:)`` in order, most likely first.
public struct MessageIDNormalizer: Hashable, Sendable {
    public enum Mode: String, Hashable, Sendable, CaseIterable, Codable {
        /// Ids are compared exactly as written.
        case exact
        /// Letter case, dashes and leading zeros do not matter.
        case canonical
        /// Receipts write in decimal the id submit_sm_resp gave in hex.
        case receiptDecimal = "receipt-decimal"
        /// Receipts write in hex the id submit_sm_resp gave in decimal.
        case receiptHex = "receipt-hex"
        /// Canonical, then — when that finds nothing — the id read as decimal and converted to hex, or
        /// read as hex and converted to decimal. Matches the common cases without configuration.
        case auto
    }

    public var mode: Mode

    public init(mode: Mode = .auto) {
        self.mode = mode
    }

    /// The key to store a submit_sm_resp message id under.
    public func key(forSubmitted id: String) -> String {
        self.mode == .exact ? id : Self.canonical(id)
    }

    /// The keys to look a receipt's message id up under, most likely first.
    public func candidates(forReceipted id: String) -> [String] {
        guard self.mode != .exact else { return [id] }
        let canonical = Self.canonical(id)
        switch self.mode {
        case .exact, .canonical:
            return [canonical]
        case .receiptDecimal:
            return [Self.decimalToHex(canonical) ?? canonical]
        case .receiptHex:
            return [Self.hexToDecimal(canonical) ?? canonical]
        case .auto:
            var candidates = [canonical]
            for converted in [Self.decimalToHex(canonical), Self.hexToDecimal(canonical)] {
                if let converted, !candidates.contains(converted) { candidates.append(converted) }
            }
            return candidates
        }
    }

    /// Whether a receipt's id refers to the submitted id.
    public func matches(submitted: String, receipted: String) -> Bool {
        self.candidates(forReceipted: receipted).contains(self.key(forSubmitted: submitted))
    }

    /// Upper case, without whitespace, dashes and leading zeros (`"0"` stays `"0"`).
    static func canonical(_ id: String) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(id.utf8.count)
        for byte in id.utf8 {
            switch byte {
            case UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"):
                continue
            case UInt8(ascii: "a")...UInt8(ascii: "z"):
                bytes.append(byte - 32)
            case UInt8(ascii: "0") where bytes.isEmpty:
                continue
            default:
                bytes.append(byte)
            }
        }
        if bytes.isEmpty { return id.utf8.contains(UInt8(ascii: "0")) ? "0" : "" }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The upper-case hex form of a decimal id, if it is one that fits 64 bits.
    static func decimalToHex(_ canonical: String) -> String? {
        guard !canonical.isEmpty, canonical.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            let value = UInt64(canonical, radix: 10)
        else { return nil }
        return String(value, radix: 16, uppercase: true)
    }

    /// The decimal form of a hex id, if it is one that fits 64 bits.
    static func hexToDecimal(_ canonical: String) -> String? {
        guard let value = UInt64(canonical, radix: 16) else { return nil }
        return String(value)
    }
}
