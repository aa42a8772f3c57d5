internal import NIOCore

/// The body of outbind: an SMSC asks the ESME it connected to for a bind_receiver.
public struct Outbind: Hashable, Sendable {
    public var systemID: String
    public var password: String
    /// Not defined for outbind in SMPP 3.4; kept when a peer sends them.
    public var tlvs: TLVs

    public init(systemID: String, password: String, tlvs: TLVs = []) {
        self.systemID = systemID
        self.password = password
        self.tlvs = tlvs
    }
}

extension Outbind {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.systemID = try body.readSMPPCString(.systemID, maxLength: limits.maximum(16))
        self.password = try body.readSMPPCString(.password, maxLength: limits.maximum(9))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.systemID, .systemID, maxLength: 16)
        try buffer.writeSMPPCString(self.password, .password, maxLength: 9)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
