internal import NIOCore

/// The body of cancel_sm: cancels a pending message by id, or all matching messages by addresses.
public struct CancelSM: Hashable, Sendable {
    /// With an empty message id, every message matching `serviceType` and the addresses is cancelled.
    public var serviceType: String
    /// The id from submit_sm_resp, or empty to cancel by addresses.
    public var messageID: String
    /// Must match the original submission's source.
    public var source: Address
    /// May be NULL when `messageID` is given.
    public var destination: Address
    /// Not defined for cancel_sm in SMPP 3.4; kept when a peer sends them.
    public var tlvs: TLVs

    public init(
        serviceType: String = "",
        messageID: String,
        source: Address,
        destination: Address = .null,
        tlvs: TLVs = []
    ) {
        self.serviceType = serviceType
        self.messageID = messageID
        self.source = source
        self.destination = destination
        self.tlvs = tlvs
    }
}

extension CancelSM {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.serviceType = try body.readSMPPCString(.serviceType, maxLength: limits.maximum(6))
        self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(21))
        self.destination = try body.readSMPPAddress(.destinationAddress, maxLength: limits.maximum(21))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.serviceType, .serviceType, maxLength: 6)
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 21)
        try buffer.writeSMPPAddress(self.destination, .destinationAddress, maxLength: 21)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
