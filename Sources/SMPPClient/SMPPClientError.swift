public import SMPP

/// Why a submit did not succeed.
public enum SMPPClientError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The SMSC answered with this error status (after the throttling retries, for ESME_RTHROTTLED).
    case rejected(CommandStatus)
    /// The session failed the request: timeout, connection lost, unbound… The SMSC may have
    /// accepted it if the error is a timeout.
    case session(ESMESessionError)
    /// No bound session with room in its window took the request within the queue timeout.
    case queueTimeout
    /// The submit's send-by time passed before a session took it (see
    /// ``SMPPConnector/submit(parts:priority:sendBy:completion:)``): it was never sent.
    case expired
    /// Too many submits are waiting.
    case queueFull
    /// The connector cannot send: its credentials were refused (an alert), or it is paused.
    case unavailable(String)
    /// The connector is shutting down.
    case shuttingDown
    /// The message does not fit the protocol (a field too long, …).
    case invalidMessage(String)

    /// Whether sending the same message again later may succeed.
    public var isRetryable: Bool {
        switch self {
        case .rejected(let status): status.isTemporary
        case .session(let error): error.isRetryable
        case .queueTimeout, .queueFull, .unavailable, .shuttingDown: true
        case .invalidMessage, .expired: false
        }
    }

    /// Whether the request certainly never reached the SMSC: it waited for a session and none took
    /// it, or the connector could not send at all. A caller counting attempts at the SMSC leaves
    /// these out: an SMSC away for an hour is no reason to give a message up.
    public var neverReachedTheSMSC: Bool {
        switch self {
        case .queueTimeout, .expired, .queueFull, .unavailable, .shuttingDown: true
        case .rejected, .session, .invalidMessage: false
        }
    }

    /// The SMPP status behind the error, when there is one.
    public var commandStatus: CommandStatus? {
        switch self {
        case .rejected(let status): status
        case .session(.genericNack(let status)), .session(.bindFailed(let status)): status
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .rejected(let status): "rejected by the SMSC: \(status)"
        case .session(let error): "session: \(error)"
        case .queueTimeout: "no session could take the message in time"
        case .expired: "the message's send-by time passed before a session took it"
        case .queueFull: "too many messages waiting"
        case .unavailable(let reason): "connector unavailable: \(reason)"
        case .shuttingDown: "connector shutting down"
        case .invalidMessage(let reason): "invalid message: \(reason)"
        }
    }
}
