/// `interface_version` of a bind and `sc_interface_version` of a bind response.
public struct InterfaceVersion: RawRepresentable, Hashable, Sendable, Comparable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SMPP 3.3 (and anything below 0x34): no TLVs.
    public static let v33 = InterfaceVersion(rawValue: 0x33)
    public static let v34 = InterfaceVersion(rawValue: 0x34)
    public static let v50 = InterfaceVersion(rawValue: 0x50)

    /// Whether a peer of this version understands TLVs (3.4 and later).
    @inlinable public var supportsTLVs: Bool { self.rawValue >= 0x34 }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}
