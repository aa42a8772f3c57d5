import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Synchronization
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct IdempotencyTests {
    private static let key = HTTPField.Name("Idempotency-Key")!

    @Test func aRepeatedRequestReplaysTheFirstAnswerByteForByte() async throws {
        try await withAPI { api in
            let body = messageJSON(extra: #""client_ref": "once""#)
            let first = try await api.send(body, headers: [Self.key: "key-1"])
            #expect(first.status == .accepted)
            #expect(first.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            let second = try await api.send(body, headers: [Self.key: "key-1"])
            #expect(second.status == .accepted)
            #expect(second.body == first.body, "byte for byte")
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(second.headers[.contentType] == first.headers[.contentType])
            let stored = try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil)
            #expect(stored.count == 1)

            // Another key sends again.
            #expect(try await api.send(body, headers: [Self.key: "key-2"]).status == .accepted)
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 2
            )
        }
    }

    @Test func theSameKeyWithAnotherBodyIsAConflict() async throws {
        try await withAPI { api in
            #expect(try await api.send(messageJSON(text: "one"), headers: [Self.key: "k"]).status == .accepted)
            let response = try await api.send(messageJSON(text: "two"), headers: [Self.key: "k"])
            #expect(response.status == .conflict)
            let problem = try response.problem()
            #expect(problem._type == "https://smsbridge.dev/problems/idempotency-key-reused")
            #expect(problem.field == "Idempotency-Key")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 1
            )
        }
    }

    @Test func keysBelongToOneAccount() async throws {
        try await withAPI { api in
            let (_, otherKey) = try await api.otherAccount()
            #expect(try await api.send(messageJSON(), headers: [Self.key: "shared"]).status == .accepted)
            let other = try await api.request(
                .post,
                "/v1/messages",
                json: messageJSON(),
                headers: [Self.key: "shared"],
                key: otherKey
            )
            #expect(other.status == .accepted)
            #expect(other.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
        }
    }

    @Test func refusedRequestsAreNotRecorded() async throws {
        try await withAPI { api in
            let invalid = try await api.send(messageJSON(to: "nobody"), headers: [Self.key: "fix-me"])
            #expect(invalid.status == .badRequest)
            let fixed = try await api.send(messageJSON(), headers: [Self.key: "fix-me"])
            #expect(fixed.status == .accepted)
        }
    }

    @Test func batchesReplayToo() async throws {
        try await withAPI { api in
            let body = #"{"messages": [\#(messageJSON()), \#(messageJSON(to: "x"))]}"#
            let first = try await api.request(.post, "/v1/messages/batch", json: body, headers: [Self.key: "batch"])
            #expect(first.status == .multiStatus)
            let second = try await api.request(.post, "/v1/messages/batch", json: body, headers: [Self.key: "batch"])
            #expect(second.status == .multiStatus)
            #expect(second.body == first.body)
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 1
            )
        }
    }

    /// A batch whose every item was refused stored nothing: its `207` is not recorded, so the client
    /// can correct the items and send them with the same key.
    @Test func aBatchThatStoresNothingLeavesItsKeyUnused() async throws {
        try await withAPI { api in
            let refused = #"{"messages": [\#(messageJSON(to: "x")), \#(messageJSON(from: ""))]}"#
            let first = try await api.request(.post, "/v1/messages/batch", json: refused, headers: [Self.key: "fix-me"])
            #expect(first.status == .multiStatus, "\(first.text)")
            let batch = try first.decode(Components.Schemas.BatchResponse.self)
            #expect(batch.accepted == 0 && batch.rejected == 2)
            #expect(batch.results.map(\.status) == [400, 400])
            #expect(batch.results.map { $0.problem?.field } == ["messages[0].to", "messages[1].from"])
            #expect(try await api.store.idempotencyRecord(accountID: api.account.id, key: "fix-me") == nil)

            // The same body again is answered afresh (not a replay): the key is still unused.
            let again = try await api.request(.post, "/v1/messages/batch", json: refused, headers: [Self.key: "fix-me"])
            #expect(again.status == .multiStatus)
            #expect(again.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)

            let corrected = #"{"messages": [\#(messageJSON()), \#(messageJSON(from: "Shop"))]}"#
            let fixed = try await api.request(
                .post,
                "/v1/messages/batch",
                json: corrected,
                headers: [Self.key: "fix-me"]
            )
            #expect(fixed.status == .multiStatus, "\(fixed.text)")
            #expect(fixed.headers[HTTPField.Name("Idempotent-Replayed")!] == nil)
            #expect(try fixed.decode(Components.Schemas.BatchResponse.self).accepted == 2)
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 2
            )

            // Now the key is used: the corrected batch is what it replays.
            let replay = try await api.request(
                .post,
                "/v1/messages/batch",
                json: corrected,
                headers: [Self.key: "fix-me"]
            )
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(replay.body == fixed.body)
        }
    }

    /// One key space per account, as Stripe's: a key belongs to the endpoint it was first used
    /// with, and its reuse on another is refused as such (not as "a different body").
    @Test func aKeyUsedOnOneEndpointIsRefusedOnAnother() async throws {
        try await withAPI { api in
            #expect(try await api.send(messageJSON(), headers: [Self.key: "single"]).status == .accepted)
            let batch = #"{"messages": [\#(messageJSON())]}"#
            let onBatch = try await api.request(.post, "/v1/messages/batch", json: batch, headers: [Self.key: "single"])
            #expect(onBatch.status == .conflict, "\(onBatch.text)")
            let problem = try onBatch.problem()
            #expect(problem._type == "https://smsbridge.dev/problems/idempotency-key-reused")
            #expect(problem.field == "Idempotency-Key")
            #expect(problem.errors?.map(\.code) == ["other_endpoint"])
            #expect(
                problem.detail
                    == "this Idempotency-Key was used with POST /v1/messages in the last 24 hours; a key belongs "
                    + "to the endpoint it was first used with: use another key for POST /v1/messages/batch"
            )

            #expect(
                try await api.request(.post, "/v1/messages/batch", json: batch, headers: [Self.key: "batch"]).status
                    == .multiStatus
            )
            let onSingle = try await api.send(messageJSON(), headers: [Self.key: "batch"])
            #expect(onSingle.status == .conflict)
            #expect(try onSingle.problem().errors?.map(\.code) == ["other_endpoint"])
            #expect(try onSingle.problem().detail?.contains("used with POST /v1/messages/batch") == true)

            // Only the two first requests stored messages; each key still replays on its own endpoint.
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 2
            )
            let replay = try await api.send(messageJSON(), headers: [Self.key: "single"])
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            // Another body on the same endpoint is still the other conflict.
            let otherBody = try await api.send(messageJSON(text: "other"), headers: [Self.key: "single"])
            #expect(try otherBody.problem().errors?.map(\.code) == ["reused"])
        }
    }

    /// A record written before endpoints were recorded (migration 0013; by a send endpoint) has
    /// none: its body alone decides, so it still replays.
    @Test func aRecordWithoutItsEndpointIsComparedByItsBody() async throws {
        try await withAPI { api in
            let body = messageJSON(text: "before the upgrade")
            let first = try await api.send(body, headers: [Self.key: "old"])
            #expect(first.status == .accepted)
            try await api.store.client.query("UPDATE idempotency_keys SET endpoint = NULL")
            #expect(try await api.store.idempotencyRecord(accountID: api.account.id, key: "old")?.endpoint == nil)
            let replay = try await api.send(body, headers: [Self.key: "old"])
            #expect(replay.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(replay.body == first.body)
            let other = try await api.send(messageJSON(text: "other"), headers: [Self.key: "old"])
            #expect(other.status == .conflict)
        }
    }

    @Test func keysMustBeVisibleASCII() async throws {
        try await withAPI { api in
            for key in [String(repeating: "k", count: 256), "with space", "ключ"] {
                let response = try await api.send(messageJSON(), headers: [Self.key: key])
                #expect(response.status == .badRequest)
                #expect(try response.problem().field == "Idempotency-Key")
            }
        }
    }

    @Test func concurrentRequestsWithOneKeySendOnce() async throws {
        try await withAPI { api in
            let body = messageJSON(text: "race")
            let responses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, [UInt8]).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await api.send(body, headers: [Self.key: "race"])
                        return (response.status, Array(response.body.readableBytesView))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.allSatisfy { $0.0 == .accepted }, "\(responses.map(\.0))")
            #expect(Set(responses.map(\.1)).count == 1, "every answer is the first one")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 1
            )
        }
    }

    /// The race made certain: look-ups miss until the store has refused an insert, as when two
    /// requests look the key up before either has committed.
    @Test func aRequestThatLosesTheRaceReplaysTheWinner() async throws {
        let race = RaceSimulation()
        let racing: @Sendable (PostgresStore) -> any APIRepository = { RacingRepository(store: $0, race: race) }
        try await withAPI(store: racing) { api in
            let body = messageJSON(text: "race")
            let winner = try await api.send(body, headers: [Self.key: "k"])
            #expect(winner.status == .accepted)
            let loser = try await api.send(body, headers: [Self.key: "k"])
            #expect(loser.status == .accepted)
            #expect(loser.body == winner.body)
            #expect(loser.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(race.misses(for: "k") == 2, "both looked the key up before either committed")
            #expect(race.refused("k"), "the store refused the second insert")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 1
            )

            let different = try await api.send(messageJSON(text: "other"), headers: [Self.key: "k"])
            #expect(different.status == .conflict)
        }
    }
}

/// Makes every idempotency look-up miss until the store has refused an insert for its key: what
/// two requests see when both look a key up before either has committed.
final class RaceSimulation: Sendable {
    private struct State {
        var misses: [String: Int] = [:]
        var refused: Set<String> = []
    }

    private let state = Mutex(State())

    func lookUpMisses(_ key: String) -> Bool {
        self.state.withLock { state in
            guard !state.refused.contains(key) else { return false }
            state.misses[key, default: 0] += 1
            return true
        }
    }

    func insertRefused(_ key: String) { self.state.withLock { _ = $0.refused.insert(key) } }

    func misses(for key: String) -> Int { self.state.withLock { $0.misses[key, default: 0] } }
    func refused(_ key: String) -> Bool { self.state.withLock { $0.refused.contains(key) } }
}

/// The store, with the idempotency look-ups of ``RaceSimulation``.
struct RacingRepository: APIRepository {
    let store: PostgresStore
    let race: RaceSimulation

    func idempotencyRecord(accountID: UUID, key: String) async throws -> IdempotencyRecord? {
        if self.race.lookUpMisses(key) { return nil }
        return try await self.store.idempotencyRecord(accountID: accountID, key: key)
    }

    func insert(
        _ messages: [AcceptedMessage],
        idempotency: IdempotencyRecord?,
        accountID: UUID?,
        timeout: Duration?
    ) async throws {
        do {
            try await self.store.insert(messages, idempotency: idempotency, accountID: accountID, timeout: timeout)
        } catch StoreError.idempotencyKeyTaken {
            if let key = idempotency?.key { self.race.insertRefused(key) }
            throw StoreError.idempotencyKeyTaken
        }
    }

    func message(id: UUID, accountID: UUID) async throws -> MessageRecord? {
        try await self.store.message(id: id, accountID: accountID)
    }
    func messages(
        accountID: UUID,
        filter: MessageFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws
        -> [MessageRecord]
    {
        try await self.store.messages(accountID: accountID, filter: filter, limit: limit, after: cursor)
    }
    func cancel(id: UUID, accountID: UUID) async throws -> CancelOutcome {
        try await self.store.cancel(id: id, accountID: accountID)
    }
    func queueStatistics() async throws -> QueueStatistics { try await self.store.queueStatistics() }
    func inboundMessages(accountID: UUID, limit: Int, after cursor: ListCursor?) async throws -> [InboundRecord] {
        try await self.store.inboundMessages(accountID: accountID, limit: limit, after: cursor)
    }
    func inboundMessage(id: UUID, accountID: UUID) async throws -> InboundRecord? {
        try await self.store.inboundMessage(id: id, accountID: accountID)
    }
    func account(forAPIKey key: String) async throws -> Account? { try await self.store.account(forAPIKey: key) }
    func webhookDeliveries(
        accountID: UUID,
        filter: WebhookDeliveryFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws -> [WebhookDeliveryRecord] {
        try await self.store.webhookDeliveries(accountID: accountID, filter: filter, limit: limit, after: cursor)
    }
    func webhookDelivery(id: UUID, accountID: UUID) async throws -> WebhookDeliveryRecord? {
        try await self.store.webhookDelivery(id: id, accountID: accountID)
    }
    func webhookAttempts(deliveryID: UUID) async throws -> [WebhookAttemptRecord] {
        try await self.store.webhookAttempts(deliveryID: deliveryID)
    }
    func redeliverWebhook(
        id: UUID,
        accountID: UUID,
        url: String?,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>?
    ) async throws -> WebhookDeliveryRecord? {
        try await self.store.redeliverWebhook(id: id, accountID: accountID, url: url, idempotency: idempotency)
    }
    func enqueueTestWebhook(
        accountID: UUID,
        url: String?,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>?
    ) async throws -> WebhookDeliveryRecord? {
        try await self.store.enqueueTestWebhook(accountID: accountID, url: url, idempotency: idempotency)
    }
    func webhookSettings(accountID: UUID) async throws -> WebhookSettings {
        try await self.store.webhookSettings(accountID: accountID)
    }
    func setWebhookURLs(accountID: UUID, statusURL: String?, inboundURL: String?) async throws -> WebhookSettings {
        try await self.store.setWebhookURLs(accountID: accountID, statusURL: statusURL, inboundURL: inboundURL)
    }
    func rotateWebhookSecret(
        accountID: UUID,
        overlap: TimeInterval,
        idempotency: IdempotencyRecording<WebhookSecretRotation>?
    ) async throws -> WebhookSecretRotation {
        try await self.store.rotateWebhookSecret(accountID: accountID, overlap: overlap, idempotency: idempotency)
    }
}
