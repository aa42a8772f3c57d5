/// The tag of an optional parameter (TLV).
///
/// Every standard tag of SMPP 3.4 (and the SMPP 5.0 additions) has a constant with its name and
/// wire format; tags in `0x1400`–`0x3FFF` are vendor-specific and, like any unknown tag, are
/// preserved byte-for-byte.
public struct TLVTag: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt16
    @inlinable public init(rawValue: UInt16) { self.rawValue = rawValue }
    @inlinable public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    /// How a standard tag's value travels on the wire.
    public enum Format: Hashable, Sendable {
        /// An unsigned big-endian integer of one of these sizes (normally exactly one size).
        case integer(sizes: [Int])
        /// A NUL-terminated string of at most `maxLength` octets including the NUL.
        case cString(maxLength: Int)
        /// Raw octets, `minLength`…`maxLength` long.
        case octets(minLength: Int, maxLength: Int)
    }

    public static let destAddrSubunit = TLVTag(0x0005)
    public static let destNetworkType = TLVTag(0x0006)
    public static let destBearerType = TLVTag(0x0007)
    public static let destTelematicsID = TLVTag(0x0008)
    public static let sourceAddrSubunit = TLVTag(0x000D)
    public static let sourceNetworkType = TLVTag(0x000E)
    public static let sourceBearerType = TLVTag(0x000F)
    public static let sourceTelematicsID = TLVTag(0x0010)
    public static let qosTimeToLive = TLVTag(0x0017)
    public static let payloadType = TLVTag(0x0019)
    public static let additionalStatusInfoText = TLVTag(0x001D)
    public static let receiptedMessageID = TLVTag(0x001E)
    public static let msMsgWaitFacilities = TLVTag(0x0030)
    public static let privacyIndicator = TLVTag(0x0201)
    public static let sourceSubaddress = TLVTag(0x0202)
    public static let destSubaddress = TLVTag(0x0203)
    public static let userMessageReference = TLVTag(0x0204)
    public static let userResponseCode = TLVTag(0x0205)
    public static let sourcePort = TLVTag(0x020A)
    public static let destinationPort = TLVTag(0x020B)
    public static let sarMsgRefNum = TLVTag(0x020C)
    public static let languageIndicator = TLVTag(0x020D)
    public static let sarTotalSegments = TLVTag(0x020E)
    public static let sarSegmentSeqnum = TLVTag(0x020F)
    public static let scInterfaceVersion = TLVTag(0x0210)
    public static let callbackNumPresInd = TLVTag(0x0302)
    public static let callbackNumAtag = TLVTag(0x0303)
    public static let numberOfMessages = TLVTag(0x0304)
    public static let callbackNum = TLVTag(0x0381)
    public static let dpfResult = TLVTag(0x0420)
    public static let setDPF = TLVTag(0x0421)
    public static let msAvailabilityStatus = TLVTag(0x0422)
    public static let networkErrorCode = TLVTag(0x0423)
    public static let messagePayload = TLVTag(0x0424)
    public static let deliveryFailureReason = TLVTag(0x0425)
    public static let moreMessagesToSend = TLVTag(0x0426)
    public static let messageState = TLVTag(0x0427)
    /// SMPP 5.0.
    public static let congestionState = TLVTag(0x0428)
    public static let ussdServiceOp = TLVTag(0x0501)
    public static let displayTime = TLVTag(0x1201)
    public static let smsSignal = TLVTag(0x1203)
    public static let msValidity = TLVTag(0x1204)
    public static let alertOnMessageDelivery = TLVTag(0x130C)
    public static let itsReplyType = TLVTag(0x1380)
    public static let itsSessionInfo = TLVTag(0x1383)

    /// The range the specification reserves for SMSC vendors.
    public static let vendorSpecificRange: ClosedRange<UInt16> = 0x1400...0x3FFF

    /// Whether the tag lies in the vendor-specific range.
    public var isVendorSpecific: Bool { Self.vendorSpecificRange.contains(self.rawValue) }

    /// The specification name (e.g. `receipted_message_id`), or `nil` for an unknown or vendor tag.
    public var name: String? { Self.definitions[self]?.name }

    /// The wire format of a standard tag, or `nil` for an unknown or vendor tag (kept as raw octets).
    public var format: Format? { Self.definitions[self]?.format }

    /// One standard tag: name and format.
    public struct Definition: Hashable, Sendable {
        public let tag: TLVTag
        public let name: String
        public let format: Format
    }

    /// Every standard tag with a defined format, in numeric order. SMPP 5.0 broadcast and
    /// network-id tags are not listed: they are decoded generically, as raw octets.
    public static let allDefined: [Definition] = [
        .init(tag: .destAddrSubunit, name: "dest_addr_subunit", format: .integer(sizes: [1])),
        .init(tag: .destNetworkType, name: "dest_network_type", format: .integer(sizes: [1])),
        .init(tag: .destBearerType, name: "dest_bearer_type", format: .integer(sizes: [1])),
        .init(tag: .destTelematicsID, name: "dest_telematics_id", format: .integer(sizes: [2])),
        .init(tag: .sourceAddrSubunit, name: "source_addr_subunit", format: .integer(sizes: [1])),
        .init(tag: .sourceNetworkType, name: "source_network_type", format: .integer(sizes: [1])),
        .init(tag: .sourceBearerType, name: "source_bearer_type", format: .integer(sizes: [1])),
        // Implementations disagree on its size (1 or 2 octets): accept both.
        .init(tag: .sourceTelematicsID, name: "source_telematics_id", format: .integer(sizes: [2, 1])),
        .init(tag: .qosTimeToLive, name: "qos_time_to_live", format: .integer(sizes: [4])),
        .init(tag: .payloadType, name: "payload_type", format: .integer(sizes: [1])),
        .init(tag: .additionalStatusInfoText, name: "additional_status_info_text", format: .cString(maxLength: 256)),
        .init(tag: .receiptedMessageID, name: "receipted_message_id", format: .cString(maxLength: 65)),
        .init(tag: .msMsgWaitFacilities, name: "ms_msg_wait_facilities", format: .integer(sizes: [1])),
        .init(tag: .privacyIndicator, name: "privacy_indicator", format: .integer(sizes: [1])),
        .init(tag: .sourceSubaddress, name: "source_subaddress", format: .octets(minLength: 2, maxLength: 23)),
        .init(tag: .destSubaddress, name: "dest_subaddress", format: .octets(minLength: 2, maxLength: 23)),
        .init(tag: .userMessageReference, name: "user_message_reference", format: .integer(sizes: [2])),
        .init(tag: .userResponseCode, name: "user_response_code", format: .integer(sizes: [1])),
        .init(tag: .sourcePort, name: "source_port", format: .integer(sizes: [2])),
        .init(tag: .destinationPort, name: "destination_port", format: .integer(sizes: [2])),
        .init(tag: .sarMsgRefNum, name: "sar_msg_ref_num", format: .integer(sizes: [2])),
        .init(tag: .languageIndicator, name: "language_indicator", format: .integer(sizes: [1])),
        .init(tag: .sarTotalSegments, name: "sar_total_segments", format: .integer(sizes: [1])),
        .init(tag: .sarSegmentSeqnum, name: "sar_segment_seqnum", format: .integer(sizes: [1])),
        .init(tag: .scInterfaceVersion, name: "sc_interface_version", format: .integer(sizes: [1])),
        .init(tag: .callbackNumPresInd, name: "callback_num_pres_ind", format: .integer(sizes: [1])),
        .init(tag: .callbackNumAtag, name: "callback_num_atag", format: .octets(minLength: 0, maxLength: 65)),
        .init(tag: .numberOfMessages, name: "number_of_messages", format: .integer(sizes: [1])),
        .init(tag: .callbackNum, name: "callback_num", format: .octets(minLength: 4, maxLength: 19)),
        .init(tag: .dpfResult, name: "dpf_result", format: .integer(sizes: [1])),
        .init(tag: .setDPF, name: "set_dpf", format: .integer(sizes: [1])),
        .init(tag: .msAvailabilityStatus, name: "ms_availability_status", format: .integer(sizes: [1])),
        .init(tag: .networkErrorCode, name: "network_error_code", format: .octets(minLength: 3, maxLength: 3)),
        .init(tag: .messagePayload, name: "message_payload", format: .octets(minLength: 0, maxLength: 65535)),
        .init(tag: .deliveryFailureReason, name: "delivery_failure_reason", format: .integer(sizes: [1])),
        .init(tag: .moreMessagesToSend, name: "more_messages_to_send", format: .integer(sizes: [1])),
        .init(tag: .messageState, name: "message_state", format: .integer(sizes: [1])),
        .init(tag: .congestionState, name: "congestion_state", format: .integer(sizes: [1])),
        .init(tag: .ussdServiceOp, name: "ussd_service_op", format: .integer(sizes: [1])),
        .init(tag: .displayTime, name: "display_time", format: .integer(sizes: [1])),
        .init(tag: .smsSignal, name: "sms_signal", format: .integer(sizes: [2])),
        // 1 octet in 3.4; 5.0 adds a 4-octet relative form.
        .init(tag: .msValidity, name: "ms_validity", format: .octets(minLength: 1, maxLength: 4)),
        // Empty in 3.4; 5.0 allows one octet.
        .init(
            tag: .alertOnMessageDelivery,
            name: "alert_on_message_delivery",
            format: .octets(minLength: 0, maxLength: 1)
        ),
        .init(tag: .itsReplyType, name: "its_reply_type", format: .integer(sizes: [1])),
        .init(tag: .itsSessionInfo, name: "its_session_info", format: .octets(minLength: 2, maxLength: 2)),
    ]

    private static let definitions: [TLVTag: Definition] = Dictionary(
        uniqueKeysWithValues: allDefined.map { ($0.tag, $0) }
    )

    /// Whether `length` octets are a valid value for this tag. Unknown tags accept any length.
    ///
    /// C-string values are accepted without their terminating NUL (a common SMSC habit) as long as
    /// they fit the maximum.
    public func isValidLength(_ length: Int) -> Bool {
        switch self.format {
        case nil: true
        case .integer(let sizes): sizes.contains(length)
        case .cString(let maxLength): length <= maxLength
        case .octets(let minLength, let maxLength): length >= minLength && length <= maxLength
        }
    }
}

extension TLVTag: CustomStringConvertible {
    public var description: String {
        let hex = String(self.rawValue, radix: 16, uppercase: true)
        let padded = "0x" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        if let name = self.name { return "\(name) (\(padded))" }
        return padded
    }
}
