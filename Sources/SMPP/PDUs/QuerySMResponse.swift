internal import NIOCore

/// The body of query_sm_resp: the state of the queried message.
public struct QuerySMResponse: Hashable, Sendable {
    public var messageID: String
    /// When the message reached a final state (SMPP time format), or empty when not final.
    public var finalDate: String
    public var messageState: MessageState
    /// The network error code of the last delivery attempt (0 = none).
    public var errorCode: UInt8
    /// Not defined for query_sm_resp in SMPP 3.4; kept when a peer sends them.
    public var tlvs: TLVs

    public init(
        messageID: String,
        finalDate: String = "",
        messageState: MessageState,
        errorCode: UInt8 = 0,
        tlvs: TLVs = []
    ) {
        self.messageID = messageID
        self.finalDate = finalDate
        self.messageState = messageState
        self.errorCode = errorCode
        self.tlvs = tlvs
    }
}

extension QuerySMResponse {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        self.finalDate = try body.readSMPPTime(.finalDate)
        self.messageState = MessageState(rawValue: try body.readSMPPInteger(.messageState))
        self.errorCode = try body.readSMPPInteger(.errorCode)
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        try buffer.writeSMPPTime(self.finalDate, .finalDate)
        buffer.writeMultipleIntegers(self.messageState.rawValue, self.errorCode)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
