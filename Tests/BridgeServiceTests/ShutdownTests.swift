import AsyncHTTPClient
import BridgeService
import BridgeTestSupport
import Foundation
import NIOHTTP1
import SMSCSimulator
import ServiceLifecycle
import Synchronization
import Testing

/// Graceful shutdown ends in bounded time, whatever state the database is in.
@Suite(.timeLimit(.minutes(2))) struct ShutdownTests {
    @Test func theServerStopsWhileTheDatabaseIsAway() async throws {
        let simulator = try await startSimulator(receiptDelay: 0.05)
        defer { Task { await simulator.stop() } }
        let (databaseURL, keys) = try await prepareDatabase()
        let configuration = serverConfiguration(databaseURL: databaseURL, smppPort: simulator.port!)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: BridgeServer.Ready.self)
        let server = try BridgeServer(configuration: configuration, logger: quietLogger("server")) { info in
            readyContinuation.yield(info)
        }
        let group = ServiceGroup(configuration: .init(services: [server], logger: quietLogger("services")))
        let stopped = Atomic<Bool>(false)
        let running = Task {
            defer { stopped.store(true, ordering: .relaxed) }
            try await group.run()
        }
        var iterator = ready.makeAsyncIterator()
        let info = try #require(await iterator.next())

        // Work in every service: a message accepted and sent, so the dispatcher, inbound processor
        // and maintenance have all used the database.
        let http = RunningServer(
            baseURL: "http://127.0.0.1:\(info.httpPort)",
            apiKey: keys["acme"]!.1,
            account: keys["acme"]!.0,
            simulator: simulator,
            databaseURL: databaseURL,
            http: .shared
        )
        let accepted = try await http.request(
            .POST,
            "/v1/messages",
            json: #"{"to": "447700900123", "from": "Shop", "text": "before"}"#
        )
        _ = try await http.waitForStatus(try #require(try accepted.json()["id"] as? String), "delivered")

        try await whileDatabaseAway(try databaseName(databaseURL)) {
            await group.triggerGracefulShutdown()
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(30)
            while !stopped.load(ordering: .relaxed) && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let stoppedInTime = stopped.load(ordering: .relaxed)
            #expect(stoppedInTime, "the server did not stop within 30 s of the shutdown signal")
        }
        _ = await watch("server stopped after the database came back") { await running.result }
    }
}
