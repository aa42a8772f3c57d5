/// Running totals since start (or the last reset), for assertions and the control API.
public struct SimulatorCounters: Sendable, Hashable, Codable {
    public var connections = 0
    public var disconnections = 0
    public var binds = 0
    public var bindFailures = 0
    public var unbinds = 0
    public var enquireLinksReceived = 0
    public var enquireLinksSent = 0
    public var genericNacksSent = 0
    public var malformedPDUs = 0

    /// submit_sm, data_sm and submit_multi requests received.
    public var submitsReceived = 0
    /// Messages accepted and stored (a submit_multi counts once per destination).
    public var messagesAccepted = 0
    /// Submits answered with an error status, by status name.
    public var submitsRefused: [String: Int] = [:]
    public var throttled = 0
    public var windowExceeded = 0
    public var duplicatesRefused = 0
    public var floodBlocked = 0
    public var faultErrors = 0
    public var faultUnanswered = 0
    public var droppedConnections = 0

    public var queries = 0
    public var cancels = 0
    public var replaces = 0

    public var receiptsSent = 0
    public var receiptsAcknowledged = 0
    public var receiptsFailed = 0
    public var receiptRetries = 0
    public var moSent = 0
    public var moAcknowledged = 0
    public var moFailed = 0
    public var moRetries = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case connections, disconnections, binds
        case bindFailures = "bind_failures"
        case unbinds
        case enquireLinksReceived = "enquire_links_received"
        case enquireLinksSent = "enquire_links_sent"
        case genericNacksSent = "generic_nacks_sent"
        case malformedPDUs = "malformed_pdus"
        case submitsReceived = "submits_received"
        case messagesAccepted = "messages_accepted"
        case submitsRefused = "submits_refused"
        case throttled
        case windowExceeded = "window_exceeded"
        case duplicatesRefused = "duplicates_refused"
        case floodBlocked = "flood_blocked"
        case faultErrors = "fault_errors"
        case faultUnanswered = "fault_unanswered"
        case droppedConnections = "dropped_connections"
        case queries, cancels, replaces
        case receiptsSent = "receipts_sent"
        case receiptsAcknowledged = "receipts_acknowledged"
        case receiptsFailed = "receipts_failed"
        case receiptRetries = "receipt_retries"
        case moSent = "mo_sent"
        case moAcknowledged = "mo_acknowledged"
        case moFailed = "mo_failed"
        case moRetries = "mo_retries"
    }
}
