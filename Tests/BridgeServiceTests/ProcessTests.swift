import AsyncHTTPClient
import BridgeService
import BridgeTestSupport
import Foundation
import LocalPostgres
import NIOCore
import NIOHTTP1
import SMSCSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `.build/debug/smsbridge` (or the release one), found from this file's path.
let smsbridgeBinary: String? = {
    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    for configuration in ["debug", "release"] {
        let path = repository.appendingPathComponent(".build/\(configuration)/smsbridge").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

/// The built `smsbridge`; `swift test` builds it with the tests.
func smsbridgeExecutable() throws -> String {
    guard let smsbridgeBinary else {
        throw HarnessError(description: "smsbridge is not built: run `swift build` first")
    }
    return smsbridgeBinary
}

/// The `smsbridge` executable as an operator runs it, stopped the hard way and the polite way:
/// nothing accepted is lost.
@Suite(.timeLimit(.minutes(2)))
struct ProcessTests {
    /// A `smsbridge serve` process on its own HTTP port.
    struct Instance {
        let process: ChildProcess
        let server: RunningServer
    }

    static func start(
        _ configuration: BridgeConfiguration,
        server template: RunningServer,
        name: String
    ) async throws -> Instance {
        var configuration = configuration
        configuration.http.port = try freePort()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("smsbridge-\(name)-\(UUID()).yaml")
        try configuration.yaml.write(to: file, atomically: true, encoding: .utf8)
        // The process reads its configuration once, at start; by the time this returns it is ready.
        defer { try? FileManager.default.removeItem(at: file) }
        let process = try ChildProcess(try smsbridgeExecutable(), ["serve", "--config", file.path])
        let server = RunningServer(
            baseURL: "http://127.0.0.1:\(configuration.http.port)",
            apiKey: template.apiKey,
            account: template.account,
            simulator: template.simulator,
            databaseURL: template.databaseURL,
            http: template.http
        )
        try await waitUntil("\(name) ready", timeout: .seconds(30)) {
            (try? await server.request(.GET, "/readyz").status) == 200
        }
        return Instance(process: process, server: server)
    }

    /// Posts `count` messages; returns the ids of those accepted (a stopping server may refuse some).
    static func post(_ count: Int, to server: RunningServer, tag: String) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            for index in 0..<count {
                group.addTask {
                    let reply = try? await server.request(
                        .POST,
                        "/v1/messages",
                        json: #"{"to": "447700900123", "from": "Shop", "text": "\#(tag) \#(index)"}"#
                    )
                    guard reply?.status == 202 else { return nil }
                    return try? reply?.json()["id"] as? String
                }
            }
            var ids: [String] = []
            for await id in group { if let id { ids.append(id) } }
            return ids
        }
    }

    @Test func aKilledInstancesMessagesAreSentByTheNextOne() async throws {
        try await withProcessFixture(responseDelay: 1.0) { fixture in
            let first = try await Self.start(fixture.configuration, server: fixture.server, name: "first")
            let ids = await Self.post(40, to: first.server, tag: "killed")
            #expect(ids.count == 40)
            // Submits are on the wire (the simulator answers after a second): kill -9.
            try await waitUntil("submits in flight") { fixture.server.simulator.counters.submitsReceived >= 10 }
            first.process.kill(SIGKILL)
            _ = try await first.process.wait(timeout: .seconds(10))

            fixture.server.simulator.reconfigure { $0.throttling.responseDelay = 0 }
            let second = try await Self.start(fixture.configuration, server: fixture.server, name: "second")
            for id in ids { _ = try await second.server.waitForStatus(id, "delivered", timeout: .seconds(30)) }
            // At least once: what was on the wire when the first died may have gone twice, nothing more.
            let texts = fixture.server.simulator.messages().map(\.text)
            #expect(Set(texts).count == 40)
            #expect(texts.count - 40 <= 40)
            second.process.kill(SIGTERM)
            #expect(try await second.process.wait(timeout: .seconds(20)) == 0)
        }
    }

    @Test func sigtermUnderLoadLosesNothingAndSendsNothingTwice() async throws {
        try await withProcessFixture(responseDelay: 0.2) { fixture in
            let first = try await Self.start(fixture.configuration, server: fixture.server, name: "first")
            async let accepted = Self.post(150, to: first.server, tag: "term")
            try await waitUntil("submits flowing") { fixture.server.simulator.counters.submitsReceived >= 5 }
            first.process.kill(SIGTERM)
            #expect(try await first.process.wait(timeout: .seconds(30)) == 0, "exits cleanly: \(first.process.stderr)")
            let ids = await accepted
            #expect(!ids.isEmpty)

            fixture.server.simulator.reconfigure { $0.throttling.responseDelay = 0 }
            let second = try await Self.start(fixture.configuration, server: fixture.server, name: "second")
            for id in ids { _ = try await second.server.waitForStatus(id, "delivered", timeout: .seconds(30)) }
            let texts = fixture.server.simulator.messages().map(\.text)
            #expect(texts.count == Set(texts).count, "a graceful stop submits nothing twice")
            second.process.kill(SIGTERM)
            #expect(try await second.process.wait(timeout: .seconds(20)) == 0)
        }
    }

    @Test func jsonLogsAreOneObjectPerLineWithTheMessageID() async throws {
        try await withProcessFixture(responseDelay: 0) { fixture in
            var configuration = fixture.configuration
            configuration.logging.format = .json
            configuration.logging.level = "debug"
            let instance = try await Self.start(configuration, server: fixture.server, name: "json")
            let id = try #require(await Self.post(1, to: instance.server, tag: "logged").first)
            _ = try await instance.server.waitForStatus(id, "delivered")
            instance.process.kill(SIGTERM)
            #expect(try await instance.process.wait(timeout: .seconds(20)) == 0)

            let lines = instance.process.stderr.split(separator: "\n")
            #expect(lines.count > 3)
            var objects: [[String: String]] = []
            for line in lines {
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String]
                #expect(object != nil, "not a JSON object of strings: \(line)")
                if let object { objects.append(object) }
            }
            let levels: Set = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
            for object in objects {
                #expect(object["ts"]?.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(object)")
                #expect(object["label"] != nil && object["message"] != nil, "\(object)")
                #expect(levels.contains(object["level"] ?? ""), "\(object)")
            }
            let accepted = objects.first { $0["message"] == "message accepted" }
            #expect(accepted?["message.id"] == id, "\(objects.filter { $0["message.id"] != nil })")
            #expect(accepted?["level"] == "debug")
            #expect(objects.contains { $0["message"] == "ready" && $0["level"] == "notice" })
        }
    }
}

struct ProcessFixture {
    var configuration: BridgeConfiguration
    var server: RunningServer
}

/// A simulator, a migrated database with the account `acme`, an HTTP client, and a configuration
/// for `smsbridge serve` processes (each gets its own port).
func withProcessFixture(responseDelay: Double, _ body: (ProcessFixture) async throws -> Void) async throws {
    let simulator = try await startSimulator(receiptDelay: 0.05) { $0.throttling.responseDelay = responseDelay }
    defer { Task { await simulator.stop() } }
    let (databaseURL, keys) = try await prepareDatabase()
    let http = HTTPClient(eventLoopGroupProvider: .singleton)
    var configuration = serverConfiguration(databaseURL: databaseURL, smppPort: simulator.port!)
    configuration.logging.level = "warning"
    let template = RunningServer(
        baseURL: "",
        apiKey: keys["acme"]!.1,
        account: keys["acme"]!.0,
        simulator: simulator,
        databaseURL: databaseURL,
        http: http
    )
    do {
        try await body(ProcessFixture(configuration: configuration, server: template))
        try await http.shutdown()
    } catch {
        try? await http.shutdown()
        throw error
    }
}

/// A loopback port free a moment ago.
func freePort() throws -> Int {
    try LocalPostgres.freePort()
}
