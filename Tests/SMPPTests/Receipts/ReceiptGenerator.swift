import SMPP

/// Random receipts and noisy renderings of them, from a seeded generator.
struct ReceiptGenerator {
    var random: SeededRandom

    init(seed: UInt64) { self.random = SeededRandom(seed: seed) }

    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(self.random.next(upperBound: UInt64(range.count)))
    }

    mutating func bool() -> Bool { self.random.next() & 1 == 1 }

    mutating func string(length: ClosedRange<Int>, from alphabet: String) -> String {
        let characters = Array(alphabet)
        return String((0..<self.int(length)).map { _ in characters[self.int(0...(characters.count - 1))] })
    }

    mutating func civilDateTime() -> CivilDateTime {
        // Any second of 2000-01-01 ... 2099-12-31.
        CivilDateTime(secondsSinceEpoch: Int64(self.int(946_684_800...4_102_444_799)))
    }

    /// A receipt with random values; optional fields are sometimes absent.
    mutating func receipt() -> DeliveryReceipt {
        let idAlphabet = "0123456789abcdefABCDEF-_xyzXYZ"
        let textAlphabet =
            " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~"
        var raw = DeliveryReceipt.RawFields()
        raw.id = self.string(length: 1...40, from: idAlphabet)
        if self.int(0...9) > 0 { raw.sub = String(self.int(0...999)) }
        if self.int(0...9) > 0 { raw.dlvrd = String(self.int(0...999)) }
        if self.int(0...9) > 0 { raw.submitDate = self.digits(self.civilDateTime()) }
        if self.int(0...9) > 0 { raw.doneDate = self.digits(self.civilDateTime()) }
        if self.int(0...4) > 0 {
            raw.stat = MessageState(rawValue: UInt8(self.int(0...9))).receiptStat
        } else {
            raw.stat = self.string(length: 3...10, from: "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        }
        if self.int(0...9) > 0 {
            raw.err =
                self.bool()
                ? self.string(length: 1...3, from: "0123456789")
                : self.string(length: 1...4, from: "0123456789ABCDEFXYZ")
        }
        if self.int(0...3) > 0 { raw.text = self.string(length: 0...20, from: textAlphabet) }
        return DeliveryReceipt(raw: raw)
    }

    /// 12-digit `YYMMDDhhmmss`.
    private func digits(_ date: CivilDateTime) -> String {
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return two(date.year % 100) + two(date.month) + two(date.day) + two(date.hour) + two(date.minute)
            + two(date.second)
    }

    /// The receipt written the way a sloppy SMSC might: random key case, random white space and
    /// line breaks between fields and inside two-word keys, unpadded counts, 10/12/14-digit dates.
    mutating func noisyText(_ receipt: DeliveryReceipt) -> String {
        var out = String(repeating: " ", count: self.int(0...2))
        func separator(_ generator: inout ReceiptGenerator) -> String {
            ["", " ", "  ", "\n", "\r\n", "\t"][generator.int(0...5)]
        }
        func key(_ name: String, _ generator: inout ReceiptGenerator) -> String {
            switch generator.int(0...2) {
            case 0: name
            case 1: name.uppercased()
            default: name.prefix(1).uppercased() + name.dropFirst()
            }
        }
        func date(_ raw: String?, _ parsed: CivilDateTime?, _ generator: inout ReceiptGenerator) -> String? {
            guard let raw else { return nil }
            guard let parsed, generator.int(0...2) == 0 else { return raw }
            let year = String(parsed.year)
            let twelve = raw
            return year.prefix(2) + twelve  // 14-digit form
        }
        out += key("id", &self) + ":" + (receipt.raw.id ?? "")
        var fields: [(String, String)] = []
        if let sub = receipt.raw.sub { fields.append(("sub", sub)) }
        if let dlvrd = receipt.raw.dlvrd { fields.append(("dlvrd", dlvrd)) }
        if let value = date(receipt.raw.submitDate, receipt.submitDate, &self) { fields.append(("submit date", value)) }
        if let value = date(receipt.raw.doneDate, receipt.doneDate, &self) { fields.append(("done date", value)) }
        if let stat = receipt.raw.stat { fields.append(("stat", stat)) }
        if let err = receipt.raw.err { fields.append(("err", err)) }
        for (name, value) in fields {
            out += " " + separator(&self)
            var written = key(name, &self)
            if written.contains(" ") {
                written = written.replacingFirstSpace(with: [" ", "  ", "\n", "\r\n"][self.int(0...3)])
            }
            out += written + ":" + (self.bool() ? "" : " ") + value
        }
        if let text = receipt.raw.text {
            out += " " + separator(&self) + key("text", &self) + ":" + text
        } else {
            out += separator(&self)
        }
        return out
    }
}

extension String {
    fileprivate func replacingFirstSpace(with replacement: String) -> String {
        guard let index = self.firstIndex(of: " ") else { return self }
        return String(self[..<index]) + replacement + String(self[self.index(after: index)...])
    }
}
