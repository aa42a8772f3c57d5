import AsyncHTTPClient
import BridgeCore
import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import NIOHTTP1
import SMSCSimulator
import ServiceLifecycle
import Synchronization
import Testing

/// Whether a server's service group has returned.
final class Stopped: Sendable {
    let flag = Atomic<Bool>(false)
}

/// Graceful shutdown ends in bounded time, whatever state the database is in.
@Suite(.timeLimit(.minutes(2))) struct ShutdownTests {
    /// A server of its own in a service group (`adjust` sets the group's deadlines), once ready.
    private func startServer(
        _ simulator: SMSCSimulator,
        group adjust: (inout ServiceGroupConfiguration) -> Void = { _ in }
    ) async throws -> (group: ServiceGroup, running: Task<Void, any Error>, http: RunningServer, stopped: Stopped) {
        let (databaseURL, keys) = try await prepareDatabase()
        let configuration = serverConfiguration(databaseURL: databaseURL, smppPort: simulator.port!)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: BridgeServer.Ready.self)
        let server = try BridgeServer(configuration: configuration, logger: quietLogger("server")) { info in
            readyContinuation.yield(info)
        }
        var groupConfiguration = ServiceGroupConfiguration(services: [.init(service: server)], logger: quietLogger("services"))
        adjust(&groupConfiguration)
        let group = ServiceGroup(configuration: groupConfiguration)
        let stopped = Stopped()
        let running = Task {
            defer { stopped.flag.store(true, ordering: .relaxed) }
            try await group.run()
        }
        var iterator = ready.makeAsyncIterator()
        let info = try #require(await iterator.next())
        let http = RunningServer(
            baseURL: "http://127.0.0.1:\(info.httpPort)",
            apiKey: keys["acme"]!.1,
            account: keys["acme"]!.0,
            simulator: simulator,
            databaseURL: databaseURL,
            http: .shared
        )
        return (group, running, http, stopped)
    }

    @Test func theServerStopsWhileTheDatabaseIsAway() async throws {
        let simulator = try await startSimulator(receiptDelay: 0.05)
        defer { Task { await simulator.stop() } }
        let (group, running, http, stopped) = try await self.startServer(simulator)
        let databaseURL = http.databaseURL
        // Work in every service: a message accepted and sent, so the dispatcher, inbound processor
        // and maintenance have all used the database.
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
            while !stopped.flag.load(ordering: .relaxed) && clock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
            let stoppedInTime = stopped.flag.load(ordering: .relaxed)
            #expect(stoppedInTime, "the server did not stop within 30 s of the shutdown signal")
        }
        _ = await watch("server stopped after the database came back") { await running.result }
    }

    /// Past the shutdown deadline, with submits still unanswered at a slow SMSC, what still runs
    /// ends within the cancellation allowance: ServiceLifecycle stopped the process with a fatal
    /// error when it did not (the dispatcher waited for the answers, the connector for its unbind).
    @Test func theServerStopsInTimeWhileTheSMSCIsSlowToAnswer() async throws {
        let simulator = try await startSimulator(receiptDelay: 0.05) { $0.throttling.responseDelay = 60 }
        defer { Task { await simulator.stop() } }
        let (group, running, http, _) = try await self.startServer(simulator) {
            $0.maximumGracefulShutdownDuration = .seconds(1)
            $0.maximumCancellationDuration = .seconds(5)
        }
        let databaseURL = http.databaseURL
        for index in 0..<5 {
            let accepted = try await http.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "slow \#(index)"}"#
            )
            #expect(accepted.status == 202)
        }
        try await waitUntil("the submits at the SMSC") { simulator.counters.submitsReceived == 5 }
        let clock = ContinuousClock()
        let started = clock.now
        await group.triggerGracefulShutdown()
        _ = await running.result
        #expect(clock.now - started < .seconds(6), "stopped after \(clock.now - started)")
        // The unanswered ones stay leased: once the lease runs out (or the instance is found dead)
        // they are sent again — at least once, none lost.
        let counts = try await withDatabase(databaseURL) { try await $0.activeMessageCounts() }
        #expect(counts[.sending, default: 0] + counts[.queued, default: 0] == 5, "\(counts)")
    }
}
