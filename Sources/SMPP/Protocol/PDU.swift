/// The body of an SMPP PDU: one case per command of SMPP 3.4.
///
/// The header fields that are not implied by the case (`command_status`, `sequence_number`) travel
/// beside it in ``SMPPFrame``; the session assigns sequence numbers when it sends.
public enum PDU: Hashable, Sendable {
    case genericNack
    case bindReceiver(Bind)
    case bindReceiverResp(BindResponse)
    case bindTransmitter(Bind)
    case bindTransmitterResp(BindResponse)
    case bindTransceiver(Bind)
    case bindTransceiverResp(BindResponse)
    case outbind(Outbind)
    case unbind
    case unbindResp
    case submitSM(SubmitSM)
    case submitSMResp(SubmitSMResponse)
    case submitMulti(SubmitMulti)
    case submitMultiResp(SubmitMultiResponse)
    case deliverSM(DeliverSM)
    case deliverSMResp(DeliverSMResponse)
    case dataSM(DataSM)
    case dataSMResp(DataSMResponse)
    case querySM(QuerySM)
    case querySMResp(QuerySMResponse)
    case cancelSM(CancelSM)
    case cancelSMResp
    case replaceSM(ReplaceSM)
    case replaceSMResp
    case enquireLink
    case enquireLinkResp
    case alertNotification(AlertNotification)
    /// A `command_id` SMPP 3.4 does not define (including SMPP 5.0 broadcast operations).
    case unknown(UnknownPDU)

    /// The `command_id` this body travels with.
    public var commandID: CommandID {
        switch self {
        case .genericNack: .genericNack
        case .bindReceiver: .bindReceiver
        case .bindReceiverResp: .bindReceiverResp
        case .bindTransmitter: .bindTransmitter
        case .bindTransmitterResp: .bindTransmitterResp
        case .bindTransceiver: .bindTransceiver
        case .bindTransceiverResp: .bindTransceiverResp
        case .outbind: .outbind
        case .unbind: .unbind
        case .unbindResp: .unbindResp
        case .submitSM: .submitSM
        case .submitSMResp: .submitSMResp
        case .submitMulti: .submitMulti
        case .submitMultiResp: .submitMultiResp
        case .deliverSM: .deliverSM
        case .deliverSMResp: .deliverSMResp
        case .dataSM: .dataSM
        case .dataSMResp: .dataSMResp
        case .querySM: .querySM
        case .querySMResp: .querySMResp
        case .cancelSM: .cancelSM
        case .cancelSMResp: .cancelSMResp
        case .replaceSM: .replaceSM
        case .replaceSMResp: .replaceSMResp
        case .enquireLink: .enquireLink
        case .enquireLinkResp: .enquireLinkResp
        case .alertNotification: .alertNotification
        case .unknown(let unknown): unknown.commandID
        }
    }

    /// Whether this is a response PDU (never answered).
    @inlinable
    public var isResponse: Bool { self.commandID.isResponse }
}

/// One PDU as it travels on the wire: the body and the header fields it does not imply.
public struct SMPPFrame: Hashable, Sendable {
    public var commandStatus: CommandStatus
    public var sequenceNumber: UInt32
    public var pdu: PDU

    @inlinable
    public init(_ pdu: PDU, sequenceNumber: UInt32, commandStatus: CommandStatus = .ok) {
        self.commandStatus = commandStatus
        self.sequenceNumber = sequenceNumber
        self.pdu = pdu
    }

    @inlinable
    public var commandID: CommandID { self.pdu.commandID }

    /// The default largest PDU accepted: a full 64 KiB `message_payload` plus 1 KiB of other fields.
    public static let defaultMaximumLength = 65_536 + 1_024
}
