extension Address {
    /// The address as people read it, one form per number whatever the SMSC wrote:
    /// - an international number (TON 1, digits with or without a leading `+`) as `+` and its
    ///   digits: `447700900123` and `+447700900123` both read `+447700900123`;
    /// - anything else as it came, except that octets that are not valid UTF-8 read as Latin-1
    ///   (see ``Swift/String/smppOctetsReadAsLatin1``): an alphanumeric sender 43 61 66 E9 reads "Café".
    ///
    /// A national or unknown-type number keeps its digits as sent: without its type the country
    /// code cannot be told from the number.
    public var displayText: String {
        let text = self.value.smppOctetsReadAsLatin1
        guard self.ton == .international else { return text }
        let digits = text.utf8.first == UInt8(ascii: "+") ? text.utf8.dropFirst() : text.utf8[...]
        guard !digits.isEmpty, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return text
        }
        return "+" + String(Substring(digits))
    }
}
