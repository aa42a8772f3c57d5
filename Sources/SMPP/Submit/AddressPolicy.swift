/// How TON and NPI of an address are chosen.
public enum AddressPolicy: Sendable, Hashable {
    /// From the text: alphanumeric sender → 5/0; `+` or 9+ digits → 1/1; shorter digits → 0/1
    /// (see ``Address/init(detecting:)``).
    case detect
    /// Always these values (a leading `+` is dropped).
    case fixed(TypeOfNumber, NumberingPlan)

    public func address(_ text: String) -> Address {
        switch self {
        case .detect: Address(detecting: text)
        case .fixed(let ton, let npi):
            Address(ton: ton, npi: npi, text.hasPrefix("+") ? String(text.dropFirst()) : text)
        }
    }
}
