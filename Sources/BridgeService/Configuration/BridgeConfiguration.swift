public import BridgeCore
import Foundation

/// Everything `smsbridge serve` reads from its configuration file (YAML), with defaults for all
/// but the connectors. `docs/CONFIGURATION.md` documents every key; `smsbridge.example.yaml` shows
/// them in use. Secrets may come from the environment instead (see ``load(from:environment:)``).
public struct BridgeConfiguration: Sendable, Codable {
    public var database = Database()
    public var http = HTTP()
    public var messages = Messages()
    public var routes = Routes()
    /// By name.
    public var connectors: [String: Connector] = [:]
    public var inbound = Inbound()
    public var dispatcher = DispatcherSettings()
    public var maintenance = MaintenanceSettings()
    public var logging = Logging()
    public var admin = Admin()
    public var shutdown = Shutdown()
    public var webhooks = Webhooks()

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case database, http, messages, routes, connectors, inbound, dispatcher, maintenance, logging
        case webhooks, admin, shutdown
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        self.database = try c(.database, default: Database())
        self.http = try c(.http, default: HTTP())
        self.messages = try c(.messages, default: Messages())
        self.routes = try c(.routes, default: Routes())
        self.connectors = try c(.connectors, default: [:])
        self.inbound = try c(.inbound, default: Inbound())
        self.dispatcher = try c(.dispatcher, default: DispatcherSettings())
        self.maintenance = try c(.maintenance, default: MaintenanceSettings())
        self.logging = try c(.logging, default: Logging())
        self.webhooks = try c(.webhooks, default: Webhooks())
        self.admin = try c(.admin, default: Admin())
        self.shutdown = try c(.shutdown, default: Shutdown())
    }

    // MARK: Sections

    public struct Database: Sendable, Codable {
        /// `postgres://user:password@host:5432/database?sslmode=prefer`. Environment: ``urlVariable``.
        public var url = "postgres://smsbridge@localhost:5432/smsbridge"
        /// The environment variable that wins over ``url``.
        public static let urlVariable = "SMSBRIDGE_DATABASE_URL"
        /// Connections this instance opens at most. Default 20.
        public var maxConnections = 20
        /// Apply pending migrations at start-up. Default true.
        public var migrate = true

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case url
            case maxConnections = "max_connections"
            case migrate
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.url = try c(.url, default: self.url)
            self.maxConnections = try c(.maxConnections, default: self.maxConnections)
            self.migrate = try c(.migrate, default: self.migrate)
        }
    }

    public struct HTTP: Sendable, Codable {
        /// Default 127.0.0.1 (use 0.0.0.0 to listen on every interface).
        public var host = "127.0.0.1"
        /// Default 8080.
        public var port = 8080
        /// Largest request body. Default 1 MiB.
        public var maxBodySize = 1 << 20
        /// Messages per second an account may submit, unless the account has its own. Default 100.
        public var defaultRateLimit = 100.0
        /// Seconds of the rate an account may spend at once. Default 1.
        public var rateLimitBurst = 1.0
        /// Queue deeper than this answers 503. Default 100 000; `null` for no bound.
        public var maxQueueDepth: Int? = 100_000
        /// Oldest queued message older than this answers 503. Default 10m; `null` for no bound.
        public var maxQueueAge: ConfigDuration? = .minutes(10)
        /// A database call slower than this answers 503. Default 5s.
        public var databaseTimeout: ConfigDuration = .seconds(5)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case host, port
            case maxBodySize = "max_body_size"
            case defaultRateLimit = "default_rate_limit"
            case rateLimitBurst = "rate_limit_burst"
            case maxQueueDepth = "max_queue_depth"
            case maxQueueAge = "max_queue_age"
            case databaseTimeout = "database_timeout"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.host = try c(.host, default: self.host)
            self.port = try c(.port, default: self.port)
            self.maxBodySize = try c(.maxBodySize, default: self.maxBodySize)
            self.defaultRateLimit = try c(.defaultRateLimit, default: self.defaultRateLimit)
            self.rateLimitBurst = try c(.rateLimitBurst, default: self.rateLimitBurst)
            // An explicit null lifts the bound; a missing key keeps the default.
            self.maxQueueDepth =
                c.contains(.maxQueueDepth) ? try c.decodeIfPresent(Int.self, forKey: .maxQueueDepth) : 100_000
            self.maxQueueAge =
                c.contains(.maxQueueAge)
                ? try c.decodeIfPresent(ConfigDuration.self, forKey: .maxQueueAge) : .minutes(10)
            self.databaseTimeout = try c(.databaseTimeout, default: self.databaseTimeout)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.host, forKey: .host)
            try c.encode(self.port, forKey: .port)
            try c.encode(self.maxBodySize, forKey: .maxBodySize)
            try c.encode(self.defaultRateLimit, forKey: .defaultRateLimit)
            try c.encode(self.rateLimitBurst, forKey: .rateLimitBurst)
            // null lifts a bound, so it is written out.
            try c.encode(self.maxQueueDepth, forKey: .maxQueueDepth)
            try c.encode(self.maxQueueAge, forKey: .maxQueueAge)
            try c.encode(self.databaseTimeout, forKey: .databaseTimeout)
        }
    }

    /// Limits on what clients send.
    public struct Messages: Sendable, Codable {
        /// Default 7d.
        public var maxValidity: ConfigDuration = .days(7)
        /// Default 60s.
        public var minValidity: ConfigDuration = .seconds(60)
        /// How far ahead `send_at` may be. Default 365d.
        public var maxScheduleAhead: ConfigDuration = .days(365)
        /// Allow callback URLs on private, loopback and link-local addresses. Default false.
        public var allowPrivateCallbackURLs = false

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case maxValidity = "max_validity"
            case minValidity = "min_validity"
            case maxScheduleAhead = "max_schedule_ahead"
            case allowPrivateCallbackURLs = "allow_private_callback_urls"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.maxValidity = try c(.maxValidity, default: self.maxValidity)
            self.minValidity = try c(.minValidity, default: self.minValidity)
            self.maxScheduleAhead = try c(.maxScheduleAhead, default: self.maxScheduleAhead)
            self.allowPrivateCallbackURLs = try c(.allowPrivateCallbackURLs, default: self.allowPrivateCallbackURLs)
        }

        public var policy: MessagePolicy {
            var policy = MessagePolicy()
            policy.maximumValidity = Int(self.maxValidity.seconds)
            policy.minimumValidity = Int(self.minValidity.seconds)
            policy.maximumScheduleAhead = Int(self.maxScheduleAhead.seconds)
            policy.callbackURLs.allowsPrivateAddresses = self.allowPrivateCallbackURLs
            return policy
        }
    }

    /// Which connector carries a message: the longest matching prefix of the destination, else the default.
    public struct Routes: Sendable, Codable {
        /// Default: the only connector, when there is one.
        public var defaultConnector: String?
        /// Destination prefix (digits, without `+`) → connector name.
        public var prefixes: [String: String] = [:]

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case defaultConnector = "default"
            case prefixes
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.defaultConnector = try c.decodeIfPresent(String.self, forKey: .defaultConnector)
            self.prefixes = try c(.prefixes, default: [:])
        }
    }

    /// Where mobile-originated messages go.
    public struct Inbound: Sendable, Codable {
        /// Destination number or short code → account name.
        public var routes: [String: String] = [:]
        /// Destination prefix → account name, when no exact route matches.
        public var prefixes: [String: String] = [:]
        /// Account for what matches nothing; otherwise such messages are kept without an account.
        public var defaultAccount: String?
        /// Parts of a long message wait this long for the others. Default 5m.
        public var reassemblyTimeout: ConfigDuration = .minutes(5)
        /// A PDU repeated within this time is stored once. Default 10m.
        public var dedupeWindow: ConfigDuration = .minutes(10)
        /// Receipts wait this long for others to be stored with them. Default 25ms.
        public var receiptGathering: ConfigDuration = .seconds(0.025)
        /// Storing a receipt or an inbound message slower than this answers the SMSC with a
        /// temporary error. Default 3s (``InboundProcessor/Configuration/databaseTimeout``).
        public var databaseTimeout: ConfigDuration = .seconds(3)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case routes, prefixes
            case defaultAccount = "default_account"
            case reassemblyTimeout = "reassembly_timeout"
            case dedupeWindow = "dedupe_window"
            case receiptGathering = "receipt_gathering"
            case databaseTimeout = "database_timeout"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.routes = try c(.routes, default: [:])
            self.prefixes = try c(.prefixes, default: [:])
            self.defaultAccount = try c.decodeIfPresent(String.self, forKey: .defaultAccount)
            self.reassemblyTimeout = try c(.reassemblyTimeout, default: self.reassemblyTimeout)
            self.dedupeWindow = try c(.dedupeWindow, default: self.dedupeWindow)
            self.receiptGathering = try c(.receiptGathering, default: self.receiptGathering)
            self.databaseTimeout = try c(.databaseTimeout, default: self.databaseTimeout)
        }

        /// Every account name the routes use.
        public var accountNames: Set<String> {
            Set(self.routes.values).union(self.prefixes.values).union(self.defaultAccount.map { [$0] } ?? [])
        }
    }

    public struct DispatcherSettings: Sendable, Codable {
        /// Messages claimed per query. Default 500.
        public var batchSize = 500
        /// Messages being sent at once by this instance. Default 2000.
        public var maxInFlight = 2_000
        /// Polling when no notification comes. Default 1s.
        public var pollInterval: ConfigDuration = .seconds(1)
        /// How long a claim holds a message. Default 2m.
        public var lease: ConfigDuration = .minutes(2)
        /// First retry delay after a temporary failure, doubling per attempt. Default 5s.
        public var retryDelay: ConfigDuration = .seconds(5)
        /// Default 10m.
        public var maxRetryDelay: ConfigDuration = .minutes(10)
        /// Attempts before a message fails for good. Default 10.
        public var maxAttempts = 10
        /// Messages this instance accepts that are due at once go to its own dispatcher without a
        /// trip through the queue. Default true.
        public var handoff = true
        /// Submission reports wait this long for others to be recorded with them. Default 25ms.
        public var reportGathering: ConfigDuration = .seconds(0.025)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case batchSize = "batch_size"
            case maxInFlight = "max_in_flight"
            case pollInterval = "poll_interval"
            case lease
            case retryDelay = "retry_delay"
            case maxRetryDelay = "max_retry_delay"
            case maxAttempts = "max_attempts"
            case handoff
            case reportGathering = "report_gathering"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.batchSize = try c(.batchSize, default: self.batchSize)
            self.maxInFlight = try c(.maxInFlight, default: self.maxInFlight)
            self.pollInterval = try c(.pollInterval, default: self.pollInterval)
            self.lease = try c(.lease, default: self.lease)
            self.retryDelay = try c(.retryDelay, default: self.retryDelay)
            self.maxRetryDelay = try c(.maxRetryDelay, default: self.maxRetryDelay)
            self.maxAttempts = try c(.maxAttempts, default: self.maxAttempts)
            self.handoff = try c(.handoff, default: self.handoff)
            self.reportGathering = try c(.reportGathering, default: self.reportGathering)
        }

        public var configuration: Dispatcher.Configuration {
            var configuration = Dispatcher.Configuration()
            configuration.batchSize = self.batchSize
            configuration.maxInFlight = self.maxInFlight
            configuration.pollInterval = self.pollInterval.duration
            configuration.lease = self.lease.seconds
            configuration.retryDelay = self.retryDelay.seconds
            configuration.maximumRetryDelay = self.maxRetryDelay.seconds
            configuration.maxAttempts = self.maxAttempts
            configuration.handoff = self.handoff
            configuration.reportGathering = self.reportGathering.duration
            return configuration
        }
    }

    public struct MaintenanceSettings: Sendable, Codable {
        /// Default 5s.
        public var heartbeatInterval: ConfigDuration = .seconds(5)
        /// An instance silent this long is dead; its messages go back to the queue. Default 30s.
        public var deadAfter: ConfigDuration = .seconds(30)
        /// Unmatched receipts are kept this long. Default 3d.
        public var unmatchedReceiptLifetime: ConfigDuration = .days(3)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case heartbeatInterval = "heartbeat_interval"
            case deadAfter = "dead_after"
            case unmatchedReceiptLifetime = "unmatched_receipt_lifetime"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.heartbeatInterval = try c(.heartbeatInterval, default: self.heartbeatInterval)
            self.deadAfter = try c(.deadAfter, default: self.deadAfter)
            self.unmatchedReceiptLifetime = try c(.unmatchedReceiptLifetime, default: self.unmatchedReceiptLifetime)
        }
    }

    public struct Logging: Sendable, Codable {
        public enum Format: String, Sendable, Codable, CaseIterable {
            case text, json
        }

        /// trace, debug, info, notice, warning, error, critical. Default info.
        public var level = "info"
        /// Default text.
        public var format = Format.text

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case level, format
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.level = try c(.level, default: self.level)
            self.format = try c(.format, default: self.format)
        }
    }

    /// The operators' API under `/admin` (connector status, pause and resume, queue statistics).
    public struct Admin: Sendable, Codable {
        /// The bearer token the admin API requires; `null` (the default) turns the admin API off.
        /// Environment: `SMSBRIDGE_ADMIN_TOKEN`. At least 16 characters.
        public var token: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case token
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.token = try c.decodeIfPresent(String.self, forKey: .token)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.token, forKey: .token)
        }
    }

    /// What SIGTERM and SIGINT do.
    public struct Shutdown: Sendable, Codable {
        /// Longest graceful shutdown (stop accepting, finish in-flight submits, unbind, give back
        /// leases); what is still running then is cancelled. Default 30s.
        public var deadline: ConfigDuration = .seconds(30)

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case deadline
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.deadline = try c(.deadline, default: self.deadline)
        }
    }
}
