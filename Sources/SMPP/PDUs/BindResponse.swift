internal import NIOCore

/// The body of bind_transmitter_resp, bind_receiver_resp and bind_transceiver_resp.
public struct BindResponse: Hashable, Sendable {
    /// The SMSC's identifier.
    public var systemID: String
    /// Usually `sc_interface_version`; when it is absent the ESME must not send TLVs.
    public var tlvs: TLVs

    public init(systemID: String, tlvs: TLVs = []) {
        self.systemID = systemID
        self.tlvs = tlvs
    }

    /// A response announcing `sc_interface_version`.
    public init(systemID: String, interfaceVersion: InterfaceVersion) {
        self.init(systemID: systemID)
        self.tlvs.scInterfaceVersion = interfaceVersion
    }

    /// Whether there is nothing to send: the specification omits the body of a failed bind response.
    var isEmpty: Bool { self.systemID.isEmpty && self.tlvs.isEmpty }
}

extension BindResponse {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.systemID = try body.readSMPPCString(.systemID, maxLength: limits.maximum(16))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.systemID, .systemID, maxLength: 16)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
