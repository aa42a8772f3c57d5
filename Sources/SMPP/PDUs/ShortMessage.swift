public import NIOCore

/// The body of submit_sm and deliver_sm, which share one layout (SMPP 3.4 §4.4.1 and §4.6.1).
///
/// In a deliver_sm, `source` is the handset (or, for a receipt, the original recipient) and
/// `destination` the ESME's address; `scheduleDeliveryTime`, `replaceIfPresentFlag` and
/// `smDefaultMessageID` are unused there.
public struct ShortMessage: Hashable, Sendable {
    /// Empty for the default service; e.g. "CMT", "WAP" (at most 5 characters).
    public var serviceType: String
    public var source: Address
    public var destination: Address
    public var esmClass: ESMClass
    /// GSM TP-PID; 0 normally.
    public var protocolID: UInt8
    /// 0–3.
    public var priorityFlag: UInt8
    /// Empty (deliver now) or 16 characters in SMPP time format (`YYMMDDhhmmsstnnp`).
    public var scheduleDeliveryTime: String
    /// Empty (SMSC default) or 16 characters in SMPP time format.
    public var validityPeriod: String
    public var registeredDelivery: RegisteredDelivery
    /// 0 don't replace, 1 replace.
    public var replaceIfPresentFlag: UInt8
    public var dataCoding: DataCoding
    /// 0 = not used; 1–254 index of a canned message.
    public var smDefaultMessageID: UInt8
    /// The user data, including the UDH when `esmClass` has UDHI. At most 254 octets; longer data
    /// travels in the `message_payload` TLV with an empty short message.
    public var shortMessage: ByteBuffer
    public var tlvs: TLVs

    public init(
        serviceType: String = "",
        source: Address,
        destination: Address,
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
        self.destination = destination
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

    /// The user data wherever it travels: `short_message`, or the `message_payload` TLV when the
    /// short message is empty.
    public var userData: ByteBuffer {
        if self.shortMessage.readableBytes == 0, let payload = self.tlvs.messagePayload { return payload }
        return self.shortMessage
    }
}

/// The body of submit_sm.
public typealias SubmitSM = ShortMessage
/// The body of deliver_sm.
public typealias DeliverSM = ShortMessage

extension ShortMessage {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.serviceType = try body.readSMPPCString(.serviceType, maxLength: limits.maximum(6))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(21))
        self.destination = try body.readSMPPAddress(.destinationAddress, maxLength: limits.maximum(21))
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
        try buffer.writeSMPPAddress(self.destination, .destinationAddress, maxLength: 21)
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
