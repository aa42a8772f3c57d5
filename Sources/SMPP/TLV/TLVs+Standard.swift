public import NIOCore

// Typed views of the standard TLVs used by receipts, concatenation and sessions.
// A getter returns nil when the tag is absent or its value does not have the tag's format;
// a setter replaces the TLV in place (or appends it) and `nil` removes it.

extension TLVs {
    /// The integer value of the first TLV with this tag, if it is 1, 2 or 4 octets long.
    public func integer(_ tag: TLVTag) -> UInt32? {
        self[tag]?.integerValue
    }

    /// The text of the first TLV with this tag (up to its NUL).
    public func string(_ tag: TLVTag) -> String? {
        self[tag]?.stringValue
    }

    private mutating func update(_ tag: TLVTag, _ make: (TLVTag) -> TLV?) {
        if let tlv = make(tag) { self.set(tlv) } else { self.remove(tag) }
    }

    private func uint8(_ tag: TLVTag) -> UInt8? {
        guard let tlv = self[tag], tlv.value.readableBytes == 1 else { return nil }
        return tlv.value.getInteger(at: tlv.value.readerIndex)
    }

    private func uint16(_ tag: TLVTag) -> UInt16? {
        guard let tlv = self[tag], tlv.value.readableBytes == 2 else { return nil }
        return tlv.value.getInteger(at: tlv.value.readerIndex)
    }

    /// `receipted_message_id` (0x001E): the SMSC message id a receipt refers to.
    public var receiptedMessageID: String? {
        get { self.string(.receiptedMessageID) }
        set { self.update(.receiptedMessageID) { tag in newValue.map { TLV(tag: tag, cString: $0) } } }
    }

    /// `message_state` (0x0427): the state a receipt reports.
    public var messageState: MessageState? {
        get { self.uint8(.messageState).map(MessageState.init(rawValue:)) }
        set { self.update(.messageState) { tag in newValue.map { TLV(tag: tag, uint8: $0.rawValue) } } }
    }

    /// `network_error_code` (0x0423).
    public var networkErrorCode: NetworkErrorCode? {
        get {
            guard let tlv = self[.networkErrorCode], tlv.value.readableBytes == 3,
                let type = tlv.value.getInteger(at: tlv.value.readerIndex, as: UInt8.self),
                let code = tlv.value.getInteger(at: tlv.value.readerIndex + 1, as: UInt16.self)
            else { return nil }
            return NetworkErrorCode(networkType: type, errorCode: code)
        }
        set {
            self.update(.networkErrorCode) { tag in
                newValue.map { code in
                    var buffer = ByteBuffer()
                    buffer.writeInteger(code.networkType)
                    buffer.writeInteger(code.errorCode)
                    return TLV(tag: tag, value: buffer)
                }
            }
        }
    }

    /// `sar_msg_ref_num` (0x020C): the reference shared by all parts of a concatenated message.
    public var sarMessageReference: UInt16? {
        get { self.uint16(.sarMsgRefNum) }
        set { self.update(.sarMsgRefNum) { tag in newValue.map { TLV(tag: tag, uint16: $0) } } }
    }

    /// `sar_total_segments` (0x020E): the number of parts, 1–255.
    public var sarTotalSegments: UInt8? {
        get { self.uint8(.sarTotalSegments) }
        set { self.update(.sarTotalSegments) { tag in newValue.map { TLV(tag: tag, uint8: $0) } } }
    }

    /// `sar_segment_seqnum` (0x020F): this part's number, starting at 1.
    public var sarSegmentSequence: UInt8? {
        get { self.uint8(.sarSegmentSeqnum) }
        set { self.update(.sarSegmentSeqnum) { tag in newValue.map { TLV(tag: tag, uint8: $0) } } }
    }

    /// `message_payload` (0x0424): user data carried instead of `short_message`.
    public var messagePayload: ByteBuffer? {
        get { self[.messagePayload]?.value }
        set { self.update(.messagePayload) { tag in newValue.map { TLV(tag: tag, value: $0) } } }
    }

    /// `user_message_reference` (0x0204): the ESME's own reference for the message.
    public var userMessageReference: UInt16? {
        get { self.uint16(.userMessageReference) }
        set { self.update(.userMessageReference) { tag in newValue.map { TLV(tag: tag, uint16: $0) } } }
    }

    /// `source_port` (0x020A).
    public var sourcePort: UInt16? {
        get { self.uint16(.sourcePort) }
        set { self.update(.sourcePort) { tag in newValue.map { TLV(tag: tag, uint16: $0) } } }
    }

    /// `destination_port` (0x020B).
    public var destinationPort: UInt16? {
        get { self.uint16(.destinationPort) }
        set { self.update(.destinationPort) { tag in newValue.map { TLV(tag: tag, uint16: $0) } } }
    }

    /// `sc_interface_version` (0x0210): the SMPP version an SMSC announces in its bind response.
    public var scInterfaceVersion: InterfaceVersion? {
        get { self.uint8(.scInterfaceVersion).map(InterfaceVersion.init(rawValue:)) }
        set { self.update(.scInterfaceVersion) { tag in newValue.map { TLV(tag: tag, uint8: $0.rawValue) } } }
    }

    /// `additional_status_info_text` (0x001D): a readable explanation of a response status.
    public var additionalStatusInfoText: String? {
        get { self.string(.additionalStatusInfoText) }
        set { self.update(.additionalStatusInfoText) { tag in newValue.map { TLV(tag: tag, cString: $0) } } }
    }

    /// `delivery_failure_reason` (0x0425): 0 unavailable, 1 invalid address, 2 permanent, 3 temporary network error.
    public var deliveryFailureReason: UInt8? {
        get { self.uint8(.deliveryFailureReason) }
        set { self.update(.deliveryFailureReason) { tag in newValue.map { TLV(tag: tag, uint8: $0) } } }
    }

    /// `more_messages_to_send` (0x0426).
    public var moreMessagesToSend: Bool? {
        get { self.uint8(.moreMessagesToSend).map { $0 != 0 } }
        set { self.update(.moreMessagesToSend) { tag in newValue.map { TLV(tag: tag, uint8: $0 ? 1 : 0) } } }
    }

    /// `ms_availability_status` (0x0422) of an alert_notification: 0 available, 1 denied, 2 unavailable.
    public var msAvailabilityStatus: UInt8? {
        get { self.uint8(.msAvailabilityStatus) }
        set { self.update(.msAvailabilityStatus) { tag in newValue.map { TLV(tag: tag, uint8: $0) } } }
    }

    /// `payload_type` (0x0019): 0 default (WDP), 1 WCMP.
    public var payloadType: UInt8? {
        get { self.uint8(.payloadType) }
        set { self.update(.payloadType) { tag in newValue.map { TLV(tag: tag, uint8: $0) } } }
    }

    /// `qos_time_to_live` (0x0017): seconds a data_sm may wait before it is discarded.
    public var qosTimeToLive: UInt32? {
        get { self[.qosTimeToLive].flatMap { $0.value.readableBytes == 4 ? $0.integerValue : nil } }
        set { self.update(.qosTimeToLive) { tag in newValue.map { TLV(tag: tag, uint32: $0) } } }
    }
}
