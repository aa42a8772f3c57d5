/// `*_addr_npi`: the numbering plan indicator of an address (SMPP 3.4 §5.2.6). Unknown values are kept.
public struct NumberingPlan: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let unknown = NumberingPlan(rawValue: 0)
    /// ISDN / telephone (E.163/E.164).
    public static let isdn = NumberingPlan(rawValue: 1)
    public static let data = NumberingPlan(rawValue: 3)
    public static let telex = NumberingPlan(rawValue: 4)
    public static let landMobile = NumberingPlan(rawValue: 6)
    public static let national = NumberingPlan(rawValue: 8)
    public static let `private` = NumberingPlan(rawValue: 9)
    public static let ermes = NumberingPlan(rawValue: 10)
    public static let internet = NumberingPlan(rawValue: 14)
    public static let wapClientID = NumberingPlan(rawValue: 18)
}
