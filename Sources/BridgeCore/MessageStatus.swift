public import SMPP

/// The status of an outbound message: one vocabulary in the API, the database and webhooks.
///
/// `scheduled` → `queued` → `sending` → `sent` → `delivered` | `undelivered` | `expired` |
/// `rejected`; `failed` (a permanent submit error, or retries exhausted) and `canceled` end a
/// message before it was sent.
public enum MessageStatus: String, Sendable, Hashable, CaseIterable, Codable {
    case scheduled
    case queued
    case sending
    case sent
    case delivered
    case undelivered
    case expired
    case rejected
    case failed
    case canceled

    /// Whether the status can no longer change.
    public var isFinal: Bool {
        switch self {
        case .scheduled, .queued, .sending, .sent: false
        case .delivered, .undelivered, .expired, .rejected, .failed, .canceled: true
        }
    }

    /// Whether the message may still be canceled (it has not been handed to an SMSC yet).
    public var isCancelable: Bool { self == .scheduled || self == .queued }

    /// The final status a receipt's state stands for, or `nil` for an intermediate state
    /// (ENROUTE, SCHEDLD) that changes nothing.
    public init?(receiptState state: MessageState) {
        switch state {
        case .delivered, .accepted: self = .delivered
        case .expired: self = .expired
        case .rejected: self = .rejected
        // Deleted at the SMSC (by its operator, or a cancel_sm of another ESME): not delivered.
        // `canceled` is the customer's own cancel, before sending.
        case .deleted, .undeliverable, .unknown, .skipped: self = .undelivered
        default: return nil
        }
    }

    /// The status of a whole message from the final statuses of its parts: delivered when every
    /// part is; otherwise the first failure among them, in order of precedence.
    public static func combined(_ parts: [MessageStatus]) -> MessageStatus? {
        guard !parts.isEmpty, parts.allSatisfy(\.isFinal) else { return nil }
        if parts.allSatisfy({ $0 == .delivered }) { return .delivered }
        for status in [MessageStatus.rejected, .undelivered, .expired, .failed, .canceled] where parts.contains(status)
        {
            return status
        }
        return .undelivered
    }
}
