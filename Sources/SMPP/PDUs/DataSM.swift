internal import NIOCore

/// The body of data_sm: a message in either direction whose user data travels only in TLVs
/// (`message_payload`). Addresses may be up to 64 characters.
public struct DataSM: Hashable, Sendable {
    public var serviceType: String
    public var source: Address
    public var destination: Address
    public var esmClass: ESMClass
    public var registeredDelivery: RegisteredDelivery
    public var dataCoding: DataCoding
    public var tlvs: TLVs

    public init(
        serviceType: String = "",
        source: Address,
        destination: Address,
        esmClass: ESMClass = .defaultMode,
        registeredDelivery: RegisteredDelivery = .none,
        dataCoding: DataCoding = .smscDefault,
        tlvs: TLVs = []
    ) {
        self.serviceType = serviceType
        self.source = source
        self.destination = destination
        self.esmClass = esmClass
        self.registeredDelivery = registeredDelivery
        self.dataCoding = dataCoding
        self.tlvs = tlvs
    }
}

extension DataSM {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.serviceType = try body.readSMPPCString(.serviceType, maxLength: limits.maximum(6))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(65))
        self.destination = try body.readSMPPAddress(.destinationAddress, maxLength: limits.maximum(65))
        guard let (esmClass, registeredDelivery, dataCoding) = body.readMultipleIntegers(as: (UInt8, UInt8, UInt8).self)
        else { throw SMPPDecodingError(.truncated(.esmClass)) }
        self.esmClass = ESMClass(rawValue: esmClass)
        self.registeredDelivery = RegisteredDelivery(rawValue: registeredDelivery)
        self.dataCoding = DataCoding(rawValue: dataCoding)
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.serviceType, .serviceType, maxLength: 6)
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 65)
        try buffer.writeSMPPAddress(self.destination, .destinationAddress, maxLength: 65)
        buffer.writeMultipleIntegers(self.esmClass.rawValue, self.registeredDelivery.rawValue, self.dataCoding.rawValue)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
