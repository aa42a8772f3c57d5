/// The `command_id` of an SMPP PDU: which operation it is, and whether it is a response.
///
/// Unknown values are representable so that a session can answer them with
/// `generic_nack` / ``CommandStatus/invalidCommandID`` instead of dropping the connection.
public struct CommandID: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt32

    @inlinable
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// The bit that marks a response (`0x80000000`).
    public static let responseBit: UInt32 = 0x8000_0000

    public static let genericNack = CommandID(rawValue: 0x8000_0000)
    public static let bindReceiver = CommandID(rawValue: 0x0000_0001)
    public static let bindReceiverResp = CommandID(rawValue: 0x8000_0001)
    public static let bindTransmitter = CommandID(rawValue: 0x0000_0002)
    public static let bindTransmitterResp = CommandID(rawValue: 0x8000_0002)
    public static let querySM = CommandID(rawValue: 0x0000_0003)
    public static let querySMResp = CommandID(rawValue: 0x8000_0003)
    public static let submitSM = CommandID(rawValue: 0x0000_0004)
    public static let submitSMResp = CommandID(rawValue: 0x8000_0004)
    public static let deliverSM = CommandID(rawValue: 0x0000_0005)
    public static let deliverSMResp = CommandID(rawValue: 0x8000_0005)
    public static let unbind = CommandID(rawValue: 0x0000_0006)
    public static let unbindResp = CommandID(rawValue: 0x8000_0006)
    public static let replaceSM = CommandID(rawValue: 0x0000_0007)
    public static let replaceSMResp = CommandID(rawValue: 0x8000_0007)
    public static let cancelSM = CommandID(rawValue: 0x0000_0008)
    public static let cancelSMResp = CommandID(rawValue: 0x8000_0008)
    public static let bindTransceiver = CommandID(rawValue: 0x0000_0009)
    public static let bindTransceiverResp = CommandID(rawValue: 0x8000_0009)
    public static let outbind = CommandID(rawValue: 0x0000_000B)
    public static let enquireLink = CommandID(rawValue: 0x0000_0015)
    public static let enquireLinkResp = CommandID(rawValue: 0x8000_0015)
    public static let submitMulti = CommandID(rawValue: 0x0000_0021)
    public static let submitMultiResp = CommandID(rawValue: 0x8000_0021)
    public static let alertNotification = CommandID(rawValue: 0x0000_0102)
    public static let dataSM = CommandID(rawValue: 0x0000_0103)
    public static let dataSMResp = CommandID(rawValue: 0x8000_0103)

    /// Whether the response bit is set. A response is never answered.
    @inlinable
    public var isResponse: Bool { self.rawValue & Self.responseBit != 0 }

    /// The id of the response to this request (`self | 0x80000000`).
    ///
    /// `outbind` and `alert_notification` have no response PDU; their "response id" is still
    /// computed arithmetically, and ``expectsResponse`` tells whether one is ever sent.
    @inlinable
    public var response: CommandID { CommandID(rawValue: self.rawValue | Self.responseBit) }

    /// Whether a peer must answer a request with this id (false for responses, `outbind` and `alert_notification`).
    public var expectsResponse: Bool {
        !self.isResponse && self != .outbind && self != .alertNotification
    }

    /// Whether this id is one defined by SMPP 3.4.
    public var isKnown: Bool { self.name != nil }

    /// The specification's name, e.g. `submit_sm`, or `nil` for an unassigned id.
    public var name: String? {
        switch self {
        case .genericNack: "generic_nack"
        case .bindReceiver: "bind_receiver"
        case .bindReceiverResp: "bind_receiver_resp"
        case .bindTransmitter: "bind_transmitter"
        case .bindTransmitterResp: "bind_transmitter_resp"
        case .querySM: "query_sm"
        case .querySMResp: "query_sm_resp"
        case .submitSM: "submit_sm"
        case .submitSMResp: "submit_sm_resp"
        case .deliverSM: "deliver_sm"
        case .deliverSMResp: "deliver_sm_resp"
        case .unbind: "unbind"
        case .unbindResp: "unbind_resp"
        case .replaceSM: "replace_sm"
        case .replaceSMResp: "replace_sm_resp"
        case .cancelSM: "cancel_sm"
        case .cancelSMResp: "cancel_sm_resp"
        case .bindTransceiver: "bind_transceiver"
        case .bindTransceiverResp: "bind_transceiver_resp"
        case .outbind: "outbind"
        case .enquireLink: "enquire_link"
        case .enquireLinkResp: "enquire_link_resp"
        case .submitMulti: "submit_multi"
        case .submitMultiResp: "submit_multi_resp"
        case .alertNotification: "alert_notification"
        case .dataSM: "data_sm"
        case .dataSMResp: "data_sm_resp"
        default: nil
        }
    }
}

extension CommandID: CustomStringConvertible {
    public var description: String {
        self.name ?? "command_id(0x\(String(self.rawValue, radix: 16, uppercase: true)))"
    }
}
