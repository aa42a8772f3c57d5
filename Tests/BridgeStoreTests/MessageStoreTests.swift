import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct MessageStoreTests {
    @Test func accountsAuthenticateByKeyUntilRevoked() async throws {
        try await withStore { store in
            let (account, key) = try await store.createAccount(name: "acme")
            #expect(key.hasPrefix("sbk_"))
            #expect(key.count == 44)
            #expect(try await store.account(forAPIKey: key)?.id == account.id)
            #expect(try await store.account(forAPIKey: "sbk_" + String(repeating: "0", count: 40)) == nil)
            #expect(try await store.account(forAPIKey: "nonsense") == nil)
            let (second, secondKey) = try await store.createAPIKey(accountID: account.id)
            let keys = try await store.apiKeys(accountID: account.id)
            #expect(keys.map(\.prefix).contains(second.prefix))
            #expect(keys.allSatisfy { $0.prefix.count == 12 })
            #expect(try await store.revokeAPIKey(prefix: String(key.prefix(12))) == .revoked)
            #expect(try await store.account(forAPIKey: key) == nil, "revoked")
            let revokedAt = try #require(
                try await store.apiKeys(accountID: account.id).first { key.hasPrefix($0.prefix) }?.revokedAt
            )
            #expect(try await store.revokeAPIKey(prefix: String(key.prefix(12))) == .alreadyRevoked(at: revokedAt))
            #expect(try await store.revokeAPIKey(prefix: "sbk_00000000") == .unknown)
            #expect(try await store.account(forAPIKey: secondKey)?.name == "acme")
            #expect(try await store.account(named: "acme")?.id == account.id)
        }
    }

    @Test func insertedMessagesReadBackWithTheirParts() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let long = String(repeating: "Long text. ", count: 20)
            let message = try AcceptedMessages.make(
                SendRequest(
                    to: "+447700900123",
                    from: "Shop",
                    text: long,
                    clientRef: "order-1",
                    validity: 3600,
                    tags: ["a", "b"]
                ),
                account: account.id
            )
            try await store.insert([message])
            let record = try #require(try await store.message(id: message.id, accountID: account.id))
            #expect(record.status == .queued)
            #expect(record.text == long)
            #expect(record.partCount == 2)
            #expect(record.parts.map(\.partNumber) == [1, 2])
            #expect(record.parts.allSatisfy { $0.status == "pending" })
            #expect(record.tags == ["a", "b"])
            #expect(record.clientRef == "order-1")
            #expect(record.validity == 3600)
            #expect(record.connector == "main")
            #expect(record.callbackURL == nil)
        }
    }

    @Test func concurrentInsertsShareTransactionsAndEachReturnsCommitted() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let messages = try (0..<300).map {
                try AcceptedMessages.make(
                    SendRequest(to: "447700900123", from: "Shop", text: "burst \($0)"),
                    account: account
                )
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for message in messages {
                    group.addTask {
                        try await store.insert([message])
                        // Returned: committed, visible to any other connection.
                        let stored = try await store.message(id: message.id, accountID: account)
                        #expect(stored?.text == message.text)
                        #expect(stored?.parts.count == 1)
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.queueStatistics().depth == 300)
        }
    }

    @Test func anotherAccountCannotSeeTheMessage() async throws {
        try await withStore { store in
            let (owner, _) = try await store.createAccount(name: "owner")
            let (other, _) = try await store.createAccount(name: "other")
            let message = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "private"),
                account: owner.id
            )
            try await store.insert([message])
            #expect(try await store.message(id: message.id, accountID: other.id) == nil)
            #expect(
                try await store.messages(accountID: other.id, filter: MessageFilter(), limit: 10, after: nil).isEmpty
            )
            #expect(try await store.cancel(id: message.id, accountID: other.id) == .notFound)
        }
    }

    @Test func binaryAndScheduledMessages() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let later = Date().addingTimeInterval(3600)
            let binary = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", body: "AQID", encoding: .binary),
                account: account.id
            )
            let scheduled = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "later", sendAt: later),
                account: account.id
            )
            try await store.insert([binary, scheduled])
            #expect(try await store.message(id: binary.id, accountID: account.id)?.binaryBody == [1, 2, 3])
            let record = try #require(try await store.message(id: scheduled.id, accountID: account.id))
            #expect(record.status == .scheduled)
            #expect(abs((record.sendAt ?? .distantPast).timeIntervalSince(later)) < 0.001)
        }
    }

    @Test func listingFiltersAndPages() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let start = Date()
            var messages: [AcceptedMessage] = []
            for index in 0..<25 {
                messages.append(
                    try AcceptedMessages.make(
                        SendRequest(
                            to: index.isMultiple(of: 2) ? "447700900001" : "447700900002",
                            from: "Shop",
                            text: "m\(index)",
                            clientRef: "ref-\(index % 5)"
                        ),
                        account: account.id,
                        at: start.addingTimeInterval(Double(index))
                    )
                )
            }
            try await store.insert(messages)
            var seen: [String] = []
            var cursor: ListCursor?
            repeat {
                let page = try await store.messages(
                    accountID: account.id,
                    filter: MessageFilter(),
                    limit: 10,
                    after: cursor
                )
                seen += page.compactMap(\.text)
                cursor = page.count == 10 ? page.last.map { ListCursor(createdAt: $0.createdAt, id: $0.id) } : nil
                if let token = cursor?.token { cursor = ListCursor(token: token) }
            } while cursor != nil
            #expect(seen == (0..<25).reversed().map { "m\($0)" }, "newest first, each once")
            let toFirst = try await store.messages(
                accountID: account.id,
                filter: MessageFilter(to: "447700900001"),
                limit: 100,
                after: nil
            )
            #expect(toFirst.count == 13)
            let byRef = try await store.messages(
                accountID: account.id,
                filter: MessageFilter(clientRef: "ref-3"),
                limit: 100,
                after: nil
            )
            #expect(byRef.count == 5)
            let window = try await store.messages(
                accountID: account.id,
                filter: MessageFilter(
                    status: .queued,
                    createdSince: start.addingTimeInterval(10),
                    createdUntil: start.addingTimeInterval(15)
                ),
                limit: 100,
                after: nil
            )
            #expect(window.compactMap(\.text) == ["m14", "m13", "m12", "m11", "m10"])
            #expect(ListCursor(token: "not a cursor") == nil)
        }
    }

    @Test func onlyUnsentMessagesCanBeCanceled() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let message = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "cancel me"),
                account: account.id
            )
            try await store.insert([message])
            guard case .canceled(let record) = try await store.cancel(id: message.id, accountID: account.id) else {
                Issue.record("expected the cancel to work")
                return
            }
            #expect(record.status == .canceled)
            #expect(record.statusSequence == 2)
            #expect(record.parts.map(\.status) == ["canceled"], "its parts end with it")
            // Canceling again changes nothing and answers the canceled message.
            #expect(try await store.cancel(id: message.id, accountID: account.id) == .canceled(record))
            #expect(try await store.cancel(id: UUID(), accountID: account.id) == .notFound)
        }
    }

    @Test func idempotencyRecordsAreKeptAndRaceSafe() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let first = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "once"),
                account: account.id
            )
            let record = Self.record("k1", "POST /v1/messages", hash: [1, 2, 3], status: 202, response: "{}")
            try await store.insert([first], idempotency: record)
            #expect(try await store.idempotencyRecord(accountID: account.id, key: "k1") == record)
            let second = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "twice"),
                account: account.id
            )
            await #expect(throws: StoreError.idempotencyKeyTaken) {
                try await store.insert([second], idempotency: record)
            }
            #expect(try await store.message(id: second.id, accountID: account.id) == nil, "nothing inserted")

            // No messages, no record: the key of a request that stored nothing stays unused.
            let nothing = Self.record("k2", "POST /v1/messages/batch", hash: [4], status: 207, response: "{}")
            try await store.insert([], idempotency: nothing, accountID: account.id)
            #expect(try await store.idempotencyRecord(accountID: account.id, key: "k2") == nil)
        }
    }

    @Test func anIdempotencyKeyIsFreeAgainAfter24Hours() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let old = Self.record("k1", "POST /v1/messages/batch", hash: [1], status: 207, response: "{}")
            try await store.insert(
                [
                    try AcceptedMessages.make(
                        SendRequest(to: "447700900123", from: "Shop", text: "yesterday"),
                        account: account.id
                    )
                ],
                idempotency: old
            )
            try await store.client.query("UPDATE idempotency_keys SET created_at = now() - interval '25 hours'")
            #expect(try await store.idempotencyRecord(accountID: account.id, key: "k1") == nil)
            // Everything of the old record is replaced, its endpoint too.
            let fresh = Self.record("k1", "POST /v1/messages", hash: [2], status: 202, response: "[]")
            let today = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "today"),
                account: account.id
            )
            try await store.insert([today], idempotency: fresh)
            #expect(try await store.idempotencyRecord(accountID: account.id, key: "k1") == fresh)
            #expect(try await store.message(id: today.id, accountID: account.id) != nil)
        }
    }

    /// An idempotency record of `key`, answering `endpoint` with `status` and `response`.
    private static func record(
        _ key: String,
        _ endpoint: String,
        hash: [UInt8],
        status: Int,
        response: String
    ) -> IdempotencyRecord {
        IdempotencyRecord(
            key: key,
            endpoint: endpoint,
            requestHash: hash,
            statusCode: status,
            response: Array(response.utf8)
        )
    }

    /// Rows that share their creation time (one transaction's) are each listed once across pages,
    /// whatever that time is: a cursor a microsecond early skipped the rest of them.
    @Test func pagesThroughRowsThatShareTheirTimeMissNone() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            var messages: [AcceptedMessage] = []
            for group in 0..<20 {
                // Times with all kinds of microsecond parts (about a quarter of them came out a
                // microsecond early), three messages each.
                let time = Date(timeIntervalSince1970: Double(1_764_806_400_000_000 + group * 7_919) / 1_000_000)
                for index in 0..<3 {
                    messages.append(
                        try AcceptedMessages.make(
                            SendRequest(to: "447700900123", from: "Shop", text: "\(group)/\(index)"),
                            account: account.id,
                            at: time
                        )
                    )
                }
            }
            try await store.insert(messages)
            var seen: [UUID] = []
            var cursor: ListCursor?
            for _ in 0..<40 {
                let page = try await store.messages(accountID: account.id, filter: .init(), limit: 2, after: cursor)
                seen += page.map(\.id)
                guard page.count == 2, let last = page.last else { break }
                cursor = ListCursor(token: ListCursor(createdAt: last.createdAt, id: last.id).token)
            }
            #expect(seen.count == 60)
            #expect(Set(seen) == Set(messages.map(\.id)))
        }
    }

    @Test func queueStatisticsCountDueMessages() async throws {
        try await withStore { store in
            let (account, _) = try await store.createAccount(name: "acme")
            let old = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "old"),
                account: account.id,
                at: Date().addingTimeInterval(-30)
            )
            let new = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "new"),
                account: account.id
            )
            let future = try AcceptedMessages.make(
                SendRequest(to: "447700900123", from: "Shop", text: "x", sendAt: Date().addingTimeInterval(600)),
                account: account.id
            )
            try await store.insert([old, new, future])
            let statistics = try await store.queueStatistics()
            #expect(statistics.depth == 2)
            #expect(statistics.oldestAge >= 29)
        }
    }
}
