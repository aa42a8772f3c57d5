import BridgeCore
import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import NIOHTTP1
import PostgresNIO
import SMPP
import SMPPClient
import SMSCSimulator
import Testing

@Suite(.timeLimit(.minutes(3))) struct DispatchTests {
    @Test func aMessageIsSubmittedAndDelivered() async throws {
        try await withBridge { bridge in
            let id = try await bridge.send(SendRequest(to: "+447700900123", from: "Shop", text: "Hello"))
            let delivered = try await bridge.waitFor(id, .delivered)
            #expect(delivered.parts.count == 1)
            let smscID = try #require(delivered.parts[0].smscMessageID)
            #expect(bridge.simulator.message(id: smscID)?.text == "Hello")
            #expect(delivered.sentAt != nil && delivered.doneAt != nil)
            #expect(delivered.receipts.map(\.stat) == ["DELIVRD"])
            #expect(delivered.attempts == 1)
        }
    }

    @Test func everyPartOfALongUnicodeMessageIsTracked() async throws {
        try await withBridge { bridge in
            let text = String(repeating: "Привет мир! ", count: 12)  // 144 UCS-2 units: 3 parts
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: text))
            let delivered = try await bridge.waitFor(id, .delivered)
            #expect(delivered.encoding == "ucs2")
            #expect(delivered.parts.count == 3)
            #expect(delivered.parts.allSatisfy { $0.status == "delivered" && $0.smscMessageID != nil })
            let texts = delivered.parts.compactMap { bridge.simulator.message(id: $0.smscMessageID!)?.text }
            #expect(texts.joined() == text)
        }
    }

    @Test func failedOutcomesBecomeUndelivered() async throws {
        try await withBridge(simulator: { $0.receipts.outcomes = try! OutcomeMix(parsing: "UNDELIV=1") }) { bridge in
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "no luck"))
            let record = try await bridge.waitFor(id, .undelivered)
            #expect(record.errorCode == 1)
            #expect(record.errorDescription?.hasPrefix("UNDELIV") == true)
        }
    }

    @Test func permanentSubmitErrorsFailTheMessage() async throws {
        try await withBridge(simulator: {
            $0.faults.errorRate = 1
            $0.faults.errorStatus = .invalidDestinationAddress
        }) { bridge in
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "bad"))
            let record = try await bridge.waitFor(id, .failed)
            #expect(record.errorCode == 0x0B)
            #expect(record.errorDescription == "ESME_RINVDSTADR")
            #expect(record.attempts == 1)
        }
    }

    @Test func aMessageNoSessionTakesWaitsWithoutSpendingItsAttempts() async throws {
        // The connector is paused: submits are refused without reaching the SMSC, again and again.
        // With one attempt allowed, the message must still not fail.
        try await withBridge(
            connector: { $0.queueTimeout = .milliseconds(100) },
            dispatcher: {
                $0.maxAttempts = 1
                $0.retryDelay = 0.05
            }
        ) { bridge in
            bridge.connector.pause()
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "patience"))
            try await waitUntil("a submit the paused connector refused") {
                (try await bridge.message(id))?.errorDescription?.contains("paused") == true
            }
            try await Task.sleep(for: .milliseconds(800))
            let waiting = try #require(try await bridge.message(id))
            #expect([.queued, .sending].contains(waiting.status))
            #expect(waiting.attempts <= 1)
            bridge.connector.resume()
            let record = try await bridge.waitFor(id, .delivered)
            #expect(record.attempts == 1)
        }
    }

    @Test func temporaryErrorsAreRetriedUntilTheySucceed() async throws {
        try await withBridge(simulator: {
            $0.faults.errorRate = 1
            $0.faults.errorStatus = .systemError
        }) { bridge in
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "eventually"))
            try await waitUntil("a retry") { (try await bridge.message(id))?.attempts ?? 0 >= 2 }
            #expect(try await bridge.message(id)?.errorDescription == "ESME_RSYSERR")
            bridge.simulator.reconfigure { $0.faults.errorRate = 0 }
            let record = try await bridge.waitFor(id, .delivered)
            #expect(record.attempts >= 2)
            #expect(record.errorCode == nil, "the error of a retry is cleared once sent")
        }
    }

    @Test func receiptsBeforeTheSubmitResponseAreNotLost() async throws {
        try await withBridge(simulator: { $0.faults.earlyReceiptRate = 1 }) { bridge in
            let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "race \(index)"))
                    }
                }
                return try await group.reduce(into: [UUID]()) { $0.append($1) }
            }
            for id in ids { _ = try await bridge.waitFor(id, .delivered) }
        }
    }

    /// `auto` id matching converts between decimal and hex, and a receipt that overtakes its submit
    /// response could then match an older message through a conversion. Once the SMSC's receipts
    /// showed their form, they are looked up in it only.
    @Test func aReceiptThatOvertakesItsResponseFindsItsOwnMessageOnceTheIDFormIsLearned() async throws {
        try await withBridge(simulator: {
            $0.messageIDFormat = .decimal
            $0.receipts.delay = 0.2  // after the submit's report: each receipt matches by its own id
        }) { bridge in
            var ids: [UUID] = []
            for index in 0..<20 {
                ids.append(try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "learn \(index)")))
                _ = try await bridge.waitFor(ids.last!, .delivered)
            }
            try await waitUntil("the form learned") { bridge.connector.status().learnedIDForm == .canonical }
            // Receipts from now on come before their submit responses (the simulator's ids count
            // on from a new start, one by one).
            bridge.simulator.reconfigure { $0.faults.earlyReceiptRate = 1 }
            let first = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "early"))
            let last = try #require(try await bridge.waitFor(first, .delivered).parts.first?.smscMessageID)
            // An older message whose SMSC id is what the next id (decimal) reads as in hex.
            let next = try #require(UInt64(last)) + 1
            let older = ids[0]
            try await bridge.store.client.query(
                "UPDATE message_parts SET smsc_id_key = \(String(next, radix: 16, uppercase: true)) WHERE message_id = \(older)"
            )
            let olderReceipts = try #require(try await bridge.message(older)).receipts.count
            let id = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "overtaken"))
            let record = try await bridge.waitFor(id, .delivered)
            #expect(record.parts.first?.smscMessageID == "\(next)")
            #expect(try #require(try await bridge.message(older)).receipts.count == olderReceipts)
        }
    }

    @Test func scheduledMessagesWaitForTheirTime() async throws {
        try await withBridge { bridge in
            let id = try await bridge.send(
                SendRequest(to: "447700900123", from: "Shop", text: "later", sendAt: Date().addingTimeInterval(1.5))
            )
            try await Task.sleep(for: .milliseconds(700))
            #expect(try await bridge.message(id)?.status == .scheduled)
            #expect(bridge.simulator.counters.submitsReceived == 0)
            _ = try await bridge.waitFor(id, .delivered)
        }
    }

    @Test func messagesWhoseValidityRanOutBeforeSendingExpire() async throws {
        try await withBridge { bridge in
            // A message that waited (an SMSC away, a long queue) past its validity is not sent.
            let message = try await bridge.insert(SendRequest(to: "447700900123", from: "Shop", text: "too late", validity: 60), validatedSecondsAgo: 120)
            #expect(message.expiresAt! < Date())
            let record = try await bridge.waitFor(message.id, .expired)
            #expect(record.errorDescription == "validity ran out before sending")
            #expect(bridge.simulator.counters.submitsReceived == 0)
        }
    }

    @Test func theSMSCGetsWhatRemainsOfTheValidityEvenUnderAMinute() async throws {
        try await withBridge { bridge in
            let message = try await bridge.insert(SendRequest(to: "447700900123", from: "Shop", text: "hurry", validity: 60), validatedSecondsAgo: 30)
            let record = try await bridge.waitFor(message.id, .delivered)
            let smscID = try #require(record.parts.first?.smscMessageID)
            let stored = try #require(bridge.simulator.message(id: smscID))
            // Relative YYMMDDhhmmss000R: about 30 s, not the API's 60 s minimum.
            let period = stored.validityPeriod
            #expect(period.hasPrefix("00000000") && period.hasSuffix("000R"))
            let seconds = Int(period.dropFirst(8).prefix(2))! * 60 + Int(period.dropFirst(10).prefix(2))!
            #expect((20...30).contains(seconds), "validity_period \(period)")
        }
    }

    @Test func aMessageWhoseValidityRunsOutWhileWaitingForASessionIsNotSent() async throws {
        // One session with room for one submit, answered after 1.5 s: a message claimed behind the
        // first waits in the connector's queue, and its validity (0.5 s left) runs out there.
        try await withBridge(
            simulator: { $0.throttling.responseDelay = 1.5 },
            connector: {
                $0.window = 1
                $0.responseTimeout = .seconds(5)
            }
        ) { bridge in
            let first = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "first"))
            try await waitUntil("the first submit at the SMSC") { bridge.simulator.counters.submitsReceived == 1 }
            let message = try await bridge.insert(SendRequest(to: "447700900124", from: "Shop", text: "long " + String(repeating: "x", count: 200), validity: 60), validatedSecondsAgo: 59.5)
            let record = try await bridge.waitFor(message.id, .expired)
            #expect(record.errorDescription == "validity ran out before sending")
            #expect(record.parts.count == 2)
            #expect(record.parts.allSatisfy { $0.status == "expired" })
            _ = try await bridge.waitFor(first, .delivered)
            #expect(bridge.simulator.counters.submitsReceived == 1, "nothing of the expired message reached the SMSC")
        }
    }

    /// A report the database refuses for its content (here a trigger refuses one message's parts)
    /// must not hold up the others: the batch is recorded in halves, and the one report is given up.
    @Test func aReportTheDatabaseRefusesDoesNotHoldUpTheOthers() async throws {
        try await withBridge(prepare: { store, _ in
            try await refusePoison(store, "BEFORE UPDATE ON message_parts FOR EACH ROW WHEN (NEW.smsc_message_id IS NOT NULL)")
        }) { bridge in
            let poison = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "poison"))
            var good: [UUID] = []
            for index in 0..<3 {
                good.append(try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "good \(index)")))
            }
            for id in good { _ = try await bridge.waitFor(id, .delivered) }
            try await waitUntil("the poisoned message submitted") {
                bridge.simulator.messages().contains { $0.text == "poison" }
            }
            // Later reports are not stuck behind it either.
            let later = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "later"))
            _ = try await bridge.waitFor(later, .delivered)
            let stuck = try #require(try await bridge.message(poison))
            #expect(stuck.status == .sending, "its report was not recorded; its lease will run out")
            #expect(stuck.parts.allSatisfy { $0.smscMessageID == nil })
            #expect(bridge.simulator.messages().filter { $0.text == "poison" }.count == 1)
        }
    }

    /// A receipt the database refuses for its content does not turn away the receipts stored with
    /// it: the batch is stored in halves, and that one is answered with a permanent error (a
    /// temporary one would have it, and whatever batch it lands in, delivered again and again).
    @Test func aReceiptTheDatabaseRefusesDoesNotTurnAwayTheOthers() async throws {
        // The receipt is known by its text (its first 20 characters), matched to its message or not.
        try await withBridge(prepare: { store, _ in
            try await refusePoison(store, "BEFORE INSERT ON receipts FOR EACH ROW", when: "NEW.raw LIKE '%text:poison%'")
        }) { bridge in
            let poison = try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "poison"))
            var good: [UUID] = []
            for index in 0..<5 {
                good.append(try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "good \(index)")))
            }
            for id in good { _ = try await bridge.waitFor(id, .delivered) }
            try await waitUntil("the poisoned receipt refused for good") {
                bridge.simulator.counters.receiptsFailed == 1
            }
            #expect(bridge.simulator.counters.receiptRetries == 0)
            #expect(try await bridge.message(poison)?.status == .sent)
        }
    }

    @Test func manyMessagesAreEachSubmittedOnce() async throws {
        try await withBridge(connector: { $0.window = 50 }) { bridge in
            var ids: [UUID] = []
            for index in 0..<200 {
                ids.append(try await bridge.send(SendRequest(to: "447700900123", from: "Shop", text: "bulk \(index)")))
            }
            for id in ids { _ = try await bridge.waitFor(id, .delivered) }
            #expect(bridge.simulator.counters.messagesAccepted == 200)
        }
    }

    @Test func aMessageQueuedByAnotherProcessIsSentOnItsNotificationNotAtTheNextPoll() async throws {
        // The dispatcher polls every 30 s: only LISTEN/NOTIFY can make it send within seconds.
        try await withServer(configure: { $0.dispatcher.pollInterval = .seconds(30) }) { server in
            try await waitUntil("ready") { try await server.request(.GET, "/readyz").status == 200 }
            // Another connection pool on the database, as another instance's API has.
            try await withDatabase(server.databaseURL) { elsewhere in
                try await waitUntil("the dispatcher listens") {
                    let listening = try await elsewhere.execute(
                        """
                        SELECT count(*)::text FROM pg_stat_activity
                        WHERE datname = current_database() AND query ILIKE '%LISTEN%\(PostgresStore.queuedChannel)%'
                        """
                    )
                    return listening != "0"
                }
                // Past the dispatcher's first claim, which found nothing: it now waits for 30 s.
                try await Task.sleep(for: .seconds(1))
                let queued = try await queueMessages(1, text: "notified", account: server.account, in: elsewhere)
                let id = queued[0].id.uuidString.lowercased()
                // Well before the poll (about 30 s from the first claim), with room for a busy machine.
                // (Its receipt follows within 50 ms, so it is watched for until delivered, not sent.)
                _ = try await server.waitForStatus(id, "delivered", timeout: .seconds(10))
            }
        }
    }

    @Test func urgentMessagesAreClaimedBeforeNormalOnes() async throws {
        // One message claimed and sent at a time, so the SMSC receives them in the order claimed.
        try await withBridge(
            dispatcher: {
                $0.batchSize = 1
                $0.maxInFlight = 1
            },
            prepare: { store, account in
                // Queued before the bridge starts: the normal ones have waited longer.
                try await queueMessages(5, text: "normal", account: account, in: store)
                let validator = MessageValidator(
                    policy: MessagePolicy(),
                    router: MessageRouter(defaultConnector: "main"),
                    builders: ["main": SubmitBuilder()]
                )
                let urgent = try validator.validate(
                    SendRequest(to: "447700900123", from: "Shop", text: "urgent", priority: .urgent),
                    accountID: account,
                    now: Date()
                ).get()
                try await store.insert([urgent])
            }
        ) { bridge in
            try await waitUntil("all six submitted") { bridge.simulator.messages().count == 6 }
            let texts = bridge.simulator.messages().compactMap(\.text)
            #expect(texts.first == "urgent", "\(texts)")
            #expect(Set(texts.dropFirst()) == Set((0..<5).map { "normal \($0)" }))
            // The SMSC is told too: priority_flag 1 for the urgent one, 0 for the others.
            #expect(bridge.simulator.messages().map(\.priorityFlag) == [1, 0, 0, 0, 0, 0])
        }
    }

    /// A claim cut short by a shutdown that cancels the dispatcher's task (past the graceful
    /// deadline) is no failure: nothing is logged as a warning (it logged "claiming messages
    /// failed … CancellationError").
    @Test func aClaimCanceledByShutdownIsNoWarning() async throws {
        try await withStore("dispatch-cancel") { store in
            let logs = CapturedLogs()
            let dispatcher = Dispatcher(
                store: store,
                connectors: [:],
                instanceID: UUID(),
                logger: logs.logger(label: "dispatcher", level: .debug)
            )
            try await cancelWhileClaiming("message_queue", in: store) { try await dispatcher.run() }
            #expect(logs.all.filter { $0.level >= .warning }.map(\.message) == [])
            #expect(logs.records("claiming messages canceled").count == 1, "the claim did stop on the cancellation")
        }
    }

    /// A database away when the dispatcher starts is waited for: it registers its instance once
    /// the database is back. Its run threw at once, which ended the service group and closed the
    /// SMSC sessions.
    @Test func aDatabaseAwayAtStartIsWaitedFor() async throws {
        try await withStore("dispatch-register") { store in
            let logs = CapturedLogs()
            let id = UUID()
            var configuration = Dispatcher.Configuration()
            configuration.databaseTimeout = .milliseconds(500)
            let dispatcher = Dispatcher(
                store: store,
                connectors: [:],
                configuration: configuration,
                instanceID: id,
                logger: logs.logger(label: "dispatcher", level: .debug)
            )
            let running = try await whileDatabaseAway(try await store.databaseName()) {
                let running = Task { try await dispatcher.run() }
                try await waitUntil("two attempts", timeout: .seconds(20)) {
                    logs.records("registering the instance failed; claiming waits for it").count >= 2
                }
                return running
            }
            try await waitUntil("the instance registered", timeout: .seconds(20)) {
                try await store.execute("SELECT count(*)::text FROM instances WHERE id = '\(id)'") == "1"
            }
            running.cancel()
            try await running.value
        }
    }
}

/// A trigger (`event`: when, on which table, for which rows) that refuses, with a PL/pgSQL error
/// (SQLSTATE P0001), the rows for which `condition` holds — by default those of messages whose
/// text is "poison".
func refusePoison(
    _ store: PostgresStore,
    _ event: String,
    when condition: String = "(SELECT body FROM messages WHERE id = NEW.message_id) = 'poison'"
) async throws {
    try await store.client.query(
        PostgresQuery(
            unsafeSQL: """
                CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    IF \(condition) THEN
                        RAISE EXCEPTION 'poisoned row';
                    END IF;
                    RETURN NEW;
                END $$
                """
        )
    )
    try await store.client.query(PostgresQuery(unsafeSQL: "CREATE TRIGGER refuse_poison \(event) EXECUTE FUNCTION refuse_poison()"))
}

extension Bridge {
    /// Stores a message as if accepted `seconds` ago (its validity counts from then), created now,
    /// and wakes the dispatcher.
    func insert(_ request: SendRequest, validatedSecondsAgo seconds: Double) async throws -> AcceptedMessage {
        var message = try self.validator.validate(
            request,
            accountID: self.account,
            now: Date().addingTimeInterval(-seconds)
        ).get()
        message.createdAt = Date()
        try await self.store.insert([message])
        self.dispatcher.wake()
        return message
    }
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw HarnessError(description: "timed out waiting for \(what)")
}
