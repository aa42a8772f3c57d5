import BridgeCore
import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import ServiceLifecycle
import Synchronization

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    // SMSBRIDGE_TEST_LOG=debug shows what the services do.
    logger.logLevel =
        ProcessInfo.processInfo.environment["SMSBRIDGE_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .warning
    return logger
}

/// A simulator on a free loopback port without its control API; retries deliveries after 0.2 s.
func startSimulator(
    receiptDelay: Double,
    _ adjust: (inout SimulatorConfiguration) -> Void = { _ in }
) async throws -> SMSCSimulator {
    var configuration = SimulatorConfiguration()
    configuration.port = 0
    configuration.control = nil
    configuration.receipts.delay = receiptDelay
    configuration.deliveryRetryInterval = 0.2
    configuration.seed = 11
    adjust(&configuration)
    let simulator = SMSCSimulator(configuration: configuration, logger: quietLogger("sim"))
    try await simulator.start()
    return simulator
}

/// One running bridge process without its HTTP side: its own connector (SMPP sessions as
/// `bridge-<n>`), dispatcher, inbound processor and maintenance, sharing the database.
struct BridgeInstance {
    let id: UUID
    let connector: SMPPConnector
    let dispatcher: Dispatcher
    let webhooks: WebhookWorker
    let group: ServiceGroup
    let running: Task<Void, any Error>
    /// How the service group ended, once it has: for failure messages (a group that ends early
    /// takes the connector down with it).
    let ended: GroupOutcome

    /// Shuts the instance down gracefully and waits until it has.
    func stop() async throws {
        try await watch("bridge instance shutdown") {
            await self.group.triggerGracefulShutdown()
            try await self.running.value
        }
    }
}

final class GroupOutcome: Sendable {
    let value = Mutex<String?>(nil)
}

/// Bridges on one fresh database and one simulator.
struct Bridge {
    let store: PostgresStore
    let simulator: SMSCSimulator
    let instances: [BridgeInstance]
    let account: UUID
    let validator: MessageValidator

    var dispatcher: Dispatcher { self.instances[0].dispatcher }
    var connector: SMPPConnector { self.instances[0].connector }
    var webhooks: WebhookWorker { self.instances[0].webhooks }

    /// Validates and inserts a message as the API would, and wakes the dispatcher.
    func send(_ request: SendRequest) async throws -> UUID {
        let message = try self.validator.validate(request, accountID: self.account, now: Date()).get()
        try await self.store.insert([message])
        self.dispatcher.wake()
        return message.id
    }

    func message(_ id: UUID) async throws -> MessageRecord? {
        try await self.store.message(id: id, accountID: self.account)
    }

    /// How many of these messages have each status.
    func statusCounts(_ ids: [UUID]) async throws -> [MessageStatus: Int] {
        var counts: [MessageStatus: Int] = [:]
        for id in ids { counts[try await self.message(id)!.status, default: 0] += 1 }
        return counts
    }

    /// Waits until the message has this status.
    func waitFor(_ id: UUID, _ status: MessageStatus, timeout: Duration = .seconds(10)) async throws -> MessageRecord {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var last: MessageRecord?
        while clock.now < deadline {
            last = try await self.message(id)
            if let last, last.status == status { return last }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError(
            description: "message \(id) did not reach \(status); last status \(String(describing: last?.status))"
        )
    }

    /// Waits until the simulator's counters meet `condition`; on timeout the error names them.
    func waitForSimulator(
        _ what: String,
        timeout: Duration = .seconds(10),
        _ condition: (SimulatorCounters) -> Bool
    ) async throws {
        do {
            try await waitUntil(what, timeout: timeout) { condition(self.simulator.counters) }
        } catch {
            let groups = self.instances.map { $0.ended.value.withLock { $0 } ?? "running" }
            throw HarnessError(
                description: "\(error); the simulator's counters: \(self.simulator.counters); service groups: \(groups)"
            )
        }
    }

    /// Stops every instance gracefully (the last one first).
    func stop() async throws {
        for instance in self.instances.reversed() { try await instance.stop() }
    }
}

struct HarnessError: Error, CustomStringConvertible {
    var description: String
}

/// Starts a simulator and `instances` bridges on a fresh database, runs `body`, and shuts
/// everything down gracefully. `prepare` runs on the database before any service starts.
func withBridge<T>(
    instances count: Int = 1,
    simulator simulatorAdjust: (inout SimulatorConfiguration) -> Void = { _ in },
    connector connectorAdjust: (inout ConnectorConfiguration) -> Void = { _ in },
    dispatcher dispatcherAdjust: (inout Dispatcher.Configuration) -> Void = { _ in },
    maintenance maintenanceAdjust: (inout Maintenance.Configuration) -> Void = { _ in },
    webhooks webhooksAdjust: (inout WebhookWorker.Configuration) -> Void = { _ in },
    inbound inboundAdjust: (inout InboundProcessor.Configuration) -> Void = { _ in },
    inboundRoutes: [String: String] = [:],
    prepare: (PostgresStore, _ account: UUID) async throws -> Void = { _, _ in },
    _ body: @escaping (Bridge) async throws -> T
) async throws -> T {
    let simulator = try await watch("start simulator") { try await startSimulator(receiptDelay: 0, simulatorAdjust) }
    defer { Task { await simulator.stop() } }

    return try await withStore("bridge") { store in
        let account = try await store.createAccount(name: "acme").account.id
        var accounts: [String: UUID] = ["acme": account]
        for name in Set(inboundRoutes.values) where accounts[name] == nil {
            accounts[name] = try await store.createAccount(name: name).account.id
        }
        try await prepare(store, account)
        let router = InboundRouter(routes: inboundRoutes).map { accounts[$0] }
        var builder = SubmitBuilder()
        var instances: [BridgeInstance] = []
        for index in 0..<count {
            var connectorConfiguration = ConnectorConfiguration(
                name: "main",
                endpoints: [.init(host: "127.0.0.1", port: simulator.port!)],
                systemID: "bridge-\(index)",
                password: "secret"
            )
            connectorConfiguration.responseTimeout = .seconds(2)
            let quickBackoff = Backoff(
                initial: .milliseconds(50),
                maximum: .milliseconds(200),
                multiplier: 2,
                jitter: 0
            )
            connectorConfiguration.reconnectBackoff = quickBackoff
            connectorConfiguration.throttleBackoff = quickBackoff
            connectorConfiguration.inboundAcknowledgementTimeout = .seconds(5)
            connectorAdjust(&connectorConfiguration)
            builder = connectorConfiguration.submitBuilder
            let connector = try SMPPConnector(configuration: connectorConfiguration, logger: quietLogger("connector"))
            let id = UUID()
            var dispatcherConfiguration = Dispatcher.Configuration()
            dispatcherConfiguration.pollInterval = .milliseconds(100)
            dispatcherConfiguration.retryDelay = 0.2
            dispatcherAdjust(&dispatcherConfiguration)
            // Wired as BridgeServer does: a receipt that comes before its submit's report is
            // recorded waits for it in memory.
            let unrecorded = UnrecordedSubmissions()
            let dispatcher = Dispatcher(
                store: store,
                connectors: ["main": connector],
                configuration: dispatcherConfiguration,
                instanceID: id,
                unrecorded: unrecorded,
                logger: quietLogger("dispatcher")
            )
            var inboundConfiguration = InboundProcessor.Configuration()
            inboundAdjust(&inboundConfiguration)
            let inbound = InboundProcessor(
                store: store,
                connectors: ["main": connector],
                router: router,
                configuration: inboundConfiguration,
                instanceID: id,
                unrecorded: unrecorded,
                logger: quietLogger("inbound")
            )
            var maintenanceConfiguration = Maintenance.Configuration()
            maintenanceConfiguration.heartbeatInterval = .milliseconds(200)
            maintenanceAdjust(&maintenanceConfiguration)
            let maintenance = Maintenance(
                store: store,
                instanceID: id,
                router: router,
                configuration: maintenanceConfiguration,
                openConnections: { connector.openConnections },
                logger: quietLogger("maintenance")
            )
            // Quick retries; the receivers of the tests listen on loopback. New events wake the worker
            // through NOTIFY; retries wait for the poll, which tests of retries shorten.
            var webhooksConfiguration = WebhookWorker.Configuration()
            webhooksConfiguration.allowPrivateDestinations = true
            webhooksConfiguration.pollInterval = .seconds(1)
            webhooksConfiguration.retry.firstDelay = 0.1
            webhooksConfiguration.retry.maximumDelay = 0.5
            webhooksConfiguration.retry.jitter = 0
            webhooksConfiguration.requestTimeout = 2
            webhooksConfiguration.breakerCooldown = 0.3
            webhooksAdjust(&webhooksConfiguration)
            let webhooks = WebhookWorker(
                store: store,
                configuration: webhooksConfiguration,
                logger: quietLogger("webhooks")
            )
            // A ServiceGroup stops services one by one in reverse order: the dispatcher drains its
            // submits, then the connector unbinds, which ends the events the inbound processor reads;
            // the webhook worker finishes its posts last.
            let group = ServiceGroup(
                configuration: .init(
                    services: [webhooks, maintenance, inbound, connector, dispatcher],
                    logger: quietLogger("services")
                )
            )
            let ended = GroupOutcome()
            let running = Task {
                do {
                    try await group.run()
                    ended.value.withLock { $0 = "returned" }
                } catch {
                    ended.value.withLock { $0 = "threw \(error)" }
                    throw error
                }
            }
            instances.append(
                BridgeInstance(
                    id: id,
                    connector: connector,
                    dispatcher: dispatcher,
                    webhooks: webhooks,
                    group: group,
                    running: running,
                    ended: ended
                )
            )
        }
        let validator = MessageValidator(
            policy: MessagePolicy(),
            router: MessageRouter(defaultConnector: "main"),
            builders: ["main": builder]
        )
        let bridge = Bridge(
            store: store,
            simulator: simulator,
            instances: instances,
            account: account,
            validator: validator
        )
        do {
            let result = try await watch("test body") { try await body(bridge) }
            try await bridge.stop()
            return result
        } catch {
            try? await bridge.stop()
            throw error
        }
    }
}

/// Validates and inserts `count` texts for `account` straight into the store, as if an API had
/// queued them before the bridge started; returns them in order.
@discardableResult
func queueMessages(
    _ count: Int,
    text: String,
    account: UUID,
    in store: PostgresStore
) async throws -> [AcceptedMessage] {
    let validator = MessageValidator(
        policy: MessagePolicy(),
        router: MessageRouter(defaultConnector: "main"),
        builders: ["main": SubmitBuilder()]
    )
    let messages = try (0..<count).map { index in
        try validator.validate(
            SendRequest(to: "447700900123", from: "Shop", text: "\(text) \(index)"),
            accountID: account,
            now: Date()
        ).get()
    }
    try await store.insert(messages)
    return messages
}
