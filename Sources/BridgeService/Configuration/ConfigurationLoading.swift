public import BridgeCore
public import BridgeStore
public import Foundation
public import SMPPClient
import Yams

extension BridgeConfiguration {
    /// Reads a YAML configuration, applies the environment's overrides and checks every value.
    ///
    /// Overrides: `SMSBRIDGE_DATABASE_URL`, `SMSBRIDGE_ADMIN_TOKEN`, and
    /// `SMSBRIDGE_CONNECTOR_<NAME>_PASSWORD` per connector.
    public static func load(
        from path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(BridgeConfigurationError) -> BridgeConfiguration {
        try Self.parse(try Self.read(path), environment: environment)
    }

    /// As ``load(from:environment:)``, from the file's text.
    public static func parse(
        _ yaml: String,
        environment: [String: String] = [:]
    ) throws(BridgeConfigurationError) -> BridgeConfiguration {
        var configuration = try Self.decode(BridgeConfiguration.self, yaml) ?? BridgeConfiguration()
        let variables = configuration.applyEnvironment(environment)
        do {
            _ = try configuration.validated()
        } catch {
            // A value the environment gave is named by its variable too: the file does not hold it.
            var error = error
            error.variable = variables[error.key]
            throw error
        }
        return configuration
    }

    /// The `database` section of a configuration file alone, with `SMSBRIDGE_DATABASE_URL` applied:
    /// what the commands that use nothing but the database read (`migrate`, `accounts`, `purge`).
    /// The other sections are not read, so that what only the service needs (a connector password
    /// it gets from its own environment) does not stop them.
    public static func loadDatabase(
        from path: String,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(BridgeConfigurationError) -> Database {
        struct DatabaseSection: Decodable {
            var database: Database?
        }
        var configuration = BridgeConfiguration()
        configuration.database = try Self.decode(DatabaseSection.self, try Self.read(path))?.database ?? Database()
        configuration.applyEnvironment(environment)
        return configuration.database
    }

    private static func read(_ path: String) throws(BridgeConfigurationError) -> String {
        do {
            return try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            // The system's reason ("No such file or directory"), not Foundation's sentence around it;
            // the path is already in front of the message.
            let reason = ((error as NSError).userInfo[NSUnderlyingErrorKey] as? POSIXError).map {
                String(cString: strerror($0.code.rawValue))
            }
            throw BridgeConfigurationError(key: "", problem: "cannot read the file: \(reason ?? "\(error)")")
        }
    }

    /// The file decoded, or nil when it is empty (a configuration of defaults).
    private static func decode<T: Decodable>(_ type: T.Type, _ yaml: String) throws(BridgeConfigurationError) -> T? {
        do {
            guard try Yams.load(yaml: yaml) != nil else { return nil }
            return try YAMLDecoder().decode(T.self, from: yaml)
        } catch let error as DecodingError {
            throw error.configurationError
        } catch let error as YamlError {
            throw BridgeConfigurationError(key: "", problem: "not valid YAML: \(error)")
        } catch {
            throw BridgeConfigurationError(key: "", problem: "\(error)")
        }
    }

    /// The configuration as YAML that ``parse(_:environment:)`` reads back to the same values.
    public var yaml: String {
        get throws { try YAMLEncoder().encode(self) }
    }

    /// Secrets the environment gives win over the file. Returns the keys set, each with the
    /// variable that set it (`database.url`: `SMSBRIDGE_DATABASE_URL`).
    @discardableResult
    public mutating func applyEnvironment(_ environment: [String: String]) -> [String: String] {
        var applied: [String: String] = [:]
        if let url = environment[Database.urlVariable], !url.isEmpty {
            self.database.url = url
            applied["database.url"] = Database.urlVariable
        }
        if let token = environment["SMSBRIDGE_ADMIN_TOKEN"], !token.isEmpty {
            self.admin.token = token
            applied["admin.token"] = "SMSBRIDGE_ADMIN_TOKEN"
        }
        for name in self.connectors.keys {
            let variable = Connector.passwordVariable(for: name)
            if let password = environment[variable] {
                self.connectors[name]?.password = password
                applied["connectors.\(name).password"] = variable
            }
        }
        return applied
    }

    /// What the service is built from, every value checked.
    public struct Validated: Sendable {
        public var database: DatabaseURL
        public var connectors: [ConnectorConfiguration]
        public var router: MessageRouter
        public var policy: MessagePolicy
    }

    /// Checks every value and how the sections refer to each other; the error names the key.
    public func validated() throws(BridgeConfigurationError) -> Validated {
        func fail(_ key: String, _ problem: String) -> BridgeConfigurationError {
            BridgeConfigurationError(key: key, problem: problem)
        }
        let database: DatabaseURL
        do {
            database = try DatabaseURL(self.database.url)
        } catch {
            throw fail("database.url", error.problem)
        }
        guard (1...1_000).contains(self.database.maxConnections) else {
            throw fail("database.max_connections", "must be 1…1000")
        }
        guard !self.http.host.isEmpty else { throw fail("http.host", "must not be empty") }
        if let token = self.admin.token, token.count < 16 {
            throw fail("admin.token", "must be at least 16 characters (or null to turn the admin API off)")
        }
        guard self.shutdown.deadline.seconds > 0 else { throw fail("shutdown.deadline", "must be > 0") }
        guard (0...65535).contains(self.http.port) else { throw fail("http.port", "must be 0…65535") }
        guard self.http.maxBodySize >= 1_024 else { throw fail("http.max_body_size", "must be at least 1024 bytes") }
        guard self.http.defaultRateLimit >= 0 else { throw fail("http.default_rate_limit", "must not be negative") }
        guard self.http.rateLimitBurst > 0 else { throw fail("http.rate_limit_burst", "must be > 0") }
        if let depth = self.http.maxQueueDepth, depth <= 0 { throw fail("http.max_queue_depth", "must be > 0") }
        guard self.http.databaseTimeout.seconds > 0 else { throw fail("http.database_timeout", "must be > 0") }
        // Receipts wait in memory for a report at most 2 s, and the SMSC waits for each receipt's answer.
        guard self.dispatcher.reportGathering.seconds <= 1 else {
            throw fail("dispatcher.report_gathering", "must be at most 1s (receipts wait for their report at most 2 s)")
        }
        guard self.inbound.databaseTimeout.seconds > 0 else { throw fail("inbound.database_timeout", "must be > 0") }
        guard self.inbound.receiptGathering.seconds <= 1 else {
            throw fail("inbound.receipt_gathering", "must be at most 1s (the SMSC waits for each receipt's answer)")
        }
        guard self.messages.minValidity.seconds <= self.messages.maxValidity.seconds else {
            throw fail("messages.min_validity", "must not exceed max_validity")
        }

        guard !self.connectors.isEmpty else { throw fail("connectors", "needs at least one connector") }
        var connectors: [ConnectorConfiguration] = []
        for name in self.connectors.keys.sorted() {
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
                throw fail("connectors.\(name)", "a connector name uses letters, digits, - and _")
            }
            connectors.append(try self.connectors[name]!.configuration(name: name))
            // A claimed message waits at most queue_timeout for a session or throughput; it must be
            // handed back before its lease runs out, or another instance could claim it again.
            guard self.connectors[name]!.queueTimeout.seconds < self.dispatcher.lease.seconds else {
                throw fail(
                    "connectors.\(name).queue_timeout",
                    "must be shorter than dispatcher.lease (\(self.dispatcher.lease.seconds) s): a message waiting "
                        + "longer could be claimed again by another instance"
                )
            }
        }
        let names = Set(self.connectors.keys)
        let defaultConnector: String
        if let chosen = self.routes.defaultConnector {
            guard names.contains(chosen) else {
                throw fail(
                    "routes.default",
                    "no connector named \(chosen) (connectors: \(names.sorted().joined(separator: ", ")))"
                )
            }
            defaultConnector = chosen
        } else if names.count == 1 {
            defaultConnector = names.first!
        } else {
            throw fail("routes.default", "is required with more than one connector")
        }
        var rules: [MessageRouter.Rule] = []
        for (prefix, connector) in self.routes.prefixes.sorted(by: { $0.key < $1.key }) {
            guard !prefix.isEmpty, prefix.allSatisfy(\.isASCIIDigit) else {
                throw fail("routes.prefixes.\(prefix)", "a prefix is digits (country and network codes, without +)")
            }
            guard names.contains(connector) else {
                throw fail("routes.prefixes.\(prefix)", "no connector named \(connector)")
            }
            rules.append(.init(prefix: prefix, connector: connector))
        }
        for (key, value) in [
            ("inbound.reassembly_timeout", self.inbound.reassemblyTimeout),
            ("inbound.dedupe_window", self.inbound.dedupeWindow),
            ("dispatcher.poll_interval", self.dispatcher.pollInterval), ("dispatcher.lease", self.dispatcher.lease),
            ("maintenance.heartbeat_interval", self.maintenance.heartbeatInterval),
            ("maintenance.dead_after", self.maintenance.deadAfter),
        ] where value.seconds <= 0 {
            throw fail(key, "must be > 0")
        }
        guard (1...10_000).contains(self.dispatcher.batchSize) else {
            throw fail("dispatcher.batch_size", "must be 1…10000")
        }
        guard self.dispatcher.maxInFlight >= 1 else { throw fail("dispatcher.max_in_flight", "must be ≥ 1") }
        guard self.dispatcher.maxAttempts >= 1 else { throw fail("dispatcher.max_attempts", "must be ≥ 1") }
        guard self.maintenance.deadAfter.seconds >= 2 * self.maintenance.heartbeatInterval.seconds else {
            throw fail("maintenance.dead_after", "must be at least twice heartbeat_interval")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(self.logging.level) else {
            throw fail("logging.level", "must be trace, debug, info, notice, warning, error or critical")
        }
        try self.webhooks.validate()
        var policy = self.messages.policy
        policy.callbackURLs.allowsPrivateAddresses = self.allowsPrivateWebhookDestinations
        return Validated(
            database: database,
            connectors: connectors,
            router: MessageRouter(defaultConnector: defaultConnector, rules: rules),
            policy: policy
        )
    }
}

extension BridgeConfiguration {
    /// `webhooks.allow_private_destinations`, or the older `messages.allow_private_callback_urls`.
    var allowsPrivateWebhookDestinations: Bool {
        self.webhooks.allowPrivateDestinations || self.messages.allowPrivateCallbackURLs
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { self >= "0" && self <= "9" }
}
