import BridgeTestSupport
import CoreMetrics
import Foundation
import Logging
import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import Synchronization

/// A quiet logger for tests.
func testLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .warning
    return logger
}

extension SimulatorConfiguration {
    /// A simulator for client tests: free port, receipts at once, no control API.
    static func forClientTests(_ adjust: (inout SimulatorConfiguration) -> Void = { _ in }) -> SimulatorConfiguration {
        var configuration = SimulatorConfiguration()
        configuration.port = 0
        configuration.control = nil
        configuration.receipts.delay = 0
        configuration.seed = 7
        adjust(&configuration)
        return configuration
    }
}

extension ConnectorConfiguration {
    /// A connector to `port` on loopback with short timeouts for tests.
    static func forTests(
        port: Int,
        _ adjust: (inout ConnectorConfiguration) -> Void = { _ in }
    ) -> ConnectorConfiguration {
        var configuration = ConnectorConfiguration(
            name: "test",
            endpoints: [.init(host: "127.0.0.1", port: port)],
            systemID: "esme",
            password: "secret"
        )
        configuration.connectTimeout = .seconds(2)
        configuration.bindTimeout = .seconds(2)
        configuration.responseTimeout = .seconds(2)
        configuration.reconnectBackoff = Backoff(
            initial: .milliseconds(50),
            maximum: .milliseconds(200),
            multiplier: 2,
            jitter: 0
        )
        configuration.throttleBackoff = Backoff(
            initial: .milliseconds(50),
            maximum: .milliseconds(400),
            multiplier: 2,
            jitter: 0
        )
        configuration.queueTimeout = .seconds(5)
        adjust(&configuration)
        return configuration
    }
}

/// Starts a simulator, runs `body`, stops it.
func withSimulator<T>(
    _ configuration: SimulatorConfiguration = .forClientTests(),
    _ body: (SMSCSimulator) async throws -> T
) async throws -> T {
    let simulator = SMSCSimulator(configuration: configuration, logger: testLogger("sim"))
    try await simulator.start()
    do {
        let result = try await body(simulator)
        await simulator.stop()
        return result
    } catch {
        await simulator.stop()
        throw error
    }
}

/// Starts a connector, runs `body`, shuts it down.
///
/// - Parameter logs: where the connector's log records (info and above) go; default nowhere but warnings.
func withConnector<T>(
    _ configuration: ConnectorConfiguration,
    metricsFactory: any MetricsFactory = MetricsSystem.factory,
    logs: CapturedLogs? = nil,
    _ body: (SMPPConnector) async throws -> T
) async throws -> T {
    let connector = try SMPPConnector(
        configuration: configuration,
        logger: logs?.logger(label: "connector") ?? testLogger("connector"),
        metricsFactory: metricsFactory
    )
    connector.start()
    do {
        let result = try await body(connector)
        await connector.shutdown()
        return result
    } catch {
        await connector.shutdown()
        throw error
    }
}

extension SMPPConnector {
    /// `count` one-part texts `<prefix>0`, `<prefix>1`, … from "Shop" to one number, as submit_sm.
    func texts(_ count: Int, _ prefix: String) throws -> [SubmitSM] {
        try (0..<count).map { try self.makeParts(for: .text("\(prefix)\($0)", from: "Shop", to: "4477001"))[0] }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(self.what)" }
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes.
func eventually(_ what: String, timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    throw TimedOut(what: what)
}

/// Consumes a connector's events in the background, keeping them for assertions and acknowledging
/// each with the status `acknowledge` returns (`nil` leaves it unacknowledged).
final class EventCollector: Sendable {
    private final class Store: Sendable {
        let events = Mutex<[InboundEvent]>([])
    }

    private let store = Store()
    private let task: Task<Void, Never>

    init(_ connector: SMPPConnector, acknowledge: @escaping @Sendable (InboundEvent) -> CommandStatus? = { _ in .ok }) {
        let store = self.store
        self.task = Task {
            for await event in connector.events {
                store.events.withLock { $0.append(event) }
                if let status = acknowledge(event) { event.acknowledgement?.acknowledge(status) }
            }
        }
    }

    var events: [InboundEvent] { self.store.events.withLock { $0 } }

    var receipts: [(event: InboundEvent, receipt: ReceiptInfo)] {
        self.events.compactMap { event in
            if case .receipt(let receipt) = event.kind { return (event, receipt) }
            return nil
        }
    }

    var messages: [InboundEvent] {
        self.events.filter { event in
            if case .message = event.kind { return true }
            return false
        }
    }

    deinit { self.task.cancel() }
}

/// The TLS certificate and key shared by the tests (CN=localhost, valid until 2126).
enum TLSFixture {
    static var directory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Fixtures/tls").path
    }
    static var certificate: String { directory + "/cert.pem" }
    static var privateKey: String { directory + "/key.pem" }
}
