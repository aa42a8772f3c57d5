/// Why an ESME session failed a request or closed.
public enum ESMESessionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// No response within the response timeout. The SMSC may or may not have acted on the request.
    case responseTimeout
    /// The connection closed before the response arrived.
    case connectionClosed
    /// The session is not bound (yet, or any more), or is unbinding.
    case notBound
    /// The window of outstanding requests is full.
    case windowFull
    /// The SMSC refused the bind.
    case bindFailed(CommandStatus)
    /// No bind response within the bind timeout.
    case bindTimeout
    /// The SMSC did not answer enquire_link: the link is considered dead.
    case peerNotResponding
    /// The SMSC answered with generic_nack.
    case genericNack(CommandStatus)
    /// The response could not be decoded.
    case malformedResponse(SMPPDecodingError)
    /// The SMSC unbound the session.
    case unboundByPeer
    /// The encoder refused the request, so it was never sent.
    case unencodable(SMPPEncodingError)

    /// Whether the same request may succeed if sent again (on this or another session).
    ///
    /// `responseTimeout` and `malformedResponse` are retryable but ambiguous: the SMSC may have
    /// accepted the request.
    public var isRetryable: Bool {
        switch self {
        case .responseTimeout, .connectionClosed, .notBound, .windowFull, .bindTimeout, .peerNotResponding,
            .malformedResponse, .unboundByPeer:
            true
        case .genericNack(let status):
            status.isTemporary
        case .bindFailed(let status):
            !status.isCredentialError
        case .unencodable:
            false
        }
    }

    public var description: String {
        switch self {
        case .responseTimeout: "no response within the response timeout"
        case .connectionClosed: "connection closed before the response"
        case .notBound: "session not bound"
        case .windowFull: "window of outstanding requests is full"
        case .bindFailed(let status): "bind refused: \(status)"
        case .bindTimeout: "no bind response within the bind timeout"
        case .peerNotResponding: "SMSC did not answer enquire_link"
        case .genericNack(let status): "generic_nack: \(status)"
        case .malformedResponse(let error): "malformed response: \(error)"
        case .unboundByPeer: "SMSC unbound the session"
        case .unencodable(let error): "request not encodable: \(error)"
        }
    }
}
