internal import NIOCore

/// The body of alert_notification: a handset the ESME asked about (via `set_dpf`) became reachable.
public struct AlertNotification: Hashable, Sendable {
    /// The handset (up to 64 characters).
    public var source: Address
    /// The ESME that asked to be alerted (up to 64 characters).
    public var esmeAddress: Address
    /// Usually `ms_availability_status`.
    public var tlvs: TLVs

    public init(source: Address, esmeAddress: Address, tlvs: TLVs = []) {
        self.source = source
        self.esmeAddress = esmeAddress
        self.tlvs = tlvs
    }
}

extension AlertNotification {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(65))
        self.esmeAddress = try body.readSMPPAddress(.esmeAddress, maxLength: limits.maximum(65))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 65)
        try buffer.writeSMPPAddress(self.esmeAddress, .esmeAddress, maxLength: 65)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
