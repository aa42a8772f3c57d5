/// `*_addr_ton`: the type of number of an address (SMPP 3.4 §5.2.5). Unknown values are kept.
public struct TypeOfNumber: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = TypeOfNumber(rawValue: 0)
    /// E.164 number without `+`, e.g. `447700900000`.
    public static let international = TypeOfNumber(rawValue: 1)
    public static let national = TypeOfNumber(rawValue: 2)
    public static let networkSpecific = TypeOfNumber(rawValue: 3)
    public static let subscriberNumber = TypeOfNumber(rawValue: 4)
    /// A sender name in text (GSM-7, up to 11 characters in practice).
    public static let alphanumeric = TypeOfNumber(rawValue: 5)
    /// Short codes.
    public static let abbreviated = TypeOfNumber(rawValue: 6)
}
