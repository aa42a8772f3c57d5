public import NIOCore

/// The body of replace_sm: replaces the text (and times) of a pending message.
public struct ReplaceSM: Hashable, Sendable {
    public var messageID: String
    /// Must match the original submission's source.
    public var source: Address
    /// New value, or empty to keep the current one.
    public var scheduleDeliveryTime: String
    /// New value, or empty to keep the current one.
    public var validityPeriod: String
    public var registeredDelivery: RegisteredDelivery
    public var smDefaultMessageID: UInt8
    /// The new user data (at most 254 octets).
    public var shortMessage: ByteBuffer
    /// None in SMPP 3.4 (5.0 allows `message_payload`); kept when a peer sends them.
    public var tlvs: TLVs

    public init(
        messageID: String,
        source: Address,
        scheduleDeliveryTime: String = "",
        validityPeriod: String = "",
        registeredDelivery: RegisteredDelivery = .none,
        smDefaultMessageID: UInt8 = 0,
        shortMessage: ByteBuffer,
        tlvs: TLVs = []
    ) {
        self.messageID = messageID
        self.source = source
        self.scheduleDeliveryTime = scheduleDeliveryTime
        self.validityPeriod = validityPeriod
        self.registeredDelivery = registeredDelivery
        self.smDefaultMessageID = smDefaultMessageID
        self.shortMessage = shortMessage
        self.tlvs = tlvs
    }
}

extension ReplaceSM {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        self.source = try body.readSMPPAddress(.sourceAddress, maxLength: limits.maximum(21))
        self.scheduleDeliveryTime = try body.readSMPPTime(.scheduleDeliveryTime)
        self.validityPeriod = try body.readSMPPTime(.validityPeriod)
        guard let (registeredDelivery, defaultID) = body.readMultipleIntegers(as: (UInt8, UInt8).self)
        else { throw SMPPDecodingError(.truncated(.registeredDelivery)) }
        self.registeredDelivery = RegisteredDelivery(rawValue: registeredDelivery)
        self.smDefaultMessageID = defaultID
        self.shortMessage = try body.readSMPPShortMessage()
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        try buffer.writeSMPPAddress(self.source, .sourceAddress, maxLength: 21)
        try buffer.writeSMPPTime(self.scheduleDeliveryTime, .scheduleDeliveryTime)
        try buffer.writeSMPPTime(self.validityPeriod, .validityPeriod)
        buffer.writeMultipleIntegers(self.registeredDelivery.rawValue, self.smDefaultMessageID)
        try buffer.writeSMPPShortMessage(self.shortMessage)
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
