import Foundation
import MetricsTestKit
import NIOCore
import SMPP
import SMPPClient
import SMSCSimulator
import Testing

@Suite(.timeLimit(.minutes(1))) struct FlowControlTests {
    @Test func windowIsHonoured() async throws {
        // The simulator refuses anything beyond 3 unanswered requests; answers take 100 ms.
        let simulatorConfiguration = SimulatorConfiguration.forClientTests {
            $0.throttling.window = 3
            $0.throttling.responseDelay = 0.1
        }
        try await withSimulator(simulatorConfiguration) { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.window = 3 }) { connector in
                let results = await withTaskGroup(of: Bool.self) { group in
                    for index in 0..<12 {
                        group.addTask {
                            (try? await connector.send(.text("m\(index)", from: "Shop", to: "447700900123"))) != nil
                        }
                    }
                    return await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(results.allSatisfy { $0 })
                #expect(simulator.counters.windowExceeded == 0)
                #expect(simulator.counters.messagesAccepted == 12)
            }
        }
    }

    /// An SMSC asking to slow down: some submits refused with ESME_RTHROTTLED or ESME_RMSGQFUL.
    struct SlowDown: Sendable, CustomTestStringConvertible {
        var status: CommandStatus
        var simulator: @Sendable (inout SimulatorConfiguration) -> Void
        var refusals: @Sendable (SimulatorCounters) -> Int

        var testDescription: String { self.status.name! }

        static let all = [
            // 5 messages per second at most (a bucket of 5): 25 messages refused none only if each
            // round trip took 160 ms — at 10 per second, 60 ms did, which a loaded CI machine reached.
            SlowDown(status: .throttled, simulator: { $0.throttling.maxRate = 5 }, refusals: { $0.throttled }),
            // Half the submits refused.
            SlowDown(
                status: .messageQueueFull,
                simulator: {
                    $0.faults.errorRate = 0.5
                    $0.faults.errorStatus = .messageQueueFull
                },
                refusals: { $0.faultErrors }
            ),
        ]
    }

    @Test(arguments: SlowDown.all)
    func throttlingBacksOffAndKeepsOrder(_ slowDown: SlowDown) async throws {
        // 25 messages sent with window 1 and no client-side limit.
        let metrics = TestMetrics()
        try await withSimulator(.forClientTests(slowDown.simulator)) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.window = 1
                // Refusals and their growing pauses add up to seconds: the last messages must not
                // give up waiting in the queue.
                $0.queueTimeout = .seconds(60)
            }
            try await withConnector(configuration, metricsFactory: metrics) { connector in
                let start = ContinuousClock.now
                let results = await connector.submit(parts: try connector.texts(25, "m"))
                let elapsed = ContinuousClock.now - start
                #expect(results.allSatisfy { (try? $0.get()) != nil }, "every refused message was resent")
                let refusals = slowDown.refusals(simulator.counters)
                #expect(refusals > 0, "the simulator refused some")
                // Every refused message was resent before those behind it: the SMSC saw the original order.
                #expect(simulator.messages().compactMap(\.text) == (0..<25).map { "m\($0)" })
                // Each refusal paused the session (at least 50 ms) before anything else went out.
                #expect(elapsed >= .milliseconds(50 * refusals))
                #expect(
                    metrics.counterTotal(label: "smpp_throttled_total", dimensions: [("connector", "test")])
                        == Int64(refusals)
                )
                #expect(connector.status().sessions[0].lastError?.contains(slowDown.status.name!) == true)
            }
        }
    }

    @Test func submitsQueuedDuringAPauseGoOutAfterResume() async throws {
        let simulatorConfiguration = SimulatorConfiguration.forClientTests { $0.throttling.responseDelay = 0.2 }
        try await withSimulator(simulatorConfiguration) { simulator in
            let configuration = ConnectorConfiguration.forTests(port: simulator.port!) {
                $0.window = 1
                $0.throughput = 1
                $0.queueTimeout = .seconds(4)
            }
            try await withConnector(configuration) { connector in
                try await eventually("the bind") { connector.status().sessions[0].state == "bound" }
                let parts = try connector.texts(3, "p")
                let sending = Task { await connector.submit(parts: parts) }
                try await eventually("one in flight, two queued") { connector.status().queuedNormal == 2 }
                connector.pause()
                try await eventually("the first answer") { connector.status().sessions[0].sent == 1 }
                // The bucket (1 per second, 1 at most) has no token yet: the rest waits for the timer, which
                // resume() must arm (paused, only the queue deadlines counted).
                connector.resume()
                let results = await sending.value
                #expect(results.allSatisfy { (try? $0.get()) != nil }, "\(results)")
                #expect(simulator.messages().compactMap(\.text) == ["p0", "p1", "p2"])
            }
        }
    }

    @Test func throughputLimitSpacesSubmits() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.throughput = 20 }) { connector in
                let start = ContinuousClock.now
                let parts = try (0..<30).map {
                    try connector.makeParts(for: .text("t\($0)", from: "Shop", to: "4477001"))[0]
                }
                let results = await connector.submit(parts: parts)
                let elapsed = ContinuousClock.now - start
                #expect(results.allSatisfy { (try? $0.get()) != nil })
                // A full bucket allows 20 at once; the other 10 need half a second at 20/s.
                #expect(elapsed >= .milliseconds(400))
                #expect(simulator.counters.throttled == 0)
            }
        }
    }

    @Test func priorityLaneOvertakesTheBacklog() async throws {
        try await withSimulator { simulator in
            try await withConnector(.forTests(port: simulator.port!) { $0.throughput = 20 }) { connector in
                let bulk = try (0..<40).map {
                    try connector.makeParts(for: .text("bulk\($0)", from: "Shop", to: "4477001"))[0]
                }
                let backlog = Task { await connector.submit(parts: bulk) }
                try await eventually("the backlog to queue") { connector.status().queuedNormal > 10 }
                let urgent = try connector.makeParts(for: .text("URGENT", from: "Shop", to: "4477002"))[0]
                _ = try await connector.submit(urgent, priority: .urgent)
                let order = simulator.messages().compactMap(\.text)
                let position = try #require(order.firstIndex(of: "URGENT"))
                #expect(position < 30, "the urgent message went ahead of the queued bulk")
                _ = await backlog.value
            }
        }
    }
}
