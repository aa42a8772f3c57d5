/// An SMPP address: type of number, numbering plan, and the address text.
public struct Address: Hashable, Sendable {
    public var ton: TypeOfNumber
    public var npi: NumberingPlan
    /// The digits or alphanumeric text, without the C-string terminator.
    public var value: String

    @inlinable
    public init(ton: TypeOfNumber = .unknown, npi: NumberingPlan = .unknown, _ value: String) {
        self.ton = ton
        self.npi = npi
        self.value = value
    }

    /// The NULL address (`ton` 0, `npi` 0, empty text): "let the SMSC choose".
    public static let null = Address(ton: .unknown, npi: .unknown, "")
}
