extension BridgeAPI {
    /// The settings of the API. Every setting has a default (in its comment); ``validate()`` runs
    /// once, when ``BridgeAPI/init(store:validator:configuration:)`` is called.
    public struct Configuration: Sendable, Hashable {
        /// The largest request body, in bytes; larger ones get `413`. Default 1 MiB (1 048 576).
        public var maximumBodySize: Int = 1 << 20

        /// How long the account of an API key is remembered after a successful lookup; `.zero`
        /// looks every request up. A revoked key keeps working for at most this long. Default 10 s.
        public var authenticationCacheTTL: Duration = .seconds(10)
        /// How many API keys are remembered at most. Default 10 000.
        public var authenticationCacheCapacity: Int = 10_000

        /// Messages per second an account may send over HTTP when it has no `rate_limit` of its
        /// own; a batch counts every item. Default 100.
        public var defaultRateLimit: Double = 100
        /// Seconds of its rate an account may send at once (the bucket holds `rate × burst`
        /// messages, at least 1). Default 1.
        public var rateLimitBurst: Double = 1

        /// New messages get `503` while more messages than this are queued and due; `nil` sets
        /// no bound. Default 100 000.
        public var maximumQueueDepth: Int? = 100_000
        /// New messages get `503` while the oldest due message has waited longer than this; `nil`
        /// sets no bound. Default 10 minutes.
        public var maximumQueueAge: Duration? = .seconds(600)
        /// How often the queue's depth and age are read at most. Default 1 s.
        public var queueStatisticsInterval: Duration = .seconds(1)
        /// `Retry-After` of a `503` for a full queue, in seconds. Default 5.
        public var queueRetryAfter: Int = 5

        /// How long a database call may wait (for a connection, above all) before the request
        /// gets `503`. Default 5 s.
        public var databaseTimeout: Duration = .seconds(5)
        /// `Retry-After` of a `503` for an unreachable database, in seconds. Default 5.
        public var databaseRetryAfter: Int = 5

        /// How long the old webhook secret keeps signing after a rotation, unless the request
        /// says. Default 24 hours.
        public var webhookSecretRotationOverlap: Duration = .seconds(86_400)

        public init() {}

        /// Checks every setting.
        ///
        /// - Throws: ``ConfigurationError`` naming the first invalid setting.
        public func validate() throws(ConfigurationError) {
            func check(_ condition: Bool, _ key: String, _ reason: String) throws(ConfigurationError) {
                if !condition { throw ConfigurationError(key: key, reason: reason) }
            }
            try check(self.maximumBodySize >= 1024, "maximumBodySize", "must be at least 1024 bytes")
            try check(self.authenticationCacheTTL >= .zero, "authenticationCacheTTL", "must not be negative")
            try check(self.authenticationCacheCapacity >= 1, "authenticationCacheCapacity", "must be at least 1")
            try check(
                self.defaultRateLimit > 0 && self.defaultRateLimit.isFinite,
                "defaultRateLimit",
                "must be a positive number of messages per second"
            )
            try check(
                self.rateLimitBurst > 0 && self.rateLimitBurst.isFinite,
                "rateLimitBurst",
                "must be a positive number of seconds"
            )
            try check((self.maximumQueueDepth ?? 0) >= 0, "maximumQueueDepth", "must not be negative")
            try check((self.maximumQueueAge ?? .zero) >= .zero, "maximumQueueAge", "must not be negative")
            try check(self.queueStatisticsInterval >= .zero, "queueStatisticsInterval", "must not be negative")
            try check(self.queueRetryAfter >= 1, "queueRetryAfter", "must be at least 1 second")
            try check(self.databaseTimeout > .zero, "databaseTimeout", "must be positive")
            try check(self.databaseRetryAfter >= 1, "databaseRetryAfter", "must be at least 1 second")
            try check(
                self.webhookSecretRotationOverlap >= .zero,
                "webhookSecretRotationOverlap",
                "must not be negative"
            )
        }
    }
}

/// An invalid setting of ``BridgeAPI/Configuration``.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The setting, e.g. `maximumBodySize`.
    public var key: String
    public var reason: String

    public var description: String { "BridgeAPI.Configuration.\(self.key) \(self.reason)" }
}
