public import NIOCore

/// The body of submit_multi: one message to up to 254 SME addresses and distribution lists.
public struct SubmitMulti: Hashable, Sendable {
    /// One entry of the destination list.
    public enum Destination: Hashable, Sendable {
        /// `dest_flag` 1: an SME address.
        case address(Address)
        /// `dest_flag` 2: the name of a distribution list stored on the SMSC (at most 20 characters).
        case distributionList(String)
    }

    public var serviceType: String
    public var source: Address
    /// 1–254 entries.
    public var destinations: [Destination]
    public var esmClass: ESMClass
    public var protocolID: UInt8
    public var priorityFlag: UInt8
    public var scheduleDeliveryTime: String
    public var validityPeriod: String
    public var registeredDelivery: RegisteredDelivery
    public var replaceIfPresentFlag: UInt8
    public var dataCoding: DataCoding
    public var smDefaultMessageID: UInt8
    public var shortMessage: ByteBuffer
    public var tlvs: TLVs

    public init(
        serviceType: String = "",
        source: Address,
        destinations: [Destination],
        esmClass: ESMClass = .defaultMode,
        protocolID: UInt8 = 0,
        priorityFlag: UInt8 = 0,
        scheduleDeliveryTime: String = "",
        validityPeriod: String = "",
        registeredDelivery: RegisteredDelivery = .none,
        replaceIfPresentFlag: UInt8 = 0,
        dataCoding: DataCoding = .smscDefault,
        smDefaultMessageID: UInt8 = 0,
        shortMessage: ByteBuffer = ByteBuffer(),
        tlvs: TLVs = []
    ) {
        self.serviceType = serviceType
        self.source = source
        self.destinations = destinations
        self.esmClass = esmClass
        self.protocolID = protocolID
        self.priorityFlag = priorityFlag
        self.scheduleDeliveryTime = scheduleDeliveryTime
        self.validityPeriod = validityPeriod
        self.registeredDelivery = registeredDelivery
        self.replaceIfPresentFlag = replaceIfPresentFlag
        self.dataCoding = dataCoding
        self.smDefaultMessageID = smDefaultMessageID
        self.shortMessage = shortMessage
        self.tlvs = tlvs
    }
}

extension SubmitMulti {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.serviceType = try body.readSMPPCString(.serviceType, maxLength: limits.maximum(6))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(21))
        let count = try body.readSMPPInteger(.numberOfDestinations, as: UInt8.self)
        var destinations: [Destination] = []
        destinations.reserveCapacity(Int(count))
        for _ in 0..<count {
            let flag = try body.readSMPPInteger(.destinationFlag, as: UInt8.self)
            switch flag {
            case 1:
                destinations.append(
                    .address(try body.readSMPPAddress(.destinationAddress, maxLength: limits.maximum(21)))
                )
            case 2:
                destinations.append(
                    .distributionList(try body.readSMPPCString(.distributionListName, maxLength: limits.maximum(21)))
                )
            default:
                throw SMPPDecodingError(.invalidDestinationFlag(flag))
            }
        }
        self.destinations = destinations
        guard let (esmClass, protocolID, priorityFlag) = body.readMultipleIntegers(as: (UInt8, UInt8, UInt8).self)
        else { throw SMPPDecodingError(.truncated(.esmClass)) }
        self.esmClass = ESMClass(rawValue: esmClass)
        self.protocolID = protocolID
        self.priorityFlag = priorityFlag
        self.scheduleDeliveryTime = try body.readSMPPTime(.scheduleDeliveryTime)
        self.validityPeriod = try body.readSMPPTime(.validityPeriod)
        guard
            let (registeredDelivery, replace, dataCoding, defaultID) = body.readMultipleIntegers(
                as: (UInt8, UInt8, UInt8, UInt8).self
            )
        else { throw SMPPDecodingError(.truncated(.registeredDelivery)) }
        self.registeredDelivery = RegisteredDelivery(rawValue: registeredDelivery)
        self.replaceIfPresentFlag = replace
        self.dataCoding = DataCoding(rawValue: dataCoding)
        self.smDefaultMessageID = defaultID
        self.shortMessage = try body.readSMPPShortMessage()
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.serviceType, .serviceType, maxLength: 6)
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 21)
        guard self.destinations.count <= 254 else {
            throw SMPPEncodingError(.tooManyEntries(.numberOfDestinations, count: self.destinations.count))
        }
        buffer.writeInteger(UInt8(self.destinations.count))
        for destination in self.destinations {
            switch destination {
            case .address(let address):
                buffer.writeInteger(UInt8(1))
                try buffer.writeSMPPAddress(address, .destinationAddress, maxLength: 21)
            case .distributionList(let name):
                buffer.writeInteger(UInt8(2))
                try buffer.writeSMPPCString(name, .distributionListName, maxLength: 21)
            }
        }
        buffer.writeMultipleIntegers(self.esmClass.rawValue, self.protocolID, self.priorityFlag)
        try buffer.writeSMPPTime(self.scheduleDeliveryTime, .scheduleDeliveryTime)
        try buffer.writeSMPPTime(self.validityPeriod, .validityPeriod)
        buffer.writeMultipleIntegers(
            self.registeredDelivery.rawValue,
            self.replaceIfPresentFlag,
            self.dataCoding.rawValue,
            self.smDefaultMessageID
        )
        try buffer.writeSMPPShortMessage(self.shortMessage)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
