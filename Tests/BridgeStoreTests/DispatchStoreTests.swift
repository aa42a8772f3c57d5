import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct DispatchStoreTests {
    private let owner = UUID()
    /// An account with one message of `parts` parts, queued.
    private func queued(
        _ store: PostgresStore,
        parts: Int = 1,
        text: String? = nil,
        sendAt: Date? = nil
    ) async throws -> (UUID, UUID) {
        var account = try await store.account(named: "acme")?.id
        if account == nil { account = try await store.createAccount(name: "acme").account.id }
        let accountID = account!
        let body = text ?? (parts == 1 ? "Hello" : String(repeating: "x", count: 153 * parts))
        let message = try AcceptedMessages.make(
            SendRequest(to: "447700900123", from: "Shop", text: body, sendAt: sendAt),
            account: accountID
        )
        try await store.insert([message])
        return (accountID, message.id)
    }

    /// An account with one message accepted by this test's dispatcher (``AcceptedMessage/lease``).
    private func handedOff(_ store: PostgresStore) async throws -> (UUID, AcceptedMessage) {
        let accountID = try await store.createAccount(name: "acme").account.id
        var message = try AcceptedMessages.make(
            SendRequest(to: "447700900123", from: "Shop", text: "straight"),
            account: accountID
        )
        message.lease = DispatchLease(owner: self.owner, duration: 60)
        try await store.insert([message])
        return (accountID, message)
    }

    /// The report of a one-part message accepted by the SMSC under `key`.
    private func sent(_ id: UUID, _ key: String) -> SubmissionReport {
        SubmissionReport(
            messageID: id,
            connector: "main",
            submitted: [.init(number: 1, smscMessageID: key, key: key)],
            outcome: .sent
        )
    }

    private func receipt(_ key: String, _ state: MessageState, intermediate: Bool = false) -> IncomingReceipt {
        IncomingReceipt(
            connector: "main",
            smscMessageID: key,
            candidates: [key],
            stat: state.receiptStat,
            state: state,
            intermediate: intermediate,
            errorCode: state == .delivered ? "000" : "001",
            networkError: state == .delivered ? nil : .gsm(1),
            raw: nil
        )
    }

    @Test func claimingMarksSendingAndReturnsTheParts() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            let claimed = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            #expect(claimed.map(\.id) == [id])
            #expect(claimed[0].parts.map(\.number) == [1, 2])
            #expect(claimed[0].parts.allSatisfy { !$0.submitted && $0.submitSM.esmClass.hasUDHI })
            #expect(claimed[0].attempts == 1)
            #expect(try await store.message(id: id, accountID: account)?.status == .sending)
            #expect(try await store.claimDue(owner: UUID(), limit: 10, lease: 60).isEmpty, "nothing twice")
        }
    }

    @Test func concurrentClaimsNeverShareAMessage() async throws {
        try await withStore { store in
            for _ in 0..<40 { _ = try await self.queued(store) }
            let batches = try await withThrowingTaskGroup(of: [UUID].self) { group in
                for _ in 0..<4 {
                    group.addTask { try await store.claimDue(owner: UUID(), limit: 15, lease: 60).map(\.id) }
                }
                return try await group.reduce(into: [[UUID]]()) { $0.append($1) }
            }
            let all = batches.flatMap { $0 }
            #expect(all.count == 40)
            #expect(Set(all).count == 40)
        }
    }

    @Test func sentThenReceiptsMakeTheMessageDeliveredWhenEveryPartIs() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [
                            .init(number: 1, smscMessageID: "00A1", key: "A1"),
                            .init(number: 2, smscMessageID: "00A2", key: "A2"),
                        ],
                        outcome: .sent
                    )
                ],
                owner: self.owner
            )
            let sent = try #require(try await store.message(id: id, accountID: account))
            #expect(sent.status == .sent)
            #expect(sent.parts.map(\.smscMessageID) == ["00A1", "00A2"])
            #expect(sent.sentAt != nil)
            #expect(
                try await store.applyReceipts([self.receipt("A1", .enroute, intermediate: true)]) == [
                    .matched(messageID: id, partNumber: 1, messageStatus: nil)
                ]
            )
            #expect(
                try await store.applyReceipts([self.receipt("A1", .delivered)]) == [
                    .matched(messageID: id, partNumber: 1, messageStatus: nil)
                ]
            )
            #expect(try await store.message(id: id, accountID: account)?.status == .sent, "one part still pending")
            #expect(
                try await store.applyReceipts([self.receipt("A2", .delivered)]) == [
                    .matched(messageID: id, partNumber: 2, messageStatus: .delivered)
                ]
            )
            let delivered = try #require(try await store.message(id: id, accountID: account))
            #expect(delivered.status == .delivered)
            #expect(delivered.receipts.count == 3)
            #expect(delivered.receipts.map(\.state) == ["enroute", "delivered", "delivered"])
            #expect(delivered.doneAt != nil)
        }
    }

    @Test func oneBatchMatchesSettlesAndKeepsWhatItCannotMatch() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [
                            .init(number: 1, smscMessageID: "00D1", key: "D1"),
                            .init(number: 2, smscMessageID: "00D2", key: "D2"),
                        ],
                        outcome: .sent
                    )
                ],
                owner: self.owner
            )
            let outcomes = try await store.applyReceipts([
                self.receipt("D1", .enroute, intermediate: true),
                self.receipt("D1", .delivered),
                self.receipt("NOPE", .delivered),
                self.receipt("D2", .undeliverable),
            ])
            #expect(
                outcomes == [
                    .matched(messageID: id, partNumber: 1, messageStatus: nil),
                    .matched(messageID: id, partNumber: 1, messageStatus: nil),
                    .unmatched,
                    .matched(messageID: id, partNumber: 2, messageStatus: .undelivered),
                ]
            )
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .undelivered)
            #expect(record.parts.map(\.status) == ["delivered", "undelivered"])
            #expect(record.errorCode == 1)
            #expect(record.receipts.count == 3, "the history has every matched receipt")
            #expect(try await store.unmatchedReceipts().map(\.smscMessageID) == ["NOPE"])
            // Only the unmatched receipt keeps its id keys: nothing looks a matched one up by them.
            let keys = try await store.client.query(
                "SELECT smsc_message_id, cardinality(id_keys) FROM receipts ORDER BY id",
                logger: Logger(label: "test")
            )
            var kept: [String: Int] = [:]
            for try await (smscID, count) in keys.decode((String, Int).self) { kept[smscID, default: 0] += count }
            #expect(kept == ["D1": 0, "D2": 0, "NOPE": 1])
        }
    }

    @Test func receiptsForThePartsOfOneMessageAppliedAtOnceFinishIt() async throws {
        // Each part's receipt in its own transaction, all at once (a batch, a rematch sweep and a
        // report can overlap like this): the last one to commit must see the others' parts final.
        try await withStore { store in
            var ids: [(account: UUID, id: UUID)] = []
            for _ in 0..<10 { ids.append(try await self.queued(store, parts: 3)) }
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                ids.enumerated().map { index, message in
                    SubmissionReport(
                        messageID: message.id,
                        connector: "main",
                        submitted: (1...3).map {
                            .init(number: $0, smscMessageID: "M\(index)P\($0)", key: "M\(index)P\($0)")
                        },
                        outcome: .sent
                    )
                },
                owner: self.owner
            )
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in ids.indices {
                    for part in 1...3 {
                        group.addTask {
                            _ = try await store.applyReceipts([self.receipt("M\(index)P\(part)", .delivered)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            for (account, id) in ids {
                #expect(try await store.message(id: id, accountID: account)?.status == .delivered)
            }
        }
    }

    @Test func aFailedPartMakesTheMessageUndelivered() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [self.sent(id, "B1")],
                owner: self.owner
            )
            _ = try await store.applyReceipts([self.receipt("B1", .undeliverable)])
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .undelivered)
            #expect(record.errorCode == 1)
            #expect(record.errorDescription == "UNDELIV err:001")
        }
    }

    /// Reports the two parts of `id` as sent under `keys`.
    private func sentInTwoParts(_ store: PostgresStore, _ id: UUID, keys: (String, String)) async throws {
        _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
        try await store.report(
            [
                SubmissionReport(
                    messageID: id,
                    connector: "main",
                    submitted: [
                        .init(number: 1, smscMessageID: keys.0, key: keys.0),
                        .init(number: 2, smscMessageID: keys.1, key: keys.1),
                    ],
                    outcome: .sent
                )
            ],
            owner: self.owner
        )
    }

    @Test func theMessageTakesTheErrorOfThePartThatFailed() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            try await self.sentInTwoParts(store, id, keys: ("E1", "E2"))
            _ = try await store.applyReceipts([self.receipt("E1", .undeliverable)])
            _ = try await store.applyReceipts([self.receipt("E2", .delivered)])
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .undelivered)
            #expect(record.errorCode == 1)
            #expect(record.errorDescription == "UNDELIV err:001")
        }
    }

    @Test func oneReceiptSettlesEveryPartThatHasItsID() async throws {
        // An SMSC that takes a long message whole: one id in each part's response, one receipt.
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            try await self.sentInTwoParts(store, id, keys: ("W1", "W1"))
            let outcome = try await store.applyReceipts([self.receipt("W1", .delivered)])
            guard case .matched(id, _, .delivered, _) = try #require(outcome.first) else {
                Issue.record("expected the message delivered by the receipt, got \(outcome)")
                return
            }
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .delivered)
            #expect(record.parts.map(\.status) == ["delivered", "delivered"])
        }
    }

    @Test(arguments: [("NOROUTE", nil), ("DELETED", MessageState.deleted)])
    func aFinalReceiptThatIsNotADeliveryIsUndelivered(stat: String, state: MessageState?) async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report([self.sent(id, "N1")], owner: self.owner)
            var receipt = self.receipt("N1", .undeliverable)
            (receipt.stat, receipt.state, receipt.networkError) = (stat, state, nil)
            _ = try await store.applyReceipts([receipt])
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .undelivered)
            #expect(record.errorDescription == "\(stat) err:001")
        }
    }

    @Test func aReceiptBeforeItsSubmitResponseIsKeptAndMatchedLater() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            #expect(try await store.applyReceipts([self.receipt("C1", .delivered)]) == [.unmatched])
            #expect(try await store.unmatchedReceipts().map(\.smscMessageID) == ["C1"])
            let outcomes = try await store.report(
                [self.sent(id, "C1")],
                owner: self.owner
            )
            #expect(outcomes == [.matched(messageID: id, partNumber: 1, messageStatus: .delivered)])
            #expect(try await store.message(id: id, accountID: account)?.status == .delivered)
            #expect(try await store.unmatchedReceipts().isEmpty)
        }
    }

    @Test func anEarlyReceiptIsFoundByAnyOfItsIdFormsAndOnlyOnItsConnector() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            // The receipt wrote the id in decimal; its hex reading is the second candidate.
            var early = self.receipt("26", .delivered)
            early.candidates = ["26", "1A"]
            var foreign = self.receipt("1A", .undeliverable)
            foreign.connector = "other"
            #expect(try await store.applyReceipts([early, foreign]) == [.unmatched, .unmatched])
            #expect(try await self.unmatchedKeys(store) == 3)
            let outcomes = try await store.report(
                [self.sent(id, "1A")],
                owner: self.owner
            )
            #expect(outcomes == [.matched(messageID: id, partNumber: 1, messageStatus: .delivered)])
            #expect(try await store.message(id: id, accountID: account)?.status == .delivered)
            // Only the other connector's receipt is left unmatched, with its one key.
            #expect(try await store.unmatchedReceipts().map(\.connector) == ["other"])
            #expect(try await self.unmatchedKeys(store) == 1)
            #expect(try await store.expireUnmatchedReceipts(olderThan: 0) == 1)
            #expect(try await self.unmatchedKeys(store) == 0)
        }
    }

    private func unmatchedKeys(_ store: PostgresStore) async throws -> Int {
        let rows = try await store.client.query("SELECT count(*)::int8 FROM unmatched_receipt_keys")
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return -1
    }

    @Test func receiptsOfAnotherConnectorDoNotMatch() async throws {
        try await withStore { store in
            let (_, id) = try await self.queued(store)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [self.sent(id, "D1")],
                owner: self.owner
            )
            var other = self.receipt("D1", .delivered)
            other.connector = "other"
            #expect(try await store.applyReceipts([other]) == [.unmatched])
            #expect(try await store.expireUnmatchedReceipts(olderThan: 0) == 1)
        }
    }

    @Test func aHandedOffMessageIsStoredSendingAndLeasedNotQueued() async throws {
        try await withStore { store in
            let (accountID, message) = try await self.handedOff(store)
            let stored = try #require(try await store.message(id: message.id, accountID: accountID))
            #expect(stored.status == .sending)
            #expect(stored.attempts == 1)
            #expect(try await store.activeMessageCounts() == [.scheduled: 0, .queued: 0, .sending: 1])
            #expect(
                try await store.claimDue(owner: UUID(), limit: 10, lease: 60).isEmpty,
                "no other dispatcher takes it"
            )

            // Reported like a claimed message: it leaves the queue.
            try await store.report([self.sent(message.id, "H1")], owner: self.owner)
            #expect(try await store.message(id: message.id, accountID: accountID)?.status == .sent)
            #expect(try await store.activeMessageCounts() == [.scheduled: 0, .queued: 0, .sending: 0])
        }
    }

    @Test func aHandedOffMessageWhoseInstanceStopsGoesBackToTheQueue() async throws {
        try await withStore { store in
            let (accountID, message) = try await self.handedOff(store)
            try await store.releaseLeases(owner: self.owner)
            #expect(try await store.message(id: message.id, accountID: accountID)?.status == .queued)
            let claimed = try await store.claimDue(owner: UUID(), limit: 10, lease: 60)
            #expect(claimed.map(\.id) == [message.id])
            #expect(claimed.first?.attempts == 1, "the attempt of a send that never began is given back")
            #expect(claimed.first?.parts.map(\.submitted) == [false])
        }
    }

    @Test func retriesWaitAndKeepAcceptedParts() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [.init(number: 1, smscMessageID: "E1", key: "E1")],
                        // Long enough that the checks below run before it is due, even on a busy machine.
                        outcome: .retry(after: 5, errorCode: 0x58, description: "ESME_RTHROTTLED")
                    )
                ],
                owner: self.owner
            )
            let queued = try #require(try await store.message(id: id, accountID: account))
            #expect(queued.status == .queued)
            #expect(queued.errorCode == 0x58)
            #expect(try await store.claimDue(owner: self.owner, limit: 10, lease: 60).isEmpty, "not due yet")
            try await Task.sleep(for: .milliseconds(5_100))
            let again = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            #expect(again.first?.parts.map(\.submitted) == [true, false], "part 1 is not sent twice")
            #expect(again.first?.attempts == 2)
        }
    }

    /// The queue's bound counts a message from its acceptance while it is being sent and while it
    /// goes round without reaching the SMSC; a temporary SMSC error starts its wait again after the
    /// back-off.
    @Test func theQueueAgeCountsFromAcceptanceUntilTheSMSCCausesARetry() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let minuteAgo = Date().addingTimeInterval(-60)
            let neverReached = try AcceptedMessages.make(SendRequest(to: "447700900123", from: "Shop", text: "a"), account: account, at: minuteAgo)
            let refused = try AcceptedMessages.make(SendRequest(to: "447700900124", from: "Shop", text: "b"), account: account, at: minuteAgo)
            try await store.insert([neverReached, refused])
            #expect(try await store.claimDue(owner: self.owner, limit: 10, lease: 60).count == 2)
            var statistics = try await store.queueStatistics()
            #expect(statistics.connectors.keys.sorted() == ["main"])
            #expect(statistics.depth == 2, "being sent still counts")
            #expect(statistics.oldestAge >= 59)
            func retry(_ id: UUID, after delay: Double, counted: Bool) -> SubmissionReport {
                SubmissionReport(
                    messageID: id,
                    connector: "main",
                    submitted: [],
                    outcome: .retry(after: delay, errorCode: nil, description: "x", counted: counted)
                )
            }
            try await store.report(
                [retry(neverReached.id, after: 0, counted: false), retry(refused.id, after: 1, counted: true)],
                owner: self.owner
            )
            statistics = try await store.queueStatistics()
            #expect(statistics.depth == 1, "the message in its own back-off does not count")
            #expect(statistics.oldestAge >= 59, "no session took it: it still waits since its acceptance")
            try await Task.sleep(for: .milliseconds(1_100))
            statistics = try await store.queueStatistics()
            #expect(statistics.depth == 2)
            #expect(try #require(statistics.connectors["main"]).oldestAge >= 59)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report([retry(neverReached.id, after: 30, counted: true)], owner: self.owner)
            statistics = try await store.queueStatistics()
            #expect(statistics.depth == 1)
            #expect(statistics.oldestAge < 30, "the other one waits since the end of its back-off")
        }
    }

    /// A waiting message whose validity ran out ends `expired` without being claimed (its
    /// connector may be paused); one an instance holds, or still valid, is left alone.
    @Test func waitingMessagesWhoseValidityRanOutExpireWithoutAClaim() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let longAgo = Date().addingTimeInterval(-120)
            func make(_ text: String, at date: Date, sendAt: Date? = nil) throws -> AcceptedMessage {
                try AcceptedMessages.make(
                    SendRequest(to: "447700900123", from: "Shop", text: text, validity: 60, sendAt: sendAt),
                    account: account,
                    at: date
                )
            }
            let held = try make("held", at: longAgo)
            try await store.insert([held])
            #expect(try await store.claimDue(owner: self.owner, limit: 10, lease: 60).map(\.id) == [held.id])
            let overdue = try make("overdue", at: longAgo)
            let valid = try make("valid", at: Date())
            // Its validity counts from its send_at.
            let scheduled = try make("scheduled", at: longAgo, sendAt: Date().addingTimeInterval(600))
            try await store.insert([overdue, valid, scheduled])
            try await store.pauseConnector("main", reason: "maintenance")
            #expect(try await store.expireOverdueMessages() == 1)
            let record = try #require(try await store.message(id: overdue.id, accountID: account))
            #expect(record.status == .expired)
            #expect(record.parts.map(\.status) == ["expired"])
            #expect(record.errorDescription == "validity ran out before sending")
            #expect(try await store.message(id: held.id, accountID: account)?.status == .sending)
            #expect(try await store.message(id: valid.id, accountID: account)?.status == .queued)
            #expect(try await store.activeMessageCounts() == [.scheduled: 1, .queued: 1, .sending: 1])
            #expect(try await store.expireOverdueMessages() == 0)
        }
    }

    @Test func permanentFailuresEndTheMessage() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store, parts: 2)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [],
                        outcome: .finished(.failed, errorCode: 0x0B, description: "ESME_RINVDSTADR")
                    )
                ],
                owner: self.owner
            )
            let record = try #require(try await store.message(id: id, accountID: account))
            #expect(record.status == .failed)
            #expect(record.errorDescription == "ESME_RINVDSTADR")
            #expect(record.parts.allSatisfy { $0.status == "failed" })
        }
    }

    @Test func scheduledMessagesAreClaimedOnlyWhenDue() async throws {
        try await withStore { store in
            _ = try await self.queued(store, sendAt: Date().addingTimeInterval(3600))
            #expect(try await store.claimDue(owner: self.owner, limit: 10, lease: 60).isEmpty)
        }
    }

    @Test func expiredLeasesAndDeadInstancesGiveMessagesBack() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            let dead = UUID()
            try await store.heartbeat(instance: dead)
            _ = try await store.claimDue(owner: dead, limit: 10, lease: 600)
            #expect(try await store.recoverLeases(deadAfter: 60) == 0, "its instance is alive")
            try await Task.sleep(for: .milliseconds(1100))
            #expect(try await store.recoverLeases(deadAfter: 1) == 1, "its instance stopped heart-beating")
            #expect(try await store.message(id: id, accountID: account)?.status == .queued)
            // A report from the instance that lost the lease changes nothing.
            let taken = try await store.claimDue(owner: self.owner, limit: 10, lease: 0.2)
            #expect(taken.map(\.id) == [id])
            try await store.report(
                [SubmissionReport(messageID: id, connector: "main", submitted: [], outcome: .sent)],
                owner: dead
            )
            #expect(try await store.message(id: id, accountID: account)?.status == .sending)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await store.recoverLeases(deadAfter: 60) == 1, "its lease ran out")
        }
    }

    @Test func releasingLeasesAtShutdownRequeues() async throws {
        try await withStore { store in
            let (account, id) = try await self.queued(store)
            try await store.heartbeat(instance: self.owner)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.releaseLeases(owner: self.owner)
            #expect(try await store.message(id: id, accountID: account)?.status == .queued)
        }
    }
}
