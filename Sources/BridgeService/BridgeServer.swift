import BridgeCore
import BridgeHTTP
import BridgeStore
public import Foundation
import Hummingbird
public import Logging
import NIOCore
import PostgresNIO
public import Prometheus
import SMPP
import SMPPClient
public import ServiceLifecycle

/// The whole bridge in one service: the database pool, migrations, connectors, dispatcher,
/// inbound processor, maintenance and the HTTP API, started in that order and stopped in reverse.
///
/// On graceful shutdown the HTTP server stops accepting first, the dispatcher finishes its
/// in-flight submits and gives back what it claimed, the connectors unbind, what they still
/// receive is stored, and the database pool closes last.
public final class BridgeServer: Service, Sendable {
    /// Where the running server can be reached, for callers that asked for port 0.
    public struct Ready: Sendable {
        public var httpPort: Int
        public var instanceID: UUID
    }

    public let configuration: BridgeConfiguration
    let validated: BridgeConfiguration.Validated
    let logger: Logger
    let onReady: @Sendable (Ready) async -> Void
    /// Served on `/metrics` when set: the registry behind the process's `MetricsSystem`.
    let metrics: PrometheusCollectorRegistry?
    /// This process's id in the instances table: it owns the leases of what it claims.
    public let instanceID = UUID()
    /// How start-up waits for the database.
    let databaseWait: DatabaseWait

    /// How `run()` waits for a database that cannot be reached yet (one started together with
    /// the service, say): at most `attempts` plain connections, `interval` after each failure,
    /// each given `timeout`. 30 attempts a second apart, 5 s each.
    struct DatabaseWait: Sendable {
        var attempts = 30
        var interval: Duration = .seconds(1)
        var timeout: Duration = .seconds(5)
    }

    /// - Parameters:
    ///   - metrics: the Prometheus registry the process's `MetricsSystem` was bootstrapped with
    ///     (`MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))`), served on
    ///     `/metrics`; without one there is no `/metrics`.
    /// - Throws: ``BridgeConfigurationError`` naming the first invalid setting.
    public convenience init(
        configuration: BridgeConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        onReady: @escaping @Sendable (Ready) async -> Void = { _ in }
    ) throws(BridgeConfigurationError) {
        try self.init(
            configuration: configuration,
            logger: logger,
            metrics: metrics,
            databaseWait: DatabaseWait(),
            onReady: onReady
        )
    }

    init(
        configuration: BridgeConfiguration,
        logger: Logger,
        metrics: PrometheusCollectorRegistry? = nil,
        databaseWait: DatabaseWait,
        onReady: @escaping @Sendable (Ready) async -> Void = { _ in }
    ) throws(BridgeConfigurationError) {
        self.configuration = configuration
        self.validated = try configuration.validated()
        self.logger = logger
        self.metrics = metrics
        self.databaseWait = databaseWait
        self.onReady = onReady
    }

    /// Waits for the database, then runs until graceful shutdown. A graceful shutdown (or
    /// cancellation) while it waits ends the wait at once and returns.
    ///
    /// - Throws: ``BridgeConfigurationError`` naming `database.url` when the database could not be
    ///   reached in ``DatabaseWait/attempts`` attempts; the errors of preparing the database and of
    ///   the services.
    public func run() async throws {
        guard try await self.waitForDatabase() else { return }
        var clientConfiguration = self.validated.database.clientConfiguration
        clientConfiguration.options.maximumConnections = self.configuration.database.maxConnections
        let pool = PostgresPool(PostgresClient(configuration: clientConfiguration, backgroundLogger: self.logger))
        // The pool is a service of its own, first in the group so that it stops last: the others
        // still record what they finish while shutting down.
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: pool), .init(service: Bridge(server: self, pool: pool))],
                logger: self.logger
            )
        )
        try await group.run()
    }

    /// Probes the database with one plain connection per attempt until one succeeds (a pool would
    /// retry for a minute per attempt and then name only its circuit breaker). `false` when a
    /// graceful shutdown or cancellation came first.
    private func waitForDatabase() async throws -> Bool {
        let url = self.validated.database
        let wait = self.databaseWait
        let logger = self.logger
        do {
            try await cancelWhenGracefulShutdown {
                try await url.waitUntilReachable(
                    attempts: wait.attempts,
                    interval: wait.interval,
                    timeout: wait.timeout,
                    logger: logger
                )
            }
            return true
        } catch is CancellationError {
            logger.notice("stopped while waiting for the database")
            return false
        } catch let error as DatabaseUnreachable {
            throw BridgeConfigurationError(
                key: "database.url",
                problem: "\(error); gave up after \(wait.attempts) attempts"
            )
        }
    }

    /// Everything but the database pool: prepares the database, then runs the services.
    private struct Bridge: Service {
        let server: BridgeServer
        let pool: PostgresPool

        func run() async throws {
            await self.pool.waitUntilRunning()
            let store = PostgresStore(client: self.pool.client, logger: self.server.logger)
            guard let router = try await self.server.prepareDatabase(store: store) else { return }
            let services = try await self.server.makeServices(store: store, router: router)
            // Graceful shutdown reaches these through the enclosing group.
            try await ServiceGroup(
                configuration: .init(services: services.map { .init(service: $0) }, logger: self.server.logger)
            ).run()
        }
    }

    /// Applies pending migrations (or checks there are none) and resolves the inbound routes'
    /// accounts. The database answered a moment ago (``waitForDatabase()``) but may be gone again:
    /// while it cannot be reached (``isDatabaseUnavailable(_:)``, a connection ended in the middle
    /// of a migration included), each attempt fails with a warning and the next follows 100 ms to
    /// 5 s later; nothing else has started yet. A refusal — a migration error, pending migrations
    /// with `database.migrate` false, an inbound route naming no account — ends the run. `nil` when
    /// a graceful shutdown or cancellation came first.
    func prepareDatabase(store: PostgresStore) async throws -> InboundRouter<UUID>? {
        var retryDelay: Duration = .milliseconds(100)
        while true {
            do {
                let applied = try await MigrationRunner.bundled().prepare(
                    migrate: self.configuration.database.migrate,
                    on: store.client,
                    logger: self.logger
                )
                for migration in applied {
                    self.logger.notice("migration applied", metadata: ["migration": "\(migration.name)"])
                }
                return try await self.inboundRouter(store: store)
            } catch where isStopping(error) {
                self.logger.notice("stopped while preparing the database")
                return nil
            } catch where !(error is BridgeConfigurationError) && isDatabaseUnavailable(error) {
                self.logger.warning(
                    "preparing the database failed; trying again",
                    metadata: ["error": .databaseError(error), "retry_in": "\(retryDelay)"]
                )
            }
            do {
                try await cancelWhenGracefulShutdown { [retryDelay] in try await Task.sleep(for: retryDelay) }
            } catch {
                self.logger.notice("stopped while preparing the database")
                return nil
            }
            retryDelay = min(retryDelay * 2, .seconds(5))
        }
    }

    func makeServices(store: PostgresStore, router: InboundRouter<UUID>) async throws -> [any Service] {
        var connectors: [String: SMPPConnector] = [:]
        var builders: [String: SubmitBuilder] = [:]
        for configuration in self.validated.connectors {
            connectors[configuration.name] = try SMPPConnector(configuration: configuration, logger: self.logger)
            builders[configuration.name] = configuration.submitBuilder
        }
        let unrecorded = UnrecordedSubmissions()
        let dispatcher = Dispatcher(
            store: store,
            connectors: connectors,
            configuration: self.configuration.dispatcher.configuration,
            instanceID: self.instanceID,
            unrecorded: unrecorded,
            logger: self.logger
        )
        // Before the HTTP server starts: the first message accepted can go straight to it.
        await dispatcher.prepare()
        var inboundConfiguration = InboundProcessor.Configuration()
        inboundConfiguration.dedupeWindow = self.configuration.inbound.dedupeWindow.seconds
        inboundConfiguration.receiptGathering = self.configuration.inbound.receiptGathering.duration
        inboundConfiguration.instanceDeadAfter = self.configuration.maintenance.deadAfter.seconds
        inboundConfiguration.databaseTimeout = self.configuration.inbound.databaseTimeout.duration
        let inbound = InboundProcessor(
            store: store,
            connectors: connectors,
            router: router,
            configuration: inboundConfiguration,
            instanceID: self.instanceID,
            unrecorded: unrecorded,
            logger: self.logger
        )
        var maintenanceConfiguration = Maintenance.Configuration()
        maintenanceConfiguration.heartbeatInterval = self.configuration.maintenance.heartbeatInterval.duration
        maintenanceConfiguration.deadAfter = self.configuration.maintenance.deadAfter.seconds
        maintenanceConfiguration.reassemblyTimeout = self.configuration.inbound.reassemblyTimeout.seconds
        maintenanceConfiguration.unmatchedReceiptLifetime =
            self.configuration.maintenance.unmatchedReceiptLifetime.seconds
        maintenanceConfiguration.dedupeWindow = self.configuration.inbound.dedupeWindow.seconds
        let maintenance = Maintenance(
            store: store,
            instanceID: self.instanceID,
            router: router,
            configuration: maintenanceConfiguration,
            openConnections: { [connectors] in connectors.values.flatMap(\.openConnections) },
            logger: self.logger
        )
        let validator = MessageValidator(
            policy: self.validated.policy,
            router: self.validated.router,
            builders: builders
        )
        let http = try self.makeHTTPServer(
            store: store,
            validator: validator,
            connectors: connectors,
            dispatcher: dispatcher
        )
        let webhooks = WebhookWorker(
            store: store,
            configuration: self.configuration.webhooks.configuration(
                allowPrivate: self.configuration.allowsPrivateWebhookDestinations
            ),
            logger: self.logger
        )
        // Started in this order, stopped in reverse: HTTP, dispatcher, connectors, inbound,
        // maintenance, and the webhook worker last (it finishes its posts in flight).
        return [webhooks, maintenance, inbound] + connectors.keys.sorted().map { connectors[$0]! } + [dispatcher, http]
    }

    /// The inbound routes with account names resolved; every named account must exist.
    private func inboundRouter(store: PostgresStore) async throws -> InboundRouter<UUID> {
        let inbound = self.configuration.inbound
        var ids: [String: UUID] = [:]
        for name in inbound.accountNames.sorted() {
            guard let account = try await store.account(named: name) else {
                throw BridgeConfigurationError(
                    key: "inbound",
                    problem: "no account named \(name) (create it with `smsbridge accounts create \(name)`)"
                )
            }
            ids[name] = account.id
        }
        return InboundRouter(
            routes: inbound.routes.mapValues { ids[$0]! },
            prefixes: inbound.prefixes.mapValues { ids[$0]! },
            defaultAccount: inbound.defaultAccount.map { ids[$0]! }
        )
    }

    private func makeHTTPServer(
        store: PostgresStore,
        validator: MessageValidator,
        connectors: [String: SMPPConnector],
        dispatcher: Dispatcher
    ) throws -> some Service {
        let settings = self.configuration.http
        var apiConfiguration = BridgeAPI.Configuration()
        apiConfiguration.maximumBodySize = settings.maxBodySize
        apiConfiguration.defaultRateLimit = settings.defaultRateLimit
        apiConfiguration.rateLimitBurst = settings.rateLimitBurst
        apiConfiguration.maximumQueueDepth = settings.maxQueueDepth
        apiConfiguration.maximumQueueAge = settings.maxQueueAge?.duration
        apiConfiguration.databaseTimeout = settings.databaseTimeout.duration
        apiConfiguration.webhookSecretRotationOverlap = self.configuration.webhooks.secretRotationOverlap.duration
        let api = try BridgeAPI(
            store: store,
            validator: validator,
            configuration: apiConfiguration,
            handoff: self.configuration.dispatcher.handoff ? dispatcher : nil
        )
        let router = Router(context: APIRequestContext.self)
        // Before the routes: a middleware applies to the routes added after it.
        router.add(middleware: MetricsMiddleware())
        api.addRoutes(to: router)
        let health = HealthChecks(
            client: store.client,
            migrations: try MigrationRunner.bundled(),
            connectors: Array(connectors.values),
            logger: self.logger
        )
        health.addRoutes(to: router)
        if let metrics = self.metrics {
            MetricsEndpoint(registry: metrics, store: store).addRoutes(to: router)
        }
        if let token = self.configuration.admin.token {
            AdminAPI(
                token: token,
                store: store,
                connectors: connectors,
                dispatcher: dispatcher,
                databaseGate: DatabaseGate(
                    timeout: apiConfiguration.databaseTimeout,
                    retryAfter: apiConfiguration.databaseRetryAfter
                ),
                logger: self.logger
            ).addRoutes(to: router)
        }
        let instanceID = self.instanceID
        let onReady = self.onReady
        let application = Application(
            router: router,
            configuration: .init(
                address: .hostname(settings.host, port: settings.port),
                serverName: "SMSBridge"
            ),
            onServerRunning: { channel in
                await onReady(Ready(httpPort: channel.localAddress?.port ?? settings.port, instanceID: instanceID))
            },
            logger: self.logger
        )
        return Listener(
            server: application,
            hostKey: "http.host",
            portKey: "http.port",
            host: settings.host,
            port: settings.port
        )
    }
}
