/// `esm_class`: a bit field of messaging mode (bits 1–0), message type (bits 5–2) and GSM features (bits 7–6).
///
/// Test bits with the masks, never compare the whole octet: a receipt may also carry UDHI.
public struct ESMClass: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let messagingModeMask: UInt8 = 0x03
    public static let messageTypeMask: UInt8 = 0x3C
    public static let featuresMask: UInt8 = 0xC0

    // Messaging mode (ESME → SMSC).
    public static let defaultMode = ESMClass(rawValue: 0x00)
    public static let datagramMode = ESMClass(rawValue: 0x01)
    public static let forwardMode = ESMClass(rawValue: 0x02)
    public static let storeAndForwardMode = ESMClass(rawValue: 0x03)

    // Message type.
    /// SMSC delivery receipt (SMSC → ESME).
    public static let deliveryReceipt = ESMClass(rawValue: 0x04)
    public static let deliveryAcknowledgement = ESMClass(rawValue: 0x08)
    public static let manualAcknowledgement = ESMClass(rawValue: 0x10)
    public static let conversationAbort = ESMClass(rawValue: 0x18)
    /// Intermediate delivery notification (SMSC → ESME).
    public static let intermediateNotification = ESMClass(rawValue: 0x20)

    // GSM network features.
    /// User Data Header indicator: the user data starts with a UDH.
    public static let udhi = ESMClass(rawValue: 0x40)
    public static let replyPath = ESMClass(rawValue: 0x80)

    /// The message-type bits (`rawValue & 0x3C`).
    @inlinable public var messageType: UInt8 { self.rawValue & Self.messageTypeMask }

    /// Whether the user data starts with a User Data Header.
    @inlinable public var hasUDHI: Bool { self.rawValue & Self.udhi.rawValue != 0 }

    /// Whether a deliver_sm / data_sm with this class is a delivery receipt (final or intermediate).
    @inlinable
    public var isReceipt: Bool {
        self.messageType == Self.deliveryReceipt.rawValue || self.messageType == Self.intermediateNotification.rawValue
    }

    /// Returns this class with the bits of `other` added.
    @inlinable
    public func union(_ other: ESMClass) -> ESMClass { ESMClass(rawValue: self.rawValue | other.rawValue) }
}
