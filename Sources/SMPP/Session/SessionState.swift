/// The state of an SMPP session (SMPP 3.4 §2.2, with SMPP 5.0's UNBOUND and OUTBOUND).
public enum SessionState: Hashable, Sendable, CustomStringConvertible {
    /// Connected, not yet bound: only bind (or, from an SMSC, outbind) is meaningful.
    case open
    /// The SMSC connected to the ESME and sent outbind; the ESME's bind is expected.
    case outbound
    /// Bound with this type.
    case bound(BindType)
    /// An unbind has been exchanged; only enquire_link and generic_nack remain until the connection closes.
    case unbound
    /// No connection.
    case closed

    public var description: String {
        switch self {
        case .open: "OPEN"
        case .outbound: "OUTBOUND"
        case .bound(.transmitter): "BOUND_TX"
        case .bound(.receiver): "BOUND_RX"
        case .bound(.transceiver): "BOUND_TRX"
        case .unbound: "UNBOUND"
        case .closed: "CLOSED"
        }
    }

    /// Which side of a session sends a PDU.
    public enum Side: Hashable, Sendable {
        /// The client (External Short Message Entity).
        case esme
        /// The server (Short Message Service Centre).
        case smsc
    }

    /// Whether `side` may send a request with this command id in this state (SMPP.md §3.2).
    ///
    /// Responses are not judged here: a response is sent in whatever state its request arrived.
    /// A request that is not permitted is answered with its response and `ESME_RINVBNDSTS`
    /// (`ESME_RALYBND` for a second bind). enquire_link is accepted in every connected state, as
    /// SMPP 5.0 permits and real peers expect.
    public func permits(_ commandID: CommandID, from side: Side) -> Bool {
        switch commandID {
        case .enquireLink, .genericNack:
            return self != .closed
        case .bindTransmitter, .bindReceiver, .bindTransceiver:
            return side == .esme && (self == .open || self == .outbound)
        case .outbind:
            return side == .smsc && self == .open
        case .unbind:
            if case .bound = self { return true }
            return false
        case .submitSM, .submitMulti, .querySM, .cancelSM, .replaceSM:
            guard side == .esme, case .bound(let type) = self else { return false }
            return type.canSubmit
        case .deliverSM, .alertNotification:
            guard side == .smsc, case .bound(let type) = self else { return false }
            return type.canReceive
        case .dataSM:
            guard case .bound(let type) = self else { return false }
            return side == .esme ? type.canSubmit : type.canReceive
        default:
            return false
        }
    }

    /// The status a peer answers a request with when the session state does not permit it:
    /// `ESME_RALYBND` for a bind on a bound session, `ESME_RINVBNDSTS` otherwise.
    public func refusal(for commandID: CommandID) -> CommandStatus {
        if case .bound = self, BindType(commandID: commandID) != nil { return .alreadyBound }
        return .invalidBindStatus
    }
}
