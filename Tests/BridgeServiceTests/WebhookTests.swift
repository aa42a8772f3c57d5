import AsyncHTTPClient
import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import NIOHTTP1
import SMPP
import SMSCSimulator
import ServiceLifecycle
import Synchronization
import Testing

@testable import BridgeService

/// Webhooks end to end: the real bridge (PostgreSQL, simulator, dispatcher, inbound processor)
/// posting to a real HTTP receiver on loopback.
@Suite(.timeLimit(.minutes(3))) struct WebhookTests {
    private func withReceiver<T>(_ body: (WebhookReceiver) async throws -> T) async throws -> T {
        let receiver = WebhookReceiver()
        try await receiver.start()
        do {
            let result = try await body(receiver)
            try await receiver.stop()
            return result
        } catch {
            try? await receiver.stop()
            throw error
        }
    }

    private func ledger(_ store: PostgresStore, account: UUID) async throws -> [WebhookDeliveryRecord] {
        try await store.webhookDeliveries(accountID: account, filter: .init(), limit: 1000, after: nil).reversed()
    }

    @Test func statusEventsOfASentMessageArriveSignedAndInOrder() async throws {
        try await self.withReceiver { receiver in
            try await withBridge { bridge in
                _ = try await bridge.store.setWebhookURLs(
                    accountID: bridge.account,
                    statusURL: receiver.url,
                    inboundURL: nil
                )
                let id = try await bridge.send(
                    SendRequest(to: "447700900123", from: "Shop", text: "Hi", clientRef: "r-1")
                )
                let requests = try await receiver.waitFor(2)
                #expect(requests.map { $0.data["status"] as? String } == ["sent", "delivered"])
                #expect(
                    requests.map { $0.data["message_id"] as? String }
                        == Array(repeating: id.uuidString.lowercased(), count: 2)
                )
                #expect(requests.map { $0.data["client_ref"] as? String } == ["r-1", "r-1"])
                let sequences = try requests.map { try #require($0.json()["sequence"] as? Int) }
                #expect(sequences[0] < sequences[1])
                let secret = try await bridge.store.webhookSettings(accountID: bridge.account).secret
                for request in requests {
                    #expect(try await pythonVerifies(request, secret: secret), "signature checked by Python's hmac")
                    #expect(!(try await pythonVerifies(request, secret: secret + "x")))
                    #expect(request.headers.first(name: "SMSBridge-Event-Type") == "message.status")
                }
                try await waitUntil("both recorded as delivered") {
                    (try? await self.ledger(bridge.store, account: bridge.account).allSatisfy {
                        $0.status == .delivered
                    }) ?? false
                }
                // By sequence: two transactions' start times (created_at) need not follow it.
                let ledger = try await self.ledger(bridge.store, account: bridge.account).sorted {
                    $0.sequence < $1.sequence
                }
                #expect(ledger.map { $0.id.uuidString.lowercased() } == requests.map(\.eventID))
                #expect(ledger.map(\.attempts) == [1, 1])
                #expect(ledger.map(\.lastStatusCode) == [200, 200])
            }
        }
    }

    @Test func anInboundMessageArrivesAsAnEvent() async throws {
        try await self.withReceiver { receiver in
            try await withBridge(inboundRoutes: ["12345": "acme"]) { bridge in
                _ = try await bridge.store.setWebhookURLs(
                    accountID: bridge.account,
                    statusURL: nil,
                    inboundURL: receiver.url
                )
                _ = try bridge.simulator.injectMO(.init(from: "+447700900555", to: "12345", text: "Hello shop"))
                let requests = try await receiver.waitFor(1)
                #expect(try requests[0].json()["type"] as? String == "message.inbound")
                #expect(requests[0].data["text"] as? String == "Hello shop")
                #expect(requests[0].data["from"] as? String == "+447700900555")
                #expect(requests[0].data["to"] as? String == "12345")
                let secret = try await bridge.store.webhookSettings(accountID: bridge.account).secret
                #expect(try await pythonVerifies(requests[0], secret: secret))
            }
        }
    }

    @Test func aReceiverThatIsDownForAWhileGetsEveryEventOnceItIsBack() async throws {
        try await self.withReceiver { receiver in
            try await receiver.stop()
            try await withBridge(webhooks: { $0.pollInterval = .milliseconds(100) }) { bridge in
                _ = try await bridge.store.setWebhookURLs(
                    accountID: bridge.account,
                    statusURL: receiver.url,
                    inboundURL: nil
                )
                var ids: [UUID] = []
                for index in 0..<5 {
                    ids.append(try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "n\(index)")))
                }
                for id in ids { _ = try await bridge.waitFor(id, .delivered) }
                try await waitUntil("attempts failed while the receiver is down") {
                    let ledger = (try? await self.ledger(bridge.store, account: bridge.account)) ?? []
                    return ledger.filter { $0.attempts >= 2 && $0.lastError != nil }.count >= 3
                }
                #expect(receiver.requests.isEmpty)
                try await receiver.start()
                let requests = try await receiver.waitFor(10)
                try await waitUntil("every event recorded as delivered") {
                    let ledger = (try? await self.ledger(bridge.store, account: bridge.account)) ?? []
                    return ledger.count == 10 && ledger.allSatisfy { $0.status == .delivered }
                }
                let ledger = try await self.ledger(bridge.store, account: bridge.account)
                #expect(Set(ledger.map { $0.id.uuidString.lowercased() }) == Set(requests.compactMap(\.eventID)))
                #expect(Set(requests.compactMap(\.eventID)).count == requests.count, "no event posted twice")
                let keys = ledger.map { "\($0.messageID!)/\($0.sequence)" }
                #expect(Set(keys).count == 10, "one outbox row per status change")
                // Per message, sent arrived before delivered.
                for id in ids {
                    let statuses = requests.filter { $0.data["message_id"] as? String == id.uuidString.lowercased() }
                        .map { $0.data["status"] as? String }
                    #expect(statuses == ["sent", "delivered"])
                }
            }
        }
    }
}

/// The worker alone on a store, with a manual clock: the retry schedule without sleeping.
@Suite(.timeLimit(.minutes(3))) struct WebhookScheduleTests {
    private func worker(
        _ store: PostgresStore,
        clock: ManualClock,
        logger: Logger = quietLogger("webhooks"),
        _ adjust: (inout WebhookWorker.Configuration) -> Void = { _ in }
    ) -> WebhookWorker {
        var configuration = WebhookWorker.Configuration()
        configuration.allowPrivateDestinations = true
        configuration.requestTimeout = 1
        configuration.retry.firstDelay = 5
        configuration.retry.multiplier = 2
        configuration.retry.jitter = 0.2
        adjust(&configuration)
        return WebhookWorker(
            store: store,
            configuration: configuration,
            logger: logger,
            now: { clock.now },
            random: { 0.5 }  // jitter factor 1
        )
    }

    private func withWorker<T>(
        logger: Logger = quietLogger("webhooks"),
        _ adjust: (inout WebhookWorker.Configuration) -> Void = { _ in },
        _ body: (PostgresStore, UUID, WebhookWorker, ManualClock, WebhookReceiver) async throws -> T
    ) async throws -> T {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { try? await receiver.stop() } }
        return try await withStore("webhooks") { store in
            let account = try await store.createAccount(name: "acme").account.id
            // Ahead of the database's clock by more than the test's set-up can take on a busy
            // machine, so rows the test enqueues are due at once.
            let clock = ManualClock(Date().addingTimeInterval(30))
            let worker = self.worker(store, clock: clock, logger: logger, adjust)
            defer { Task { await worker.shutdown() } }
            return try await body(store, account, worker, clock, receiver)
        }
    }

    @Test func failuresAndTimeoutsAreRetriedOnTheSchedule() async throws {
        try await self.withWorker { store, account, worker, clock, receiver in
            // By attempt, not by arrival: a timed-out attempt may not even reach the receiver.
            receiver.answer { request, _ in
                switch request.headers.first(name: "SMSBridge-Attempt") {
                case "1", "2": .init(status: 500)
                case "3": .init(status: 200, delay: .seconds(5))  // longer than the request timeout
                default: .init(status: 204)
                }
            }
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: receiver.url))
            func row() async throws -> WebhookDeliveryRecord {
                try #require(try await store.webhookDelivery(id: event.id, accountID: account))
            }
            #expect(try await worker.deliverDue() == 1)
            var current = try await row()
            #expect(current.lastStatusCode == 500 && current.status == .pending)
            #expect(abs(current.nextAttemptAt!.timeIntervalSince(clock.now) - 5) < 0.01, "first retry after 5 s")

            clock.advance(by: 4.9)
            #expect(try await worker.deliverDue() == 0, "not due yet")
            clock.advance(by: 0.2)
            #expect(try await worker.deliverDue() == 1)
            current = try await row()
            #expect(current.attempts == 2 && current.lastStatusCode == 500)
            #expect(abs(current.nextAttemptAt!.timeIntervalSince(clock.now) - 10) < 0.01, "then after 10 s")

            clock.advance(by: 10)
            #expect(try await worker.deliverDue() == 1)
            current = try await row()
            #expect(current.lastStatusCode == nil && current.lastError == "timed out")
            #expect(abs(current.nextAttemptAt!.timeIntervalSince(clock.now) - 20) < 0.01, "then after 20 s")

            clock.advance(by: 20)
            #expect(try await worker.deliverDue() == 1)
            current = try await row()
            #expect(current.status == .delivered && current.attempts == 4)
            let attempts = try await store.webhookAttempts(deliveryID: event.id)
            #expect(attempts.map(\.statusCode) == [500, 500, nil, 204])
            let received = receiver.requests.compactMap { $0.headers.first(name: "SMSBridge-Attempt") }
            #expect(received.filter { $0 != "3" } == ["1", "2", "4"])
            #expect(Set(receiver.requests.map(\.eventID)).count == 1, "the same event each time")
        }
    }

    @Test func aDeliveryIsDeadAfterItsBudgetAndCanBeRedelivered() async throws {
        try await self.withWorker({ $0.retry.maximumAttempts = 2 }) { store, account, worker, clock, receiver in
            receiver.answer { _, _ in .init(status: 503) }
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: receiver.url))
            #expect(try await worker.deliverDue() == 1)
            clock.advance(by: 6)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.status == .dead)
            clock.advance(by: 3_600)
            #expect(try await worker.deliverDue() == 0, "dead rows are not tried")

            // The budget starts again: one failure after the redelivery is retried, not dead at once.
            receiver.answer { request, _ in
                .init(status: request.headers.first(name: "SMSBridge-Attempt") == "3" ? 503 : 200)
            }
            let again = try #require(try await store.redeliverWebhook(id: event.id, accountID: account))
            #expect(again.status == .pending && again.attempts == 2 && again.redeliveries == 1)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.status == .pending)
            clock.advance(by: 6)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.status == .delivered)
            #expect(try await store.webhookAttempts(deliveryID: event.id).map(\.statusCode) == [503, 503, 503, 200])
            let headers = receiver.requests.map {
                [$0.headers.first(name: "SMSBridge-Attempt"), $0.headers.first(name: "SMSBridge-Redelivery")]
            }
            #expect(
                headers == [["1", nil], ["2", nil], ["3", "1"], ["4", "1"]],
                "a redelivery is told from a first delivery"
            )
        }
    }

    /// The usual story: the endpoint was down, the events died, the customer moved the endpoint
    /// and redelivered — the event goes to the new endpoint.
    @Test func aRedeliveryAfterTheEndpointMovedGoesToTheNewEndpoint() async throws {
        try await self.withWorker({ $0.retry.maximumAttempts = 1 }) { store, account, worker, clock, old in
            let new = WebhookReceiver()
            try await new.start()
            defer { Task { try? await new.stop() } }
            old.answer { _, _ in .init(status: 503) }
            _ = try await store.setWebhookURLs(accountID: account, statusURL: old.url, inboundURL: nil)
            // A message.status event to the account's URL: a canceled message.
            let validator = MessageValidator(
                policy: MessagePolicy(),
                router: MessageRouter(defaultConnector: "main"),
                builders: ["main": SubmitBuilder()]
            )
            let request = SendRequest(to: "447700900123", from: "Shop", text: "Hi")
            let message = try validator.validate(request, accountID: account, now: Date()).get()
            try await store.insert([message])
            _ = try await store.cancel(id: message.id, accountID: account)
            #expect(try await worker.deliverDue() == 1)
            let dead = try await store.webhookDeliveries(
                accountID: account,
                filter: .init(status: .dead),
                limit: 10,
                after: nil
            )
            let status = try #require(dead.first { $0.eventType == .messageStatus })

            _ = try await store.setWebhookURLs(accountID: account, statusURL: new.url, inboundURL: nil)
            let again = try #require(try await store.redeliverWebhook(id: status.id, accountID: account))
            #expect(again.url == new.url)
            #expect(try await worker.deliverDue() == 1)
            #expect(new.requests.map(\.eventID) == [status.id.uuidString.lowercased()])
            #expect(try await store.webhookDelivery(id: status.id, accountID: account)?.status == .delivered)
            #expect(old.requests.count == 1, "nothing more to the old endpoint")
        }
    }

    /// Events still waiting for the account's old URL go to the new one once it is set; those of a
    /// message's own callback_url stay where they were addressed.
    @Test func pendingEventsFollowTheAccountsNewURL() async throws {
        try await self.withWorker { store, account, worker, clock, old in
            let new = WebhookReceiver()
            try await new.start()
            defer { Task { try? await new.stop() } }
            old.answer { _, _ in .init(status: 503) }
            _ = try await store.setWebhookURLs(accountID: account, statusURL: old.url, inboundURL: nil)
            var policy = MessagePolicy()
            policy.callbackURLs = CallbackURLPolicy(allowsPrivateAddresses: true)
            let validator = MessageValidator(
                policy: policy,
                router: MessageRouter(defaultConnector: "main"),
                builders: ["main": SubmitBuilder()]
            )
            let own = "\(old.url)?own=1"
            var ids: [UUID] = []
            for callback in [nil, own] {
                let request = SendRequest(to: "447700900123", from: "Shop", text: "Hi", callbackURL: callback)
                let message = try validator.validate(request, accountID: account, now: Date()).get()
                try await store.insert([message])
                _ = try await store.cancel(id: message.id, accountID: account)
                ids.append(message.id)
            }
            #expect(try await worker.deliverDue() == 2)
            _ = try await store.setWebhookURLs(accountID: account, statusURL: new.url, inboundURL: nil)
            let pending = try await store.webhookDeliveries(accountID: account, filter: .init(status: .pending), limit: 10, after: nil)
            #expect(Set(pending.map(\.url)) == [new.url, own])
            clock.advance(by: 3_600)
            #expect(try await worker.deliverDue() == 2)
            #expect(new.requests.count == 1)
            #expect(old.requests.count == 3, "the message's own URL is tried again where it was")
        }
    }

    /// A receiver still holding the original secret verifies callbacks during the first rotation's
    /// overlap, even after a second rotation.
    @Test func aSecondRotationDoesNotCutTheOriginalSecretShort() async throws {
        try await self.withWorker { store, account, worker, clock, receiver in
            let original = try await store.webhookSettings(accountID: account).secret
            let first = try await store.rotateWebhookSecret(accountID: account, overlap: 3_600).secret
            let second = try await store.rotateWebhookSecret(accountID: account, overlap: 3_600).secret
            _ = try await store.enqueueTestWebhook(accountID: account, url: receiver.url)
            #expect(try await worker.deliverDue() == 1)
            let request = try #require(receiver.requests.first)
            #expect(request.headers.first(name: "SMSBridge-Signature")?.split(separator: ",").count == 3)
            for secret in [original, first, second] { #expect(try await pythonVerifies(request, secret: secret)) }
        }
    }

    /// At most two old secrets sign beside the current one: a third rotation within the overlaps
    /// ends the original secret's at once, and posts carry three signatures, not four.
    @Test func aThirdRotationWithinTheOverlapsStopsTheOldestSecret() async throws {
        try await self.withWorker { store, account, worker, clock, receiver in
            let original = try await store.webhookSettings(accountID: account).secret
            var secrets: [String] = []
            for _ in 0..<3 {
                secrets.append(try await store.rotateWebhookSecret(accountID: account, overlap: 3_600).secret)
            }
            _ = try await store.enqueueTestWebhook(accountID: account, url: receiver.url)
            #expect(try await worker.deliverDue() == 1)
            let request = try #require(receiver.requests.first)
            #expect(request.headers.first(name: "SMSBridge-Signature")?.split(separator: ",").count == 3)
            for secret in secrets { #expect(try await pythonVerifies(request, secret: secret)) }
            #expect(!(try await pythonVerifies(request, secret: original)), "its overlap ended at the third rotation")
        }
    }

    @Test func duringARotationBothSecretsSign() async throws {
        try await self.withWorker { store, account, worker, clock, receiver in
            let old = try await store.webhookSettings(accountID: account).secret
            let new = try await store.rotateWebhookSecret(accountID: account, overlap: 3_600).secret
            _ = try await store.enqueueTestWebhook(accountID: account, url: receiver.url)
            #expect(try await worker.deliverDue() == 1)
            let during = try #require(receiver.requests.first)
            #expect(during.headers.first(name: "SMSBridge-Signature")?.split(separator: ",").count == 2)
            #expect(try await pythonVerifies(during, secret: new))
            #expect(try await pythonVerifies(during, secret: old))

            clock.advance(by: 3_601)
            _ = try await store.enqueueTestWebhook(accountID: account, url: receiver.url)
            #expect(try await worker.deliverDue() == 1)
            let after = try #require(receiver.requests.dropFirst().first)
            #expect(after.headers.first(name: "SMSBridge-Signature")?.split(separator: ",").count == 1)
            #expect(try await pythonVerifies(after, secret: new))
            #expect(!(try await pythonVerifies(after, secret: old)))
        }
    }

    @Test func oneAccountsFailingPathDoesNotPauseAnotherAccountOnTheSameHost() async throws {
        try await self.withWorker({
            $0.breakerFailureThreshold = 3
            $0.breakerCooldown = 30
        }) { store, account, worker, clock, receiver in
            receiver.answer { request, _ in .init(status: request.uri.hasPrefix("/fail") ? 500 : 200) }
            let other = try await store.createAccount(name: "other").account.id
            let base = "http://127.0.0.1:\(receiver.port)"
            var failing: [UUID] = []
            for _ in 0..<5 {
                failing.append(try #require(try await store.enqueueTestWebhook(accountID: account, url: "\(base)/fail/acme")).id)
            }
            #expect(try await worker.deliverDue() == 5)
            // Posted before the circuit opened, or given back once it had.
            #expect((3...5).contains(receiver.requests.count))
            let pausedUntil = clock.now.addingTimeInterval(30)

            // The same host:port, another account: not held back by the first one's circuit.
            for _ in 0..<3 {
                _ = try await store.enqueueTestWebhook(accountID: other, url: "\(base)/ok/other")
            }
            #expect(try await worker.deliverDue() == 3)
            let healthy = try await store.webhookDeliveries(accountID: other, filter: .init(), limit: 10, after: nil)
            #expect(healthy.count == 3 && healthy.allSatisfy { $0.status == .delivered && $0.attempts == 1 })

            // The paused ones say so, and when they are tried again.
            let paused = try await store.webhookDeliveries(accountID: account, filter: .init(), limit: 10, after: nil)
            #expect(paused.allSatisfy { $0.status == .pending })
            #expect(paused.allSatisfy { $0.nextAttemptAt! >= pausedUntil.addingTimeInterval(-1) }, "\(paused)")
            #expect(paused.count { $0.lastError?.hasPrefix("waiting: this account's webhooks to 127.0.0.1:") == true } >= 2)
            clock.advance(by: 10)
            #expect(try await worker.deliverDue() == 0, "past their back-off, still paused")

            // After the cooldown, one trial: the earliest due of that account and destination.
            clock.advance(by: 21)
            let before = receiver.requests.count
            #expect(try await worker.deliverDue() == 1)
            #expect(receiver.requests.count == before + 1)
            #expect(receiver.requests.last?.eventID == failing[0].uuidString.lowercased())
            #expect(try await worker.deliverDue() == 0, "the failed trial paused it again")

            receiver.answer { _, _ in .init(status: 200) }
            clock.advance(by: 31)
            #expect(try await worker.deliverDue() == 1, "a trial first")
            #expect(try await worker.deliverDue() == 4, "then the rest: it succeeded")
            let delivered = try await store.webhookDeliveries(accountID: account, filter: .init(), limit: 10, after: nil)
            #expect(delivered.allSatisfy { $0.status == .delivered })
        }
    }

    /// Two accounts on one host (a relay, say): one's endpoint answers slowly, the other's at once.
    /// The fast one's events go out while the slow one's are in flight — first come, they waited
    /// behind every event of the slow one that the host had room for.
    @Test func aSlowAccountOnASharedHostDoesNotHoldUpAnotherAccountsEvents() async throws {
        try await self.withWorker({
            $0.maxPerDestination = 2
            $0.requestTimeout = 30
            $0.pollInterval = .milliseconds(100)
        }) { store, account, worker, clock, receiver in
            receiver.answer { request, _ in
                .init(status: 200, delay: request.uri.hasPrefix("/slow") ? .seconds(3) : nil)
            }
            let other = try await store.createAccount(name: "other").account.id
            let base = "http://127.0.0.1:\(receiver.port)"
            for _ in 0..<10 { _ = try await store.enqueueTestWebhook(accountID: account, url: "\(base)/slow") }
            for _ in 0..<3 { _ = try await store.enqueueTestWebhook(accountID: other, url: "\(base)/fast") }
            func delivered(_ account: UUID) async throws -> Int {
                try await store.webhookDeliveries(
                    accountID: account,
                    filter: .init(status: .delivered),
                    limit: 20,
                    after: nil
                )
                .count
            }
            let group = ServiceGroup(configuration: .init(services: [worker], logger: quietLogger("services")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let started = ContinuousClock.now
                try await waitUntil("the fast account's events are delivered", timeout: .seconds(60)) {
                    try await delivered(other) == 3
                }
                let waited = ContinuousClock.now - started
                let slowDelivered = try await delivered(account)
                // Two slots, 3 s a slow answer: first come, the fast events went after ten slow ones (15 s).
                #expect(waited < .seconds(9), "within about one slow answer: \(waited)")
                #expect(slowDelivered <= 4, "the slow account's events still in flight: \(slowDelivered) delivered")
                // The rest without waiting: the shutdown waits for every event claimed.
                receiver.answer { _, _ in .init(status: 200) }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            #expect(receiver.requests.count { $0.uri.hasPrefix("/fast") } == 3)
        }
    }

    /// A 429 with Retry-After holds back every event of that account to that host until then: none
    /// of the others is posted (to get the same answer) or charged an attempt, and one written
    /// meanwhile waits too. Another account's events to the same host go on.
    @Test func a429HoldsTheAccountsEventsToTheHostBackUntilItsRetryAfter() async throws {
        try await self.withWorker({
            $0.maxPerDestination = 1
            $0.retry.maximumDelay = 600
        }) { store, account, worker, clock, receiver in
            receiver.answer { request, _ in
                request.uri.hasPrefix("/busy")
                    ? .init(status: 429, headers: [("Retry-After", "120")]) : .init(status: 200)
            }
            let other = try await store.createAccount(name: "other").account.id
            let base = "http://127.0.0.1:\(receiver.port)"
            for _ in 0..<4 { _ = try await store.enqueueTestWebhook(accountID: account, url: "\(base)/busy") }
            for _ in 0..<3 { _ = try await store.enqueueTestWebhook(accountID: other, url: "\(base)/ok") }
            func drain() async throws {
                var rounds = 0
                while try await worker.deliverDue() > 0, rounds < 10 { rounds += 1 }
            }
            func busyPosts() -> Int { receiver.requests.count { $0.uri.hasPrefix("/busy") } }
            func rows(_ account: UUID) async throws -> [WebhookDeliveryRecord] {
                try await store.webhookDeliveries(accountID: account, filter: .init(), limit: 20, after: nil)
            }
            try await drain()
            #expect(busyPosts() == 1, "one 429, then the account's other events wait")
            let held = try await rows(account)
            let until = clock.now.addingTimeInterval(120)
            #expect(held.allSatisfy { $0.status == .pending && abs($0.nextAttemptAt!.timeIntervalSince(until)) < 0.01 })
            #expect(held.count { $0.attempts == 1 && $0.lastStatusCode == 429 } == 1)
            let waiting = held.filter { $0.attempts == 0 }
            #expect(waiting.count == 3, "not charged an attempt")
            #expect(waiting.allSatisfy { $0.lastError?.hasPrefix("waiting: 127.0.0.1:") == true })
            #expect(waiting.allSatisfy { $0.lastError?.contains("fewer requests") == true })
            #expect(try await rows(other).allSatisfy { $0.status == .delivered }, "another account goes on")

            // Written during the hold: the account's waits, the other account's goes.
            clock.advance(by: 60)
            let late = try #require(try await store.enqueueTestWebhook(accountID: account, url: "\(base)/busy"))
            _ = try await store.enqueueTestWebhook(accountID: other, url: "\(base)/ok")
            try await drain()
            #expect(busyPosts() == 1)
            #expect(try await store.webhookDelivery(id: late.id, accountID: account)?.attempts == 0)
            #expect(try await rows(other).count { $0.status == .delivered } == 4)

            // Retry-After is over: everything goes, each event's first attempt but the one answered 429.
            receiver.answer { _, _ in .init(status: 200) }
            clock.advance(by: 61)
            try await drain()
            let done = try await rows(account)
            #expect(done.count == 5 && done.allSatisfy { $0.status == .delivered })
            #expect(done.map(\.attempts).sorted() == [1, 1, 1, 1, 2])
        }
    }

    @Test func aGoneURLEndsTheEventAtOnceAndOtherClientErrorsAreRetried() async throws {
        let logs = CapturedLogs()
        try await self.withWorker(logger: logs.logger(label: "webhooks")) { store, account, worker, clock, receiver in
            receiver.answer { _, _ in .init(status: 404) }
            let missing = try #require(try await store.enqueueTestWebhook(accountID: account, url: receiver.url))
            #expect(try await worker.deliverDue() == 1)
            let retried = try #require(try await store.webhookDelivery(id: missing.id, accountID: account))
            #expect(retried.status == .pending && retried.lastStatusCode == 404)

            receiver.answer { _, _ in .init(status: 410) }
            clock.advance(by: 6)
            #expect(try await worker.deliverDue() == 1)
            let gone = try #require(try await store.webhookDelivery(id: missing.id, accountID: account))
            #expect(gone.status == .dead && gone.attempts == 2 && gone.lastStatusCode == 410)
            #expect(gone.lastError?.contains("410 Gone") == true)
            // Ids in the log as everywhere else: lower case.
            let notice = try #require(logs.records("webhook is dead: its URL is gone").first)
            #expect(notice.metadata["webhook.id"] == missing.id.lowercased)
            clock.advance(by: 3_600)
            #expect(try await worker.deliverDue() == 0, "not tried again")
            #expect(receiver.requests.count == 2)
        }
    }

    /// A claim cut short by a shutdown that cancels the worker's task (past the graceful
    /// deadline) is no failure: nothing is logged as a warning (it logged "claiming webhooks
    /// failed … CancellationError"; only a graceful shutdown was quiet).
    @Test func aClaimCanceledByShutdownIsNoWarning() async throws {
        try await withStore("webhooks-cancel") { store in
            let logs = CapturedLogs()
            let worker = WebhookWorker(store: store, logger: logs.logger(label: "webhooks", level: .debug))
            try await cancelWhileClaiming("webhook_deliveries", in: store) { try await worker.run() }
            #expect(logs.all.filter { $0.level >= .warning }.map(\.message) == [])
            #expect(logs.records("claiming webhooks canceled").count == 1, "the claim did stop on the cancellation")
        }
    }

    @Test func retryAfterOfA429OrA503PutsTheNextAttemptOffUpToTheMaximumDelay() async throws {
        try await self.withWorker({
            $0.retry.firstDelay = 0.1
            $0.retry.maximumDelay = 600
        }) { store, account, worker, clock, receiver in
            let date = clock.now.addingTimeInterval(40)
            receiver.answer { request, _ in
                switch request.headers.first(name: "SMSBridge-Attempt") {
                case "1": .init(status: 429, headers: [("Retry-After", "2")])
                case "2": .init(status: 503, headers: [("Retry-After", Self.httpDate(date))])
                case "3": .init(status: 503, headers: [("Retry-After", "86400")])
                case "4": .init(status: 500, headers: [("Retry-After", "30")])
                default: .init(status: 200)
                }
            }
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: receiver.url))
            func delay() async throws -> TimeInterval {
                try #require(try await store.webhookDelivery(id: event.id, accountID: account)?.nextAttemptAt)
                    .timeIntervalSince(clock.now)
            }
            #expect(try await worker.deliverDue() == 1)
            #expect(abs(try await delay() - 2) < 0.01, "seconds")
            clock.advance(by: 2)
            #expect(try await worker.deliverDue() == 1)
            let untilDate = try await delay()
            #expect(untilDate >= 36.99 && untilDate <= 38.01, "an HTTP date, to the second: \(untilDate)")
            clock.advance(by: untilDate)
            #expect(try await worker.deliverDue() == 1)
            #expect(abs(try await delay() - 600) < 0.01, "no longer than the maximum delay")
            clock.advance(by: 600)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await delay() < 1, "only a 429's or a 503's")
        }
    }

    private static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }

    @Test func privateDestinationsAreRefusedAtDelivery() async throws {
        try await self.withWorker({ $0.allowPrivateDestinations = false }) { store, account, worker, clock, receiver in
            for host in ["127.0.0.1", "localhost"] {
                let url = "http://\(host):\(receiver.port)/hooks"
                let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: url))
                #expect(try await worker.deliverDue() == 1)
                let row = try #require(try await store.webhookDelivery(id: event.id, accountID: account))
                #expect(row.lastError?.hasPrefix("refused") == true, "\(host)")
                #expect(row.status == .pending, "retried: the setting may change")
            }
            #expect(receiver.requests.isEmpty)
        }
    }

    /// The budget counts from an event's first attempt: one that waited (behind an earlier event
    /// of its message, say) longer than the whole budget still gets its retries.
    @Test func anEventThatWaitedLongerThanItsBudgetStillGetsItsRetries() async throws {
        // The worker's clock is 30 s ahead of the rows' times: every event looks 30 s old.
        try await self.withWorker({ $0.retry.giveUpAfter = 20 }) { store, account, worker, clock, receiver in
            receiver.answer { _, _ in .init(status: 503) }
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: receiver.url))
            #expect(try await worker.deliverDue() == 1)
            let row = try #require(try await store.webhookDelivery(id: event.id, accountID: account))
            #expect(row.status == .pending, "retried: its 20 s start at its first attempt")
            clock.advance(by: 25)
            #expect(try await worker.deliverDue() == 1)
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.status == .dead)
        }
    }

    /// A refused connection reads as the system says it, not as NIO's framing of an errno (which
    /// had an unbalanced parenthesis); TLS errors lose the library's source paths.
    @Test func aRefusedConnectionIsRecordedInPlainWords() async throws {
        try await self.withWorker({ $0.connectTimeout = 0.5 }) { store, account, worker, _, _ in
            let closed = try freePort()
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: "http://127.0.0.1:\(closed)/"))
            #expect(try await worker.deliverDue() == 1)
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.lastError == "Connection refused")
        }
        struct Handshake: Error, CustomStringConvertible {
            var description: String {
                "handshake failed: /work/x/.build/checkouts/swift-nio-ssl/Sources/ssl/handshake.cc:393 CERTIFICATE_VERIFY_FAILED"
                    + " at [IPv4]hooks.example.com/203.0.113.7:443"
            }
        }
        #expect(WebhookWorker.describe(Handshake()) == "handshake failed:  CERTIFICATE_VERIFY_FAILED at ")
    }

    /// An event stored with a port the HTTP client cannot use (before the API refused them) is
    /// recorded as failed; the client trapped on it, and the service died again at each lease.
    @Test func aStoredURLWithAPortBeyondRangeFailsItsPostWithoutStoppingTheWorker() async throws {
        try await self.withWorker { store, account, worker, clock, receiver in
            let bad = try #require(try await store.enqueueTestWebhook(accountID: account, url: "http://127.0.0.1:99999/"))
            let good = try #require(
                try await store.enqueueTestWebhook(accountID: account, url: "http://127.0.0.1:\(receiver.port)/hooks")
            )
            #expect(try await worker.deliverDue() == 2)
            let row = try #require(try await store.webhookDelivery(id: bad.id, accountID: account))
            #expect(row.lastError == "port 99999 is not 1–65535")
            #expect(try await store.webhookDelivery(id: good.id, accountID: account)?.status == .delivered)
        }
    }
}

@Suite struct WebhookRulesTests {
    @Test func theScheduleGrowsToItsMaximumAndEndsAtItsBudget() {
        var schedule = WebhookRetrySchedule()
        schedule.jitter = 0
        #expect((1...4).map { schedule.baseDelay(afterAttempts: $0) } == [5, 10, 20, 40])
        #expect(schedule.baseDelay(afterAttempts: 20) == 3_600)
        let start = Date(timeIntervalSince1970: 0)
        #expect(
            schedule.nextAttempt(afterAttempts: 1, since: start, now: start, random: 0.5) == start.addingTimeInterval(5)
        )
        let late = start.addingTimeInterval(86_000)
        #expect(schedule.nextAttempt(afterAttempts: 30, since: start, now: late, random: 0.5) == nil, "past 24 h")
        schedule.jitter = 0.2
        #expect(
            schedule.nextAttempt(afterAttempts: 1, since: start, now: start, random: 0) == start.addingTimeInterval(4)
        )
        #expect(
            schedule.nextAttempt(afterAttempts: 1, since: start, now: start, random: 1) == start.addingTimeInterval(6)
        )
        schedule.maximumAttempts = 3
        #expect(schedule.nextAttempt(afterAttempts: 3, since: start, now: start, random: 0.5) == nil)
    }

    /// The names of posts admitted by a ``PostGate``, in order.
    private final class Admitted: Sendable {
        let names = Mutex<[String]>([])
        var all: [String] { self.names.withLock { $0 } }
    }

    /// Starts one post per entry waiting for a slot of `destination`, each queued before the next
    /// starts; each adds its name to `admitted` once it has a slot.
    private func queue(
        _ gate: PostGate,
        _ destination: String,
        _ entries: [(account: UUID, name: String)],
        admitted: Admitted
    ) async throws -> [Task<Void, Never>] {
        var tasks: [Task<Void, Never>] = []
        for entry in entries {
            let before = gate.waiting(destination)
            tasks.append(
                Task {
                    await gate.enter(destination, account: entry.account)
                    admitted.names.withLock { $0.append(entry.name) }
                }
            )
            try await waitUntil("\(entry.name) queued") { gate.waiting(destination) == before + 1 }
        }
        return tasks
    }

    @Test func postsToOneDestinationWaitForAFreeSlotInOrderWithoutHoldingUpOthers() async throws {
        let gate = PostGate(limit: 2)
        let account = UUID()
        await gate.enter("a:1", account: account)
        await gate.enter("a:1", account: account)
        #expect(gate.active("a:1") == 2)
        let admitted = Admitted()
        let waiters = try await self.queue(gate, "a:1", ["1", "2", "3"].map { (account, $0) }, admitted: admitted)
        // A full destination does not hold up another one.
        await gate.enter("b:1", account: account)
        #expect(gate.active("b:1") == 1)
        #expect(admitted.all.isEmpty, "both slots of a:1 are taken")
        // Each freed slot goes to the longest waiter.
        for count in 1...3 {
            gate.leave("a:1", account: account)
            try await waitUntil("waiter \(count) admitted") { admitted.all == (1...count).map(String.init) }
        }
        for waiter in waiters { await waiter.value }
        #expect(gate.active("a:1") == 2, "the waiters took the freed slots, never more than the limit")
    }

    /// An account that holds every slot of a shared host (its endpoint is slow) does not keep them:
    /// each freed slot goes to the waiting account holding the fewest, ahead of its own waiters.
    @Test func aFreedSlotGoesToTheWaitingAccountHoldingTheFewest() async throws {
        let gate = PostGate(limit: 2)
        let (slow, fast) = (UUID(), UUID())
        await gate.enter("h:1", account: slow)
        await gate.enter("h:1", account: slow)
        #expect(gate.active("h:1", account: slow) == 2, "alone, an account takes every slot")
        let admitted = Admitted()
        let entries = [(slow, "s1"), (slow, "s2"), (fast, "f1"), (fast, "f2")]
        let waiters = try await self.queue(gate, "h:1", entries, admitted: admitted)
        // The slow account's waiters came first; the fast one holds fewer slots, so it goes first.
        gate.leave("h:1", account: slow)
        try await waitUntil("f1 admitted") { admitted.all == ["f1"] }
        gate.leave("h:1", account: fast)
        try await waitUntil("f2 admitted") { admitted.all == ["f1", "f2"] }
        // The fast account has nothing more waiting: the slow one's waiters take the slots.
        gate.leave("h:1", account: fast)
        try await waitUntil("s1 admitted") { admitted.all == ["f1", "f2", "s1"] }
        gate.leave("h:1", account: slow)
        try await waitUntil("s2 admitted") { admitted.all == ["f1", "f2", "s1", "s2"] }
        for waiter in waiters { await waiter.value }
        #expect(gate.active("h:1") == 2 && gate.waiting("h:1") == 0)
        #expect(gate.active("h:1", account: slow) == 2, "alone again, it has every slot")
    }

    /// A start time, an account, its deliveries to `a:1`, and another account's to the same destination.
    private func limiterFixture() -> (
        start: Date, account: UUID, a: DestinationLimiter.Key, other: DestinationLimiter.Key
    ) {
        let account = UUID()
        return (
            Date(timeIntervalSince1970: 1_000),
            account,
            DestinationLimiter.Key(accountID: account, destination: "a:1"),
            DestinationLimiter.Key(accountID: UUID(), destination: "a:1")
        )
    }

    @Test func theCircuitOpensAfterRepeatedFailuresAndTriesOneAfterTheCooldown() {
        var limiter = DestinationLimiter(maximumPerDestination: 4, failureThreshold: 3, cooldown: 30)
        let (start, account, a, other) = self.limiterFixture()
        limiter.started(a)
        limiter.started(a)
        #expect(limiter.rooms() == [.init(destination: "a:1", room: 2)])
        #expect(limiter.accountRooms(now: start) == [.init(accountID: account, destination: "a:1", room: nil, held: 2)])
        #expect(limiter.crowdedDestinations() == ["a:1"], "it holds half the destination's room: others are looked up")
        limiter.finished(a, .failed, now: start)
        limiter.finished(a, .failed, now: start)
        #expect(limiter.rooms().isEmpty && limiter.crowdedDestinations().isEmpty)
        #expect(limiter.accountRooms(now: start).isEmpty, "closed below the threshold")
        limiter.started(a)
        #expect(limiter.accountRooms(now: start) == [.init(accountID: account, destination: "a:1", room: nil, held: 1)])
        let opened = limiter.finished(a, .failed, now: start)
        #expect(opened == start.addingTimeInterval(30), "the third failure opens it")
        #expect(limiter.accountRooms(now: start) == [.init(accountID: account, destination: "a:1", room: 0)])
        #expect(limiter.rooms().isEmpty, "the destination itself is not paused")
        #expect(limiter.openUntil(a, now: start.addingTimeInterval(29)) != nil)
        #expect(limiter.openUntil(other, now: start) == nil, "another account's circuit to it is closed")
        #expect(limiter.pausedCount == 1)
        let later = start.addingTimeInterval(31)
        #expect(
            limiter.accountRooms(now: later) == [.init(accountID: account, destination: "a:1", room: 1)],
            "half-open: one trial"
        )
        limiter.started(a)
        #expect(limiter.accountRooms(now: later) == [.init(accountID: account, destination: "a:1", room: 0, held: 1)])
        let reopened = limiter.finished(a, .failed, now: later)
        #expect(reopened == later.addingTimeInterval(30), "a failed trial opens it again")
        let muchLater = later.addingTimeInterval(31)
        limiter.started(a)
        #expect(limiter.finished(a, .neutral, now: muchLater) == nil)
        #expect(limiter.accountRooms(now: muchLater).map(\.room) == [1], "a 410 says nothing: still half-open")
        limiter.started(a)
        limiter.finished(a, .succeeded, now: muchLater)
        #expect(limiter.accountRooms(now: muchLater).isEmpty && limiter.pausedCount == 0, "closed again")
    }

    @Test func aSlowDownHoldsOneAccountsDeliveriesToADestinationBack() {
        var limiter = DestinationLimiter(maximumPerDestination: 8, failureThreshold: 10, cooldown: 30)
        let (start, account, a, other) = self.limiterFixture()
        let delays: (Int) -> TimeInterval = { [5, 10, 20][min($0, 3) - 1] }
        limiter.started(a)
        limiter.finished(a, .failed, now: start)
        let retryAfter = start.addingTimeInterval(120)
        #expect(limiter.slowDown(a, until: retryAfter, now: start, delayAfter: delays) == retryAfter)
        #expect(limiter.hold(a, now: start) == .slowDown(until: retryAfter))
        #expect(limiter.hold(other, now: start) == nil, "another account is not held back")
        #expect(limiter.accountRooms(now: start) == [.init(accountID: account, destination: "a:1", room: 0)])
        #expect(limiter.pausedCount == 0, "not a breaker")
        #expect(
            limiter.slowDown(a, until: start.addingTimeInterval(10), now: start, delayAfter: delays) == retryAfter,
            "a shorter one keeps the hold running"
        )
        let after = retryAfter.addingTimeInterval(1)
        #expect(limiter.hold(a, now: after) == nil && limiter.accountRooms(now: after).isEmpty, "over")
        // Without a time given: the schedule's delay after as many slow-downs in a row (a third here).
        #expect(limiter.slowDown(a, until: nil, now: after, delayAfter: delays) == after.addingTimeInterval(20))
        // A success starts the count again.
        let later = after.addingTimeInterval(30)
        limiter.started(a)
        limiter.finished(a, .succeeded, now: later)
        #expect(limiter.slowDown(a, until: nil, now: later, delayAfter: delays) == later.addingTimeInterval(5))
        // With an open circuit too, the later of the two.
        for _ in 0..<10 {
            limiter.started(a)
            limiter.finished(a, .failed, now: later)
        }
        #expect(limiter.hold(a, now: later) == .circuitOpen(until: later.addingTimeInterval(30)))
    }

    @Test func retryAfterIsSecondsOrAnHTTPDate() {
        let now = Date(timeIntervalSince1970: 784_111_777)  // Sun, 06 Nov 1994 08:49:37 GMT
        #expect(WebhookVerdict.retryAfter("120", now: now) == now.addingTimeInterval(120))
        #expect(WebhookVerdict.retryAfter(" 0 ", now: now) == now)
        let later = now.addingTimeInterval(60)
        #expect(WebhookVerdict.retryAfter("Sun, 06 Nov 1994 08:50:37 GMT", now: now) == later)
        #expect(WebhookVerdict.retryAfter("Sunday, 06-Nov-94 08:50:37 GMT", now: now) == later)
        #expect(WebhookVerdict.retryAfter("Sun Nov  6 08:50:37 1994", now: now) == later)
        for bad in ["", "-5", "1.5", "soon", "Sun, 06 Nov 1994"] {
            #expect(WebhookVerdict.retryAfter(bad, now: now) == nil, "\(bad)")
        }
        #expect(WebhookVerdict(statusCode: 204, retryAfter: nil, now: now) == .delivered)
        #expect(WebhookVerdict(statusCode: 410, retryAfter: "5", now: now) == .gone)
        #expect(
            WebhookVerdict(statusCode: 429, retryAfter: "5", now: now) == .slowDown(until: now.addingTimeInterval(5))
        )
        #expect(WebhookVerdict(statusCode: 429, retryAfter: nil, now: now) == .slowDown(until: nil))
        #expect(
            WebhookVerdict(statusCode: 503, retryAfter: "5", now: now) == .slowDown(until: now.addingTimeInterval(5))
        )
        #expect(WebhookVerdict(statusCode: 503, retryAfter: "soon", now: now) == .retry, "a 503 without a time fails")
        #expect(WebhookVerdict(statusCode: 500, retryAfter: "5", now: now) == .retry)
        #expect(WebhookVerdict(statusCode: nil, retryAfter: nil, now: now) == .retry)
    }
}
