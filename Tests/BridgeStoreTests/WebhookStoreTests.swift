import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct WebhookStoreTests {
    private let owner = UUID()
    private func queued(
        _ store: PostgresStore,
        account: UUID,
        parts: Int = 1,
        callback: String? = nil
    ) async throws
        -> UUID
    {
        var request = SendRequest(
            to: "447700900123",
            from: "Shop",
            text: parts == 1 ? "Hello" : String(repeating: "x", count: 153 * parts)
        )
        request.callbackURL = callback
        request.clientRef = "order-7"
        let message = try AcceptedMessages.make(request, account: account)
        try await store.insert([message])
        return message.id
    }

    /// `count` test events of `account` to `url`, oldest first.
    private func testEvents(_ store: PostgresStore, account: UUID, to url: String, count: Int) async throws -> [UUID] {
        var ids: [UUID] = []
        for _ in 0..<count {
            ids.append(try #require(try await store.enqueueTestWebhook(accountID: account, url: url)).id)
        }
        return ids
    }

    /// The ids a claim takes, due 5 s from now, with `room` for `relay.example`.
    private func claimIDs(
        _ store: PostgresStore,
        room: Int,
        limit: Int = 10,
        accounts: [AccountRoom],
        crowded: [String] = []
    ) async throws -> Set<UUID> {
        let claimed = try await store.claimWebhooks(
            now: Date().addingTimeInterval(5),
            limit: limit,
            lease: 60,
            rooms: [DestinationRoom(destination: "relay.example", room: room)],
            accounts: accounts,
            crowded: crowded,
            defaultRoom: 8
        )
        return Set(claimed.map(\.id))
    }

    /// Claims up to 10 deliveries due 30 s from now, without limits of destination or account.
    private func claimEverythingDue(_ store: PostgresStore) async throws -> [ClaimedWebhook] {
        try await store.claimWebhooks(
            now: Date().addingTimeInterval(30),
            limit: 10,
            lease: 60,
            rooms: [],
            defaultRoom: 10
        )
    }

    /// A new account whose status events go to https://hooks.example.com/status.
    private func accountWithStatusURL(_ store: PostgresStore, name: String) async throws -> UUID {
        let account = try await store.createAccount(name: name).account.id
        _ = try await store.setWebhookURLs(
            accountID: account,
            statusURL: "https://hooks.example.com/status",
            inboundURL: nil
        )
        return account
    }

    private func delivered(_ key: String) -> IncomingReceipt {
        IncomingReceipt(
            connector: "main",
            smscMessageID: key,
            candidates: [key],
            stat: "DELIVRD",
            state: .delivered,
            intermediate: false,
            errorCode: "000",
            networkError: nil,
            raw: nil
        )
    }

    private func events(_ store: PostgresStore, account: UUID) async throws -> [WebhookDeliveryRecord] {
        try await store.webhookDeliveries(accountID: account, filter: .init(), limit: 100, after: nil).reversed()
    }

    private func json(_ text: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] ?? [:]
    }

    @Test func statusChangesWriteEventsInOrderToTheMessageOrAccountURL() async throws {
        try await withStore { store in
            let account = try await self.accountWithStatusURL(store, name: "acme")
            let id = try await self.queued(store, account: account, parts: 2)
            let own = try await self.queued(store, account: account, callback: "https://other.example.com/cb")
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            #expect(try await self.events(store, account: account).isEmpty, "sending is not an event")
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [
                            .init(number: 1, smscMessageID: "a1", key: "a1"),
                            .init(number: 2, smscMessageID: "a2", key: "a2"),
                        ],
                        outcome: .sent
                    ),
                    SubmissionReport(
                        messageID: own,
                        connector: "main",
                        submitted: [],
                        outcome: .finished(.rejected, errorCode: 0x0B, description: "invalid destination")
                    ),
                ],
                owner: self.owner
            )
            for key in ["a1", "a2"] {
                _ = try await store.applyReceipts([
                    self.delivered(key)
                ])
            }
            let events = try await self.events(store, account: account)
            #expect(events.map(\.eventType) == [.messageStatus, .messageStatus, .messageStatus])
            let mine = events.filter { $0.messageID == id }
            #expect(mine.map(\.url) == ["https://hooks.example.com/status", "https://hooks.example.com/status"])
            #expect(mine[0].sequence < mine[1].sequence)
            let payloads = try mine.map { try self.json($0.payload) }
            #expect(payloads.map { ($0["data"] as? [String: Any])?["status"] as? String } == ["sent", "delivered"])
            let delivered = try #require(payloads[1]["data"] as? [String: Any])
            #expect(payloads[1]["id"] as? String == mine[1].id.uuidString.lowercased())
            #expect(payloads[1]["sequence"] as? Int == mine[1].sequence)
            #expect(payloads[1]["type"] as? String == "message.status")
            #expect(delivered["client_ref"] as? String == "order-7")
            #expect(
                (delivered["parts"] as? [[String: Any]])?.map { $0["status"] as? String } == ["delivered", "delivered"]
            )
            let rejected = try #require(events.first { $0.messageID == own })
            #expect(rejected.url == "https://other.example.com/cb", "the message's callback_url wins")
            let rejectedData = try #require(try self.json(rejected.payload)["data"] as? [String: Any])
            #expect(rejectedData["status"] as? String == "rejected")
            #expect(rejectedData["error_code"] as? Int == 0x0B)
        }
    }

    /// Each event of a batch gets an id of its own, whatever plan PostgreSQL picks: with several
    /// accounts and analysed tables, one that computed the id in a lateral subquery per (callback
    /// URL, account) — `Memoize` — gave every message of an account the same id, and the batch
    /// then failed on the primary key for good (the dispatcher retried it forever).
    @Test func everyEventOfABatchHasItsOwnId() async throws {
        try await withStore { store in
            let account = try await self.accountWithStatusURL(store, name: "acme")
            let other = try await self.accountWithStatusURL(store, name: "other")
            var ids: [UUID] = []
            for _ in 0..<30 { ids.append(try await self.queued(store, account: account)) }
            var others: [UUID] = []
            for index in 0..<120 {
                let callback = index % 10 == 0 ? "https://cb.example.com/\(index)" : nil
                others.append(try await self.queued(store, account: other, callback: callback))
            }
            _ = try await store.claimDue(owner: self.owner, limit: 100, lease: 60)
            func sent(_ ids: [UUID], prefix: String) -> [SubmissionReport] {
                ids.enumerated().map { index, id in
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [.init(number: 1, smscMessageID: "\(prefix)\(index)", key: "\(prefix)\(index)")],
                        outcome: .sent
                    )
                }
            }
            try await store.report(sent(others, prefix: "o"), owner: self.owner)
            // The statistics under which PostgreSQL 15 memoized: `messages` analysed, most of them sent,
            // a few with callback URLs of their own; the webhook settings never (a young database).
            try await store.client.query("ANALYZE messages")
            try await store.report(sent(ids, prefix: "s"), owner: self.owner)
            let events = try await self.events(store, account: account)
            #expect(events.count == ids.count)
            #expect(Set(events.map(\.id)).count == ids.count)
            #expect(Set(events.compactMap(\.messageID)) == Set(ids))
        }
    }

    /// Events are written for a message with its own callback URL, or whose account has a status
    /// URL — another account's URL does not count.
    @Test func onlyMessagesWithAURLOfTheirOwnOrTheirAccountsGetEvents() async throws {
        try await withStore { store in
            let hooked = try await self.accountWithStatusURL(store, name: "hooked")
            let plain = try await store.createAccount(name: "plain").account.id
            let viaAccount = try await self.queued(store, account: hooked)
            let viaCallback = try await self.queued(store, account: plain, callback: "https://plain.example.com/cb")
            let silent = try await self.queued(store, account: plain)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [viaAccount, viaCallback, silent].enumerated().map { index, id in
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [.init(number: 1, smscMessageID: "k\(index)", key: "k\(index)")],
                        outcome: .sent
                    )
                },
                owner: self.owner
            )
            _ = try await store.applyReceipts((0..<3).map { self.delivered("k\($0)") })

            let hookedEvents = try await self.events(store, account: hooked)
            #expect(hookedEvents.map(\.messageID) == [viaAccount, viaAccount])
            let plainEvents = try await self.events(store, account: plain)
            #expect(plainEvents.map(\.messageID) == [viaCallback, viaCallback])
            #expect(plainEvents.allSatisfy { $0.url == "https://plain.example.com/cb" })
            let statuses = try plainEvents.map { try self.json($0.payload)["data"] as? [String: Any] }
            #expect(statuses.map { $0?["status"] as? String } == ["sent", "delivered"])
        }
    }

    @Test func noURLNoEvent() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let id = try await self.queued(store, account: account)
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                [
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [],
                        outcome: .finished(.failed, errorCode: 8, description: "x")
                    )
                ],
                owner: self.owner
            )
            #expect(try await self.events(store, account: account).isEmpty)
            #expect(try await store.pendingWebhookCount() == 0)
        }
    }

    @Test func inboundMessagesWriteAnEventToTheInboundURL() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            _ = try await store.setWebhookURLs(
                accountID: account,
                statusURL: nil,
                inboundURL: "https://hooks.example.com/mo"
            )
            let outcome = try await store.storeInbound(
                IncomingPart(
                    connector: "main",
                    source: "447700900999",
                    destination: "12345",
                    dataCoding: .smscDefault,
                    userData: Array("Hi there".utf8),
                    concatenation: nil
                ),
                accountID: account,
                dedupeWindow: 600
            )
            guard case .stored(let record) = outcome else {
                Issue.record("not stored: \(outcome)")
                return
            }
            let events = try await self.events(store, account: account)
            #expect(events.count == 1)
            #expect(events[0].eventType == .messageInbound)
            #expect(events[0].messageID == record.id)
            let data = try #require(try self.json(events[0].payload)["data"] as? [String: Any])
            #expect(data["text"] as? String == "Hi there")
            #expect(data["from"] as? String == "447700900999")
        }
    }

    @Test func claimsTakeOneEventPerMessageInOrderAndRespectDestinationRoom() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            _ = try await store.setWebhookURLs(
                accountID: account,
                statusURL: "https://hooks.example.com/status",
                inboundURL: nil
            )
            var ids: [UUID] = []
            for _ in 0..<3 { ids.append(try await self.queued(store, account: account)) }
            _ = try await store.claimDue(owner: self.owner, limit: 10, lease: 60)
            try await store.report(
                ids.enumerated().map { index, id in
                    SubmissionReport(
                        messageID: id,
                        connector: "main",
                        submitted: [.init(number: 1, smscMessageID: "m\(index)", key: "m\(index)")],
                        outcome: .sent
                    )
                },
                owner: self.owner
            )
            _ = try await store.applyReceipts([
                self.delivered("m0")
            ])
            // Four events: sent ×3, delivered for the first; the delivered one waits for its sent.
            let now = Date().addingTimeInterval(1)
            let limited = try await store.claimWebhooks(
                now: now,
                limit: 10,
                lease: 30,
                rooms: [DestinationRoom(destination: "hooks.example.com", room: 2)],
                defaultRoom: 8
            )
            #expect(limited.count == 2, "two fit the destination's room")
            let rest = try await store.claimWebhooks(now: now, limit: 10, lease: 30, rooms: [], defaultRoom: 8)
            #expect(rest.count == 1, "the delivered event waits for the sent one of its message")
            #expect(try await store.claimWebhooks(now: now, limit: 10, lease: 30, rooms: [], defaultRoom: 8).isEmpty)
            for claim in limited + rest {
                let result = WebhookAttemptResult(
                    status: .delivered,
                    nextAttemptAt: now,
                    attemptedAt: now,
                    statusCode: 204,
                    error: nil,
                    responseExcerpt: "",
                    latencyMilliseconds: 3
                )
                #expect(try await store.recordWebhookAttempt(claim, result: result))
                #expect(!(try await store.recordWebhookAttempt(claim, result: result)), "a claim records once")
            }
            let last = try await store.claimWebhooks(now: now, limit: 10, lease: 30, rooms: [], defaultRoom: 8)
            #expect(last.count == 1)
            #expect(try JSONSerialization.jsonObject(with: Data(last[0].payload.utf8)) is [String: Any])
            #expect(last[0].secrets.count == 1 && last[0].secrets[0].hasPrefix("whsec_"))
        }
    }

    /// A destination's room goes to its accounts in turns, each one's earliest due first: an account
    /// holding some already starts that many turns behind, and one whose room is 0 is left out.
    @Test func claimsShareADestinationsRoomAmongItsAccountsInTurns() async throws {
        try await withStore { store in
            let first = try await store.createAccount(name: "first").account.id
            let second = try await store.createAccount(name: "second").account.id
            let firsts = try await self.testEvents(store, account: first, to: "https://relay.example/a", count: 6)
            let seconds = try await self.testEvents(store, account: second, to: "https://relay.example/b", count: 4)
            func claim(room: Int, _ accounts: [AccountRoom]) async throws -> Set<UUID> {
                try await self.claimIDs(store, room: room, accounts: accounts)
            }
            #expect(try await claim(room: 4, []) == Set(firsts[0..<2] + seconds[0..<2]), "in turns, not first come")
            let busy = AccountRoom(accountID: first, destination: "relay.example", room: nil, held: 3)
            #expect(
                try await claim(room: 3, [busy]) == Set(seconds[2..<4] + [firsts[2]]),
                "the one holding fewer first"
            )
            let paused = AccountRoom(accountID: first, destination: "relay.example", room: 0, held: 4)
            #expect(try await claim(room: 8, [paused]).isEmpty)
            #expect(try await claim(room: 8, []) == Set(firsts[3..<6]))
        }
    }

    /// Behind one account's backlog, the scan of the earliest due rows does not reach another
    /// account's rows; in a crowded destination the claim finds them account by account.
    @Test func aCrowdedDestinationsOtherAccountsAreFoundBehindABacklog() async throws {
        try await withStore { store in
            let first = try await store.createAccount(name: "first").account.id
            let second = try await store.createAccount(name: "second").account.id
            let third = try await store.createAccount(name: "third").account.id
            _ = try await self.testEvents(store, account: first, to: "https://relay.example/a", count: 30)
            let seconds = try await self.testEvents(store, account: second, to: "https://relay.example/b", count: 2)
            let thirds = try await self.testEvents(store, account: third, to: "https://relay.example/c", count: 1)
            let busy = AccountRoom(accountID: first, destination: "relay.example", room: nil, held: 16)
            // A claim of 2 scans 8 earliest due rows: all the first account's.
            #expect(
                try await self.claimIDs(store, room: 3, limit: 2, accounts: [busy]).isDisjoint(with: seconds + thirds)
            )
            let found = try await self.claimIDs(store, room: 3, limit: 3, accounts: [busy], crowded: ["relay.example"])
            #expect(found == Set(seconds + thirds), "the accounts behind the backlog first")
        }
    }

    @Test func rotationKeepsThePreviousSecretForTheOverlap() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let before = try await store.webhookSettings(accountID: account)
            let after = try await store.rotateWebhookSecret(accountID: account, overlap: 3600)
            #expect(after.secret != before.secret)
            #expect(after.settings.signingSecrets(at: Date()) == [after.secret, before.secret])
            #expect(after.settings.signingSecrets(at: Date().addingTimeInterval(7200)) == [after.secret])
        }
    }

    /// A second rotation within the first's overlap keeps the original secret for the time the first
    /// promised: every retired secret signs until its own expiry, the most recently retired first.
    @Test func aSecondRotationKeepsEverySecretUntilItsPromisedExpiry() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let original = try await store.webhookSettings(accountID: account).secret
            let first = try await store.rotateWebhookSecret(accountID: account, overlap: 3600).secret
            let second = try await store.rotateWebhookSecret(accountID: account, overlap: 600)
            let now = Date()
            #expect(second.settings.signingSecrets(at: now) == [second.secret, first, original])
            #expect(second.settings.signingSecrets(at: now.addingTimeInterval(1200)) == [second.secret, original])
            #expect(second.settings.signingSecrets(at: now.addingTimeInterval(7200)) == [second.secret])
            #expect(
                try await store.webhookSettings(accountID: account).signingSecrets(at: now)
                    == second.settings.signingSecrets(at: now)
            )

            let claimed = try #require(
                try await store.enqueueTestWebhook(accountID: account, url: "https://h.example/t")
            )
            let claims = try await self.claimEverythingDue(store)
            #expect(claims.map(\.id) == [claimed.id])
            #expect(claims.first?.secrets == [second.secret, first, original], "the worker signs with all three")

            let third = try await store.rotateWebhookSecret(accountID: account, overlap: 0)
            #expect(
                third.settings.signingSecrets(at: Date()) == [third.secret, first, original],
                "no overlap: the last one ends at once"
            )
        }
    }

    /// At most two old secrets sign beside the current one: a rotation that would make a third ends
    /// the oldest one's overlap at once, and says so.
    @Test func aRotationBeyondTwoOldSecretsEndsTheOldest() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let original = try await store.webhookSettings(accountID: account).secret
            let s1 = try await store.rotateWebhookSecret(accountID: account, overlap: 3600)
            let s2 = try await store.rotateWebhookSecret(accountID: account, overlap: 3600)
            #expect(s1.ended.isEmpty && s2.ended.isEmpty)
            #expect(s2.settings.signingSecrets(at: Date()) == [s2.secret, s1.secret, original])

            let before = Date()
            let s3 = try await store.rotateWebhookSecret(accountID: account, overlap: 600)
            #expect(s3.ended.map(\.secret) == [original], "the oldest stops")
            #expect(s3.ended.allSatisfy { $0.expiresAt <= Date() && $0.expiresAt > before.addingTimeInterval(-5) })
            #expect(s3.settings.signingSecrets(at: Date()) == [s3.secret, s2.secret, s1.secret])
            #expect(s3.settings.retiredSecrets.count == PostgresStore.maximumRetiredWebhookSecrets)
            #expect(
                try await store.webhookSettings(accountID: account).signingSecrets(at: Date())
                    == [s3.secret, s2.secret, s1.secret]
            )
            _ = try await store.enqueueTestWebhook(accountID: account, url: "https://h.example/t")
            let claims = try await self.claimEverythingDue(store)
            #expect(claims.first?.secrets == [s3.secret, s2.secret, s1.secret], "three signatures, not four")

            // Retired without an overlap, the current one does not count: nothing more ends.
            let s4 = try await store.rotateWebhookSecret(accountID: account, overlap: 0)
            #expect(s4.ended.isEmpty)
            #expect(s4.settings.signingSecrets(at: Date()) == [s4.secret, s2.secret, s1.secret])
        }
    }

    /// A secret that an instance of the version before migration 0014 retired (a rolling upgrade)
    /// is only in `account_webhooks.previous_secret`: it signs in its place among the others — in
    /// the settings and in a claim — and the next rotation moves it into the table, where it counts
    /// toward the cap.
    @Test func aSecretRetiredByThePreviousVersionSignsAndCountsTowardTheCap() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let original = try await store.webhookSettings(accountID: account).secret
            let s1 = try await store.rotateWebhookSecret(accountID: account, overlap: 3600)
            // The previous version rotates: it knows only the one column.
            try await store.client.query(
                """
                UPDATE account_webhooks SET previous_secret = secret, secret = 'rotated-by-the-previous-version',
                    previous_secret_expires_at = now() + interval '1 hour', updated_at = now()
                WHERE account_id = \(account)
                """,
                logger: Logger(label: "test")
            )
            let signing = ["rotated-by-the-previous-version", s1.secret, original]
            #expect(try await store.webhookSettings(accountID: account).signingSecrets(at: Date()) == signing)
            _ = try await store.enqueueTestWebhook(accountID: account, url: "https://h.example/t")
            #expect(try await self.claimEverythingDue(store).first?.secrets == signing)
            #expect(
                try await store.webhookSettings(accountID: account).signingSecrets(at: Date().addingTimeInterval(7200))
                    == ["rotated-by-the-previous-version"]
            )

            let s2 = try await store.rotateWebhookSecret(accountID: account, overlap: 3600)
            #expect(s2.ended.map(\.secret) == [original], "the oldest of three stops")
            #expect(s2.settings.signingSecrets(at: Date()) == [s2.secret, "rotated-by-the-previous-version", s1.secret])
        }
    }

    /// Redelivery goes where the customer now wants events: a `url` given, else the account's URL as
    /// it is now for events that went to an account URL; a message's own `callback_url` and a test
    /// event's URL stay. It keeps counting attempts and clears `delivered_at`.
    @Test func redeliveryFollowsTheAccountsCurrentURLOrTheOneGiven() async throws {
        try await withStore { store in
            let account = try await self.accountWithStatusURL(store, name: "acme")
            let plain = try await self.queued(store, account: account)
            let own = try await self.queued(store, account: account, callback: "https://other.example.com/cb")
            let later = try await self.queued(store, account: account)
            for id in [plain, own, later] { _ = try await store.cancel(id: id, accountID: account) }
            _ = try await store.setWebhookURLs(
                accountID: account,
                statusURL: "https://hooks.example.com/status",
                inboundURL: "https://hooks.example.com/mo"
            )
            let part = IncomingPart(
                connector: "main",
                source: "447700900999",
                destination: "12345",
                dataCoding: .smscDefault,
                userData: Array("Hi".utf8),
                concatenation: nil
            )
            _ = try await store.storeInbound(part, accountID: account, dedupeWindow: 600)
            let test = try #require(try await store.enqueueTestWebhook(accountID: account, url: "https://t.example/x"))
            let events = try await self.events(store, account: account)
            let toAccount = try #require(events.first { $0.messageID == plain })
            let toMessage = try #require(events.first { $0.messageID == own })
            #expect(toAccount.url == "https://hooks.example.com/status")

            _ = try await store.setWebhookURLs(
                accountID: account,
                statusURL: "https://moved.example.com/status",
                inboundURL: "https://moved.example.com/mo"
            )
            let moved = try #require(try await store.redeliverWebhook(id: toAccount.id, accountID: account))
            #expect(moved.url == "https://moved.example.com/status")
            #expect(moved.redeliveries == 1 && moved.status == .pending)
            #expect(
                try await store.redeliverWebhook(id: toMessage.id, accountID: account)?.url
                    == "https://other.example.com/cb"
            )
            #expect(try await store.redeliverWebhook(id: test.id, accountID: account)?.url == "https://t.example/x")
            let inbound = try #require(events.first { $0.eventType == .messageInbound })
            #expect(
                try await store.redeliverWebhook(id: inbound.id, accountID: account)?.url
                    == "https://moved.example.com/mo"
            )

            let given = try await store.redeliverWebhook(
                id: toMessage.id,
                accountID: account,
                url: "https://given.example/h"
            )
            #expect(given?.url == "https://given.example/h" && given?.redeliveries == 2)

            _ = try await store.setWebhookURLs(accountID: account, statusURL: nil, inboundURL: nil)
            let unset = try #require(events.first { $0.messageID == later })
            #expect(
                try await store.redeliverWebhook(id: unset.id, accountID: account)?.url
                    == "https://moved.example.com/status",
                "no status_url any more: where it was last addressed (pending, it moved with the account's URL)"
            )
            let claims = try await self.claimEverythingDue(store)
            #expect(
                claims.first { $0.id == toAccount.id }?.destination == "moved.example.com",
                "limits see the new host"
            )
        }
    }

    @Test func redeliveryKeepsCountingAttemptsAndClearsDeliveredAt() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let event = try #require(try await store.enqueueTestWebhook(accountID: account, url: "https://t.example/x"))
            let now = Date().addingTimeInterval(5)
            for status in [WebhookDeliveryStatus.pending, .delivered] {
                let claim = try #require(
                    try await store.claimWebhooks(now: now, limit: 1, lease: 60, rooms: [], defaultRoom: 1).first
                )
                let result = WebhookAttemptResult(
                    status: status,
                    nextAttemptAt: now,
                    attemptedAt: now,
                    statusCode: status == .delivered ? 200 : 500,
                    error: nil,
                    responseExcerpt: nil,
                    latencyMilliseconds: 3
                )
                #expect(try await store.recordWebhookAttempt(claim, result: result))
            }
            #expect(try await store.webhookDelivery(id: event.id, accountID: account)?.deliveredAt != nil)
            let again = try #require(try await store.redeliverWebhook(id: event.id, accountID: account))
            #expect(again.attempts == 2 && again.redeliveries == 1)
            #expect(again.deliveredAt == nil, "pending again: not delivered")
            let claim = try #require(
                try await store.claimWebhooks(now: now, limit: 1, lease: 60, rooms: [], defaultRoom: 1).first
            )
            #expect(claim.attempts == 2 && claim.attemptsSinceRedelivery == 0 && claim.redeliveries == 1)
        }
    }
}
