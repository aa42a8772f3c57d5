/// `registered_delivery`: which receipts and acknowledgements are requested (SMPP 3.4 §5.2.17).
public struct RegisteredDelivery: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let none = RegisteredDelivery(rawValue: 0x00)
    /// A receipt on the final outcome, success or failure.
    public static let receipt = RegisteredDelivery(rawValue: 0x01)
    /// A receipt on failure only.
    public static let receiptOnFailure = RegisteredDelivery(rawValue: 0x02)
    /// A receipt on success only (SMPP 5.0; reserved in 3.4).
    public static let receiptOnSuccess = RegisteredDelivery(rawValue: 0x03)
    /// Intermediate notifications requested (bit 4).
    public static let intermediateNotification = RegisteredDelivery(rawValue: 0x10)

    /// The SMSC-receipt bits (`rawValue & 0x03`).
    @inlinable public var receiptRequest: UInt8 { self.rawValue & 0x03 }

    /// Whether any SMSC delivery receipt is requested.
    @inlinable public var requestsReceipt: Bool { self.receiptRequest != 0 }

    /// Whether intermediate notifications are requested.
    @inlinable public var requestsIntermediate: Bool { self.rawValue & 0x10 != 0 }
}
