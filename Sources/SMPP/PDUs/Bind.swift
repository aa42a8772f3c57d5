internal import NIOCore

/// The body of bind_transmitter, bind_receiver and bind_transceiver.
public struct Bind: Hashable, Sendable {
    /// The ESME's login (at most 15 characters).
    public var systemID: String
    /// At most 8 characters.
    public var password: String
    /// The ESME category (at most 12 characters); usually empty. Some providers read flags from it.
    public var systemType: String
    public var interfaceVersion: InterfaceVersion
    /// The addresses the ESME serves (`address_range`, at most 40 characters); usually NULL.
    public var addressRange: Address
    /// Not defined for bind in SMPP 3.4; kept when a peer sends them.
    public var tlvs: TLVs

    public init(
        systemID: String,
        password: String,
        systemType: String = "",
        interfaceVersion: InterfaceVersion = .v34,
        addressRange: Address = .null,
        tlvs: TLVs = []
    ) {
        self.systemID = systemID
        self.password = password
        self.systemType = systemType
        self.interfaceVersion = interfaceVersion
        self.addressRange = addressRange
        self.tlvs = tlvs
    }
}

extension Bind {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.systemID = try body.readSMPPCString(.systemID, maxLength: limits.maximum(16))
        self.password = try body.readSMPPCString(.password, maxLength: limits.maximum(9))
        self.systemType = try body.readSMPPCString(.systemType, maxLength: limits.maximum(13))
        self.interfaceVersion = InterfaceVersion(rawValue: try body.readSMPPInteger(.interfaceVersion))
        self.addressRange = try body.readSMPPAddress(.addressRange, maxLength: limits.maximum(41))
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.systemID, .systemID, maxLength: 16)
        try buffer.writeSMPPCString(self.password, .password, maxLength: 9)
        try buffer.writeSMPPCString(self.systemType, .systemType, maxLength: 13)
        buffer.writeInteger(self.interfaceVersion.rawValue)
        try buffer.writeSMPPAddress(self.addressRange, .addressRange, maxLength: 41)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
