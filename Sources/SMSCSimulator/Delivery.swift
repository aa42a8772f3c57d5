internal import NIOCore
internal import SMPP

/// A deliver_sm (receipt or mobile-originated message) on its way to a receiving session.
struct Delivery: Sendable {
    enum Kind: Sendable, Hashable {
        /// A receipt about the stored record `key` (the message id, or `id/n` for further records
        /// sharing it), with its `stat:` word (for the log).
        case receipt(key: String, messageID: String, stat: String)
        case mo(id: String)
    }

    var kind: Kind
    /// The login whose sessions may receive it; `nil` lets any receiving session take it.
    var systemID: String?
    /// The session to try first (the one that submitted the message).
    var preferredSession: Int?
    var pdu: PDU
    /// Attempts made so far.
    var attempts: Int = 0
    /// The queue key in the pending store.
    var pendingKey: String { self.systemID ?? "" }
}

/// A receipt waiting for its delay to pass.
struct ScheduledReceipt: Sendable {
    var due: NIODeadline
    /// The stored record's key.
    var messageID: String
    var intermediate: Bool
}
