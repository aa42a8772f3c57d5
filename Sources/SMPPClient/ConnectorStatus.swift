public import SMPP

/// A snapshot of a connector for operators.
public struct ConnectorStatus: Sendable, Hashable, Codable {
    /// `running`, `paused`, `alert` (credentials refused: not reconnecting), `draining` or `stopped`.
    public var state: String
    /// Why the connector is in alert, if it is.
    public var alert: String?
    public var name: String
    public var sessions: [Session]
    /// Submits waiting for a session, urgent and normal.
    public var queuedUrgent: Int
    public var queuedNormal: Int
    /// With `auto` id matching, the form receipts were found to write ids in, once learned.
    public var learnedIDForm: MessageIDNormalizer.Mode?

    /// One session slot.
    public struct Session: Sendable, Hashable, Codable {
        public var id: Int
        public var bindType: BindType
        /// `connecting`, `bound`, `closing` (the bound session is going), `waiting` (back-off before
        /// reconnecting), `idle` or `stopped`.
        public var state: String
        public var endpoint: String?
        public var inFlight: Int
        public var window: Int
        public var sent: Int
        public var errors: Int
        public var lastError: String?
        /// Set while the session pauses after ESME_RTHROTTLED / ESME_RMSGQFUL.
        public var throttled: Bool
        public var reconnects: Int
    }
}
