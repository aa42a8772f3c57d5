import AsyncHTTPClient
import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import PostgresNIO
import Prometheus
import SMSCSimulator
import ServiceLifecycle
import Testing

/// A `BridgeServer` running in this process on a fresh database, with a simulator and an HTTP client.
struct RunningServer {
    let baseURL: String
    let apiKey: String
    let account: UUID
    let simulator: SMSCSimulator
    let databaseURL: String
    let http: HTTPClient

    struct Reply {
        var status: Int
        var body: String
        var headers: HTTPHeaders

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: Data(self.body.utf8)) as? [String: Any] ?? [:]
        }
    }

    func request(_ method: HTTPMethod, _ path: String, json: String? = nil, key: String? = nil) async throws -> Reply {
        var request = HTTPClientRequest(url: self.baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key ?? self.apiKey)")
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await self.http.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), body: String(buffer: body), headers: response.headers)
    }

    /// Polls `GET /v1/messages/{id}` until its status is `status`.
    func waitForStatus(_ id: String, _ status: String, timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        var last: [String: Any] = [:]
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            last = try await self.request(.GET, "/v1/messages/\(id)").json()
            if last["status"] as? String == status { return last }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw HarnessError(description: "message \(id) did not reach \(status); last: \(last)")
    }
}

/// The registry behind this test process's `MetricsSystem` (bootstrapped once, as `smsbridge serve`
/// does): every in-process server serves it on `/metrics`. Shared by the tests that run at once, so
/// exact values are only safe for series labelled with a name one test owns (e.g. its connector).
let testMetrics: PrometheusCollectorRegistry = {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    return registry
}()

/// Migrates a fresh database and creates the account `acme` (and those `inbound` routes name).
func prepareDatabase(accounts: [String] = ["acme"]) async throws -> (url: String, keys: [String: (UUID, String)]) {
    let url = try await makeEmptyDatabase("server")
    var keys: [String: (UUID, String)] = [:]
    let logger = quietLogger("setup")
    let client = PostgresClient(configuration: try DatabaseURL(url).clientConfiguration, backgroundLogger: logger)
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        _ = try await MigrationRunner.bundled().apply(on: client, logger: logger)
        let store = PostgresStore(client: client, logger: logger)
        for name in accounts {
            let (account, key) = try await store.createAccount(name: name)
            keys[name] = (account.id, key)
        }
        group.cancelAll()
    }
    return (url, keys)
}

/// A configuration for a server on `databaseURL` with one connector to the simulator on `smppPort`.
func serverConfiguration(databaseURL: String, smppPort: Int) -> BridgeConfiguration {
    var configuration = BridgeConfiguration()
    configuration.database.url = databaseURL
    configuration.database.maxConnections = 10
    configuration.http.port = 0
    configuration.connectors["main"] = .init(
        endpoints: ["127.0.0.1:\(smppPort)"],
        systemID: "bridge",
        password: "secret"
    )
    configuration.connectors["main"]?.window = 50
    configuration.connectors["main"]?.reconnectDelay = .seconds(0.1)
    configuration.connectors["main"]?.maxReconnectDelay = .seconds(0.5)
    configuration.dispatcher.pollInterval = .seconds(0.2)
    configuration.dispatcher.retryDelay = .seconds(0.2)
    configuration.maintenance.heartbeatInterval = .seconds(0.5)
    configuration.maintenance.deadAfter = .seconds(2)
    configuration.http.defaultRateLimit = 100_000
    return configuration
}

/// Starts a simulator and a `BridgeServer`, runs `body`, shuts both down gracefully.
func withServer<T>(
    simulator simulatorAdjust: (inout SimulatorConfiguration) -> Void = { _ in },
    configure: (inout BridgeConfiguration) -> Void = { _ in },
    _ body: (RunningServer) async throws -> T
) async throws -> T {
    let simulator = try await watch("start simulator") { try await startSimulator(receiptDelay: 0.05, simulatorAdjust) }
    defer { Task { await simulator.stop() } }

    let (databaseURL, keys) = try await watch("prepare database") { try await prepareDatabase() }
    var configuration = serverConfiguration(databaseURL: databaseURL, smppPort: simulator.port!)
    configure(&configuration)
    let (ready, readyContinuation) = AsyncStream.makeStream(of: BridgeServer.Ready.self)
    let server = try BridgeServer(configuration: configuration, logger: quietLogger("server"), metrics: testMetrics) {
        info in
        readyContinuation.yield(info)
    }
    let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger("services")))
    let serviceTask = Task {
        defer { readyContinuation.finish() }
        try await group.run()
    }
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    do {
        var iterator = ready.makeAsyncIterator()
        guard let info = await watch("server ready", { await iterator.next() }) else {
            try await watch("server stopped before ready") { try await serviceTask.value }
            throw HarnessError(description: "the server stopped before it was ready")
        }
        let server = RunningServer(
            baseURL: "http://127.0.0.1:\(info.httpPort)",
            apiKey: keys["acme"]!.1,
            account: keys["acme"]!.0,
            simulator: simulator,
            databaseURL: databaseURL,
            http: http
        )
        let result = try await watch("test body") { try await body(server) }
        try await watch("server shutdown") {
            await group.triggerGracefulShutdown()
            try await serviceTask.value
        }
        try await watch("HTTP client shutdown") { try await http.shutdown() }
        return result
    } catch {
        await watch("server shutdown after an error") {
            await group.triggerGracefulShutdown()
            _ = await serviceTask.result
        }
        try? await watch("HTTP client shutdown after an error") { try await http.shutdown() }
        throw error
    }
}

/// Runs `body`, reported with the current test's name by `StallWatch` when it lasts too long.
func watch<T>(
    _ step: String,
    file: String = #fileID,
    line: Int = #line,
    _ body: () async throws -> T
) async rethrows -> T {
    try await StallWatch.watch("\(Test.current?.name ?? "?"): \(step)", file: file, line: line, body)
}

/// Migrations not yet applied to the database at `url`.
func pendingMigrations(_ url: String) async throws -> [Migration] {
    let logger = quietLogger("check")
    let client = PostgresClient(configuration: try DatabaseURL(url).clientConfiguration, backgroundLogger: logger)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await MigrationRunner.bundled().pending(on: client, logger: logger)
    }
}
