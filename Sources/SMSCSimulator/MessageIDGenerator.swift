/// Produces message ids in the configured format and rewrites them the way a quirky carrier's
/// receipts do.
struct MessageIDGenerator: Sendable {
    let format: MessageIDFormat
    let receiptFormat: ReceiptIDFormat
    let receiptWidth: Int?
    private var counter: UInt64
    private var random: SplitMix64

    init(format: MessageIDFormat, receiptFormat: ReceiptIDFormat, receiptWidth: Int?, seed: UInt64) {
        self.format = format
        self.receiptFormat = receiptFormat
        self.receiptWidth = receiptWidth
        self.random = SplitMix64(seed: seed)
        // Start above 10^9 so decimal ids have ten digits, like those of many SMSCs.
        self.counter = 1_000_000_000 + self.random.next() % 1_000_000_000
    }

    /// The next id.
    mutating func next() -> String {
        self.counter &+= 1
        switch self.format {
        case .hex: return String(self.counter, radix: 16, uppercase: true)
        case .decimal: return String(self.counter)
        case .uuid:
            let high = self.random.next()
            let low = self.random.next()
            return Self.uuid(high: high, low: low)
        }
    }

    /// The id as this simulator's receipts write it: converted to the other base when the receipt
    /// format asks for it (an id already in that base, or a UUID, is left as it is), then zero-padded.
    func receiptID(for id: String) -> String {
        var converted = id
        switch (self.receiptFormat, self.format) {
        case (.decimal, .hex):
            if let value = UInt64(id, radix: 16) { converted = String(value) }
        case (.hex, .decimal):
            if let value = UInt64(id, radix: 10) { converted = String(value, radix: 16, uppercase: true) }
        default:
            break
        }
        if let width = self.receiptWidth, converted.count < width {
            converted = String(repeating: "0", count: width - converted.count) + converted
        }
        return converted
    }

    private static func uuid(high: UInt64, low: UInt64) -> String {
        func hex(_ value: UInt64, _ digits: Int) -> String {
            let text = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        // Version 4, variant 1, like a random UUID.
        let timeLow = high >> 32
        let timeMid = (high >> 16) & 0xFFFF
        let timeHigh = (high & 0x0FFF) | 0x4000
        let clock = ((low >> 48) & 0x3FFF) | 0x8000
        let node = low & 0xFFFF_FFFF_FFFF
        return "\(hex(timeLow, 8))-\(hex(timeMid, 4))-\(hex(timeHigh, 4))-\(hex(clock, 4))-\(hex(node, 12))"
    }
}

/// SplitMix64: a small, fast, seedable generator so runs with `--seed` are reproducible.
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { self.state = seed }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// `true` with probability `fraction`.
    mutating func chance(_ fraction: Double) -> Bool {
        fraction > 0 && Double(self.next() >> 11) / Double(1 << 53) < fraction
    }
}
