internal import NIOCore

/// The body of query_sm: asks for the state of a previously submitted message.
public struct QuerySM: Hashable, Sendable {
    /// The id from submit_sm_resp.
    public var messageID: String
    /// Must match the original submission's source.
    public var source: Address
    /// Not defined for query_sm in SMPP 3.4; kept when a peer sends them.
    public var tlvs: TLVs

    public init(messageID: String, source: Address, tlvs: TLVs = []) {
        self.messageID = messageID
        self.source = source
        self.tlvs = tlvs
    }
}

extension QuerySM {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(21))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 21)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
