/// How an ESME binds: as transmitter, receiver, or both on one connection.
public enum BindType: String, Hashable, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case transmitter
    case receiver
    case transceiver

    /// The bind request's command id.
    public var commandID: CommandID {
        switch self {
        case .transmitter: .bindTransmitter
        case .receiver: .bindReceiver
        case .transceiver: .bindTransceiver
        }
    }

    /// The bind type of a bind request or response id, or `nil` for any other command.
    public init?(commandID: CommandID) {
        switch commandID {
        case .bindTransmitter, .bindTransmitterResp: self = .transmitter
        case .bindReceiver, .bindReceiverResp: self = .receiver
        case .bindTransceiver, .bindTransceiverResp: self = .transceiver
        default: return nil
        }
    }

    /// Whether the ESME may submit messages (submit_sm, data_sm, query_sm, …) on such a session.
    public var canSubmit: Bool { self != .receiver }

    /// Whether the SMSC may deliver messages and receipts (deliver_sm, data_sm, alert_notification) on such a session.
    public var canReceive: Bool { self != .transmitter }

    /// The bind request PDU with this type.
    public func request(_ bind: Bind) -> PDU {
        switch self {
        case .transmitter: .bindTransmitter(bind)
        case .receiver: .bindReceiver(bind)
        case .transceiver: .bindTransceiver(bind)
        }
    }

    /// The bind response PDU with this type.
    public func response(_ response: BindResponse) -> PDU {
        switch self {
        case .transmitter: .bindTransmitterResp(response)
        case .receiver: .bindReceiverResp(response)
        case .transceiver: .bindTransceiverResp(response)
        }
    }

    public var description: String { self.rawValue }
}

extension PDU {
    /// The bind type and body when this PDU is a bind request.
    public var bindRequest: (type: BindType, bind: Bind)? {
        switch self {
        case .bindTransmitter(let bind): (.transmitter, bind)
        case .bindReceiver(let bind): (.receiver, bind)
        case .bindTransceiver(let bind): (.transceiver, bind)
        default: nil
        }
    }

    /// The bind type and body when this PDU is a bind response.
    public var bindResponse: (type: BindType, response: BindResponse)? {
        switch self {
        case .bindTransmitterResp(let response): (.transmitter, response)
        case .bindReceiverResp(let response): (.receiver, response)
        case .bindTransceiverResp(let response): (.transceiver, response)
        default: nil
        }
    }
}
