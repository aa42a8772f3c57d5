extension Address {
    /// An address with TON and NPI chosen from its text, as gateways commonly do:
    /// - `+` followed by digits: international / ISDN, the `+` dropped (`+447700900123` → 1/1 `447700900123`);
    /// - digits only, 9 or more: international / ISDN (E.164 written without `+`);
    /// - digits only, up to 8 (short codes, national numbers): unknown / ISDN;
    /// - anything else (a sender name): alphanumeric / unknown.
    public init(detecting text: String) {
        let utf8 = text.utf8
        let isDigit = { (byte: UInt8) in byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
        if utf8.first == UInt8(ascii: "+"), utf8.count > 1, utf8.dropFirst().allSatisfy(isDigit) {
            self.init(ton: .international, npi: .isdn, String(text.dropFirst()))
        } else if !utf8.isEmpty, utf8.allSatisfy(isDigit) {
            self.init(ton: utf8.count >= 9 ? .international : .unknown, npi: .isdn, text)
        } else {
            self.init(ton: .alphanumeric, npi: .unknown, text)
        }
    }
}
