import Foundation

extension BridgeConfiguration {
    /// How webhook events are delivered (`webhooks:`).
    public struct Webhooks: Sendable, Codable {
        /// Rows claimed per query. Default 100.
        public var batchSize = 100
        /// Posts in flight at once from one instance. Default 256.
        public var maxInFlight = 256
        /// Posts in flight at once to one destination (host and port), shared fairly among the
        /// accounts posting there. Default 8.
        public var maxPerDestination = 8
        /// Polling when no notification comes. Default 1s.
        public var pollInterval: ConfigDuration = .seconds(1)
        /// Default 5s.
        public var connectTimeout: ConfigDuration = .seconds(5)
        /// The whole request, until the end of the answer. Default 10s.
        public var requestTimeout: ConfigDuration = .seconds(10)
        /// Delay after the first failed attempt. Default 5s.
        public var retryDelay: ConfigDuration = .seconds(5)
        /// Each further delay is this many times the previous. Default 2.
        public var retryMultiplier = 2.0
        /// Longest delay, and longest hold of a `Retry-After`. Default 1h.
        public var maxRetryDelay: ConfigDuration = .hours(1)
        /// Each delay varies at random by up to this fraction either way. Default 0.2.
        public var retryJitter = 0.2
        /// No attempt later than this after the event (or its redelivery); then it is dead. Default 24h.
        public var giveUpAfter: ConfigDuration = .hours(24)
        /// Attempts before an event is dead; null for no count limit. Default null.
        public var maxAttempts: Int?
        /// Consecutive failures that pause a destination. Default 10.
        public var breakerFailureThreshold = 10
        /// How long a paused destination waits before one trial post. Default 30s.
        public var breakerCooldown: ConfigDuration = .seconds(30)
        /// Post to private, loopback and link-local addresses (checked when a URL is given and
        /// again, resolved, before each post). Default false.
        public var allowPrivateDestinations = false
        /// How long the old secret keeps signing after a rotation, unless the request says. Default 24h.
        public var secretRotationOverlap: ConfigDuration = .hours(24)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case batchSize = "batch_size"
            case maxInFlight = "max_in_flight"
            case maxPerDestination = "max_per_destination"
            case pollInterval = "poll_interval"
            case connectTimeout = "connect_timeout"
            case requestTimeout = "request_timeout"
            case retryDelay = "retry_delay"
            case retryMultiplier = "retry_multiplier"
            case maxRetryDelay = "max_retry_delay"
            case retryJitter = "retry_jitter"
            case giveUpAfter = "give_up_after"
            case maxAttempts = "max_attempts"
            case breakerFailureThreshold = "breaker_failure_threshold"
            case breakerCooldown = "breaker_cooldown"
            case allowPrivateDestinations = "allow_private_destinations"
            case secretRotationOverlap = "secret_rotation_overlap"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.batchSize = try c(.batchSize, default: self.batchSize)
            self.maxInFlight = try c(.maxInFlight, default: self.maxInFlight)
            self.maxPerDestination = try c(.maxPerDestination, default: self.maxPerDestination)
            self.pollInterval = try c(.pollInterval, default: self.pollInterval)
            self.connectTimeout = try c(.connectTimeout, default: self.connectTimeout)
            self.requestTimeout = try c(.requestTimeout, default: self.requestTimeout)
            self.retryDelay = try c(.retryDelay, default: self.retryDelay)
            self.retryMultiplier = try c(.retryMultiplier, default: self.retryMultiplier)
            self.maxRetryDelay = try c(.maxRetryDelay, default: self.maxRetryDelay)
            self.retryJitter = try c(.retryJitter, default: self.retryJitter)
            self.giveUpAfter = try c(.giveUpAfter, default: self.giveUpAfter)
            self.maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts)
            self.breakerFailureThreshold = try c(.breakerFailureThreshold, default: self.breakerFailureThreshold)
            self.breakerCooldown = try c(.breakerCooldown, default: self.breakerCooldown)
            self.allowPrivateDestinations = try c(.allowPrivateDestinations, default: self.allowPrivateDestinations)
            self.secretRotationOverlap = try c(.secretRotationOverlap, default: self.secretRotationOverlap)
        }

        /// Checks every value; the error names the key.
        func validate() throws(BridgeConfigurationError) {
            func fail(_ key: String, _ problem: String) -> BridgeConfigurationError {
                BridgeConfigurationError(key: "webhooks.\(key)", problem: problem)
            }
            guard (1...10_000).contains(self.batchSize) else { throw fail("batch_size", "must be 1…10000") }
            guard self.maxInFlight >= 1 else { throw fail("max_in_flight", "must be ≥ 1") }
            guard self.maxPerDestination >= 1 else { throw fail("max_per_destination", "must be ≥ 1") }
            for (key, value) in [
                ("poll_interval", self.pollInterval), ("connect_timeout", self.connectTimeout),
                ("request_timeout", self.requestTimeout), ("retry_delay", self.retryDelay),
                ("max_retry_delay", self.maxRetryDelay), ("give_up_after", self.giveUpAfter),
                ("breaker_cooldown", self.breakerCooldown),
            ] where value.seconds <= 0 {
                throw fail(key, "must be > 0")
            }
            guard self.retryMultiplier >= 1 else { throw fail("retry_multiplier", "must be ≥ 1") }
            guard (0...1).contains(self.retryJitter) else { throw fail("retry_jitter", "must be 0…1") }
            if let attempts = self.maxAttempts, attempts < 1 { throw fail("max_attempts", "must be ≥ 1") }
            guard self.breakerFailureThreshold >= 1 else { throw fail("breaker_failure_threshold", "must be ≥ 1") }
        }

        /// The worker's configuration; `allowPrivate` also counts the older
        /// `messages.allow_private_callback_urls`.
        func configuration(allowPrivate: Bool) -> WebhookWorker.Configuration {
            var configuration = WebhookWorker.Configuration()
            configuration.batchSize = self.batchSize
            configuration.maxInFlight = self.maxInFlight
            configuration.maxPerDestination = self.maxPerDestination
            configuration.pollInterval = self.pollInterval.duration
            configuration.connectTimeout = self.connectTimeout.seconds
            configuration.requestTimeout = self.requestTimeout.seconds
            configuration.retry.firstDelay = self.retryDelay.seconds
            configuration.retry.multiplier = self.retryMultiplier
            configuration.retry.maximumDelay = self.maxRetryDelay.seconds
            configuration.retry.jitter = self.retryJitter
            configuration.retry.giveUpAfter = self.giveUpAfter.seconds
            configuration.retry.maximumAttempts = self.maxAttempts
            configuration.breakerFailureThreshold = self.breakerFailureThreshold
            configuration.breakerCooldown = self.breakerCooldown.seconds
            configuration.allowPrivateDestinations = allowPrivate
            return configuration
        }
    }
}
