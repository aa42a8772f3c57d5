public import NIOCore

/// One part of a message as the segmenter cut it: the user data of one PDU and how that PDU must
/// announce it. ``ShortMessage/applying(_:)`` turns it into a PDU.
public struct MessageSegment: Hashable, Sendable {
    /// Where the user data travels.
    public enum Carrier: Hashable, Sendable {
        /// In `short_message` (at most 254 octets).
        case shortMessage
        /// In the `message_payload` TLV, with an empty short message.
        case messagePayload
    }

    /// The user data: the UDH when ``hasUserDataHeader``, then this part's encoded text or octets.
    public var userData: ByteBuffer
    /// Whether ``userData`` starts with a UDH, so esm_class must have UDHI.
    public var hasUserDataHeader: Bool
    /// The length of that UDH in octets, UDHL included (0 without one).
    public var userDataHeaderLength: Int
    /// The data_coding the PDU must carry.
    public var dataCoding: DataCoding
    /// Where the user data goes in the PDU.
    public var carrier: Carrier
    /// The method that produced the part.
    public var method: ConcatenationMethod
    /// The part's numbers, or `nil` when the message travels in one piece (no UDH concatenation
    /// element, no SAR TLVs).
    public var concatenation: ConcatenationInfo?
    /// The text in this part, in units of its encoding (septets, octets or UTF-16 code units).
    public var unitCount: Int

    public init(
        userData: ByteBuffer,
        hasUserDataHeader: Bool,
        userDataHeaderLength: Int,
        dataCoding: DataCoding,
        carrier: Carrier,
        method: ConcatenationMethod,
        concatenation: ConcatenationInfo?,
        unitCount: Int
    ) {
        self.userData = userData
        self.hasUserDataHeader = hasUserDataHeader
        self.userDataHeaderLength = userDataHeaderLength
        self.dataCoding = dataCoding
        self.carrier = carrier
        self.method = method
        self.concatenation = concatenation
        self.unitCount = unitCount
    }

    /// The numbers the SAR TLVs must carry: the part's numbers with the ``ConcatenationMethod/sar``
    /// method, else `nil`.
    public var sar: ConcatenationInfo? {
        self.method == .sar ? self.concatenation : nil
    }
}
