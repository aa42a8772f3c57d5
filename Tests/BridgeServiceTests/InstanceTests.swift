import BridgeCore
import BridgeService
import BridgeStore
import Foundation
import PostgresNIO
import SMPP
import SMSCSimulator
import SMPPClient
import Testing

@Suite(.timeLimit(.minutes(3))) struct InstanceTests {
    @Test func twoInstancesShareTheQueueAndNeverSendAMessageTwice() async throws {
        try await withBridge(
            instances: 2,
            dispatcher: {
                $0.batchSize = 10
                $0.maxInFlight = 20
            }
        ) { bridge in
            var ids: [UUID] = []
            for index in 0..<300 {
                ids.append(
                    try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "shared \(index)"))
                )
            }
            for id in ids { _ = try await bridge.waitFor(id, .delivered) }
            #expect(bridge.simulator.counters.messagesAccepted == 300)
            let first = bridge.simulator.messages(systemID: "bridge-0").count
            let second = bridge.simulator.messages(systemID: "bridge-1").count
            #expect(first + second == 300)
            #expect(first > 0 && second > 0)
        }
    }

    @Test func messagesHeldByADeadInstanceAreSentByTheLiveOne() async throws {
        let dead = UUID()
        var held: [UUID] = []
        try await withBridge(
            maintenance: { $0.deadAfter = 2 },
            prepare: { store, account in
                // An instance claimed these, then died without a word: no report, no release.
                let messages = try await queueMessages(5, text: "held", account: account, in: store)
                try await store.heartbeat(instance: dead)
                let claimed = try await store.claimDue(owner: dead, limit: 10, lease: 3_600)
                #expect(claimed.count == 5)
                try await store.client.query(
                    "UPDATE instances SET heartbeat_at = now() - interval '1 minute' WHERE id = \(dead)"
                )
                held = messages.map(\.id)
            }
        ) { bridge in
            #expect(held.count == 5)
            for id in held { _ = try await bridge.waitFor(id, .delivered) }
            #expect(bridge.simulator.counters.messagesAccepted == 5)
        }
    }

    @Test func aLeaseThatRunsOutIsTakenBackWhileTheInstanceLives() async throws {
        // The owner heart-beats but never finished: after its lease the message is sent again.
        let stuck = UUID()
        var id: UUID?
        try await withBridge(
            prepare: { store, account in
                let message = try await queueMessages(1, text: "stuck", account: account, in: store)[0]
                try await store.heartbeat(instance: stuck)
                _ = try await store.claimDue(owner: stuck, limit: 1, lease: 1)
                id = message.id
            }
        ) { bridge in
            try await bridge.store.heartbeat(instance: stuck)
            _ = try await bridge.waitFor(id!, .delivered)
        }
    }

    @Test func gracefulShutdownRecordsWhatIsInFlightAndGivesBackTheRest() async throws {
        // All 100 messages are queued before the bridge starts, and each submit takes a second to be
        // answered: when the stop comes, 20 are in flight and most are still waiting.
        var ids: [UUID] = []
        try await withBridge(
            simulator: {
                $0.throttling.responseDelay = 1
                $0.receipts.delay = 60
            },
            dispatcher: {
                $0.batchSize = 20
                $0.maxInFlight = 20
            },
            prepare: { store, account in
                ids = try await queueMessages(100, text: "drain", account: account, in: store).map(\.id)
            }
        ) { bridge in
            try await waitUntil("submits in flight") { bridge.simulator.counters.submitsReceived >= 10 }
            try await bridge.stop()
            let statuses = try await bridge.statusCounts(ids)
            // Every submit the SMSC answered is recorded as sent; the others wait in the queue.
            #expect(statuses[.sending] == nil)
            #expect(statuses[.sent] == bridge.simulator.counters.messagesAccepted)
            #expect(statuses[.sent, default: 0] + statuses[.queued, default: 0] == 100)
            #expect(statuses[.queued, default: 0] > 0)
        }
    }

    @Test func gracefulShutdownWaitsOnlyForWhatIsAtTheSMSC() async throws {
        // One submit at a time, each answered after a second: when the stop comes, one is at the
        // SMSC and the others wait in the connector's queue, which would take over a minute to drain.
        var ids: [UUID] = []
        try await withBridge(
            simulator: {
                $0.throttling.responseDelay = 1
                $0.receipts.delay = 60
            },
            connector: { $0.window = 1 },
            prepare: { store, account in
                ids = try await queueMessages(80, text: "hand back", account: account, in: store).map(\.id)
            }
        ) { bridge in
            try await waitUntil("a submit at the SMSC") { bridge.simulator.counters.submitsReceived >= 1 }
            let clock = ContinuousClock()
            let started = clock.now
            try await bridge.stop()
            #expect(clock.now - started < .seconds(15), "waited for the queue: \(clock.now - started)")
            let statuses = try await bridge.statusCounts(ids)
            var attempts: Set<Int> = []
            for id in ids {
                let record = try #require(try await bridge.message(id))
                if record.status == .queued { attempts.insert(record.attempts) }
            }
            #expect(statuses[.sending] == nil)
            #expect(statuses[.sent] == bridge.simulator.counters.messagesAccepted)
            #expect(statuses[.sent, default: 0] + statuses[.queued, default: 0] == 80)
            #expect(statuses[.queued, default: 0] >= 60)
            #expect(attempts == [0], "a message handed back spent no attempt")
        }
    }
}
