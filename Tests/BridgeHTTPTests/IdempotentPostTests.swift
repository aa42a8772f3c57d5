import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

@testable import BridgeHTTP

/// Every `POST` of the API honours `Idempotency-Key`, not only the sends (`IdempotencyTests`): a
/// client that sends one is protected wherever it may.
@Suite(.timeLimit(.minutes(1))) struct IdempotentPostTests {
    private static let key = HTTPField.Name("Idempotency-Key")!
    private static let replayed = HTTPField.Name("Idempotent-Replayed")!

    /// The account's webhook deliveries, newest first.
    private static func deliveries(_ api: APIHarness) async throws -> [WebhookDeliveryRecord] {
        try await api.store.webhookDeliveries(accountID: api.account.id, filter: .init(), limit: 100, after: nil)
    }

    /// A test event queued through the store, and the path that redelivers it.
    private static func queuedEvent(_ api: APIHarness) async throws -> (WebhookDeliveryRecord, redeliver: String) {
        let delivery = try #require(
            try await api.store.enqueueTestWebhook(accountID: api.account.id, url: "https://hooks.example.com")
        )
        return (delivery, "/v1/webhooks/deliveries/\(delivery.id.uuidString.lowercased())/redeliver")
    }

    @Test func aTestEventIsQueuedOnceForAKey() async throws {
        try await withAPI { api in
            let body = #"{"url": "https://hooks.example.com/t"}"#
            let first = try await api.request(.post, "/v1/webhooks/test", json: body, headers: [Self.key: "t"])
            #expect(first.status == .accepted, "\(first.text)")
            #expect(first.headers[Self.replayed] == nil)
            let second = try await api.request(.post, "/v1/webhooks/test", json: body, headers: [Self.key: "t"])
            #expect(second.status == .accepted)
            #expect(second.headers[Self.replayed] == "true")
            #expect(second.body == first.body, "byte for byte")
            #expect(second.headers[.contentType] == first.headers[.contentType])
            #expect(try await Self.deliveries(api).count == 1)

            let other = try await api.request(
                .post,
                "/v1/webhooks/test",
                json: #"{"url": "https://hooks.example.com/u"}"#,
                headers: [Self.key: "t"]
            )
            #expect(other.status == .conflict)
            #expect(try other.problem().errors?.map(\.code) == ["reused"])
            #expect(try await Self.deliveries(api).count == 1)

            // Refused (no URL, and the account has no status_url): not recorded.
            let refused = try await api.request(.post, "/v1/webhooks/test", headers: [Self.key: "t2"])
            #expect(refused.status == .badRequest)
            let fixed = try await api.request(.post, "/v1/webhooks/test", json: body, headers: [Self.key: "t2"])
            #expect(fixed.status == .accepted)
            #expect(fixed.headers[Self.replayed] == nil)
            #expect(try await Self.deliveries(api).count == 2)
        }
    }

    @Test func concurrentTestEventsWithOneKeyAreQueuedOnce() async throws {
        try await withAPI { api in
            let body = #"{"url": "https://hooks.example.com/race"}"#
            let responses = try await withThrowingTaskGroup(of: (HTTPResponse.Status, [UInt8]).self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let response = try await api.request(
                            .post,
                            "/v1/webhooks/test",
                            json: body,
                            headers: [Self.key: "race"]
                        )
                        return (response.status, Array(response.body.readableBytesView))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.allSatisfy { $0.0 == .accepted }, "\(responses.map(\.0))")
            #expect(Set(responses.map(\.1)).count == 1, "every answer is the first one")
            #expect(try await Self.deliveries(api).count == 1)
        }
    }

    /// A rotation whose answer was lost, retried: the secret it made is the one answered, and the
    /// old one still overlaps (rotated twice, the old secret would be gone and the new one unknown).
    @Test func aRotationIsMadeOnceForAKey() async throws {
        try await withAPI { api in
            let before = try await api.store.webhookSettings(accountID: api.account.id).secret
            let body = #"{"overlap_seconds": 600}"#
            let path = "/v1/account/webhooks/secret/rotate"
            let first = try await api.request(.post, path, json: body, headers: [Self.key: "r"])
            #expect(first.status == .ok, "\(first.text)")
            let secret = try #require(try first.object()["secret"] as? String)
            let second = try await api.request(.post, path, json: body, headers: [Self.key: "r"])
            #expect(second.status == .ok)
            #expect(second.headers[Self.replayed] == "true")
            #expect(second.body == first.body)
            let settings = try await api.store.webhookSettings(accountID: api.account.id)
            #expect(settings.signingSecrets(at: Date()) == [secret, before])

            // Without a body too (the body is optional): its own key, one rotation.
            let bare = try await api.request(.post, path, headers: [Self.key: "bare"])
            #expect(bare.status == .ok, "\(bare.text)")
            let again = try await api.request(.post, path, headers: [Self.key: "bare"])
            #expect(again.headers[Self.replayed] == "true")
            #expect(again.body == bare.body)
            let newest = try #require(try bare.object()["secret"] as? String)
            let secrets = try await api.store.webhookSettings(accountID: api.account.id).signingSecrets(at: Date())
            #expect(secrets.first == newest)
        }
    }

    @Test func aRedeliveryIsQueuedOnceForAKey() async throws {
        try await withAPI { api in
            let (queued, path) = try await Self.queuedEvent(api)
            try await api.store.client.query("UPDATE webhook_deliveries SET status = 'dead', attempts = 9")
            let first = try await api.request(.post, path, headers: [Self.key: "d"])
            #expect(first.status == .accepted, "\(first.text)")
            #expect(try first.object()["status"] as? String == "pending")

            // Delivered since; the retry of the lost answer replays it and queues nothing again.
            try await api.store.client.query("UPDATE webhook_deliveries SET status = 'delivered'")
            let retry = try await api.request(.post, path, headers: [Self.key: "d"])
            #expect(retry.status == .accepted)
            #expect(retry.headers[Self.replayed] == "true")
            #expect(retry.body == first.body)
            #expect(try await api.store.webhookDelivery(id: queued.id, accountID: api.account.id)?.status == .delivered)

            // The path names the delivery: the key on another one is another endpoint.
            let (_, another) = try await Self.queuedEvent(api)
            let elsewhere = try await api.request(.post, another, headers: [Self.key: "d"])
            #expect(elsewhere.status == .conflict)
            #expect(try elsewhere.problem().errors?.map(\.code) == ["other_endpoint"])
        }
    }

    /// A delivery being posted at this moment is left as it is: nothing changed, nothing recorded.
    @Test func aRedeliveryThatChangesNothingLeavesItsKeyUnused() async throws {
        try await withAPI { api in
            let (_, path) = try await Self.queuedEvent(api)
            try await api.store.client.query("UPDATE webhook_deliveries SET lease_token = gen_random_uuid()")
            #expect(try await api.request(.post, path, headers: [Self.key: "busy"]).status == .accepted)
            #expect(try await api.store.idempotencyRecord(accountID: api.account.id, key: "busy") == nil)
            #expect(
                try await api.request(.post, "/v1/webhooks/deliveries/\(UUID())/redeliver", headers: [Self.key: "gone"])
                    .status == .notFound
            )
            #expect(try await api.store.idempotencyRecord(accountID: api.account.id, key: "gone") == nil)
        }
    }

    /// `PUT`, `DELETE` and `GET` are idempotent by definition: a key there is not needed, and not used.
    @Test func otherMethodsDoNotUseTheKey() async throws {
        try await withAPI { api in
            let settings = #"{"status_url": "https://hooks.example.com/s"}"#
            for _ in 0..<2 {
                let put = try await api.request(.put, "/v1/account/webhooks", json: settings, headers: [Self.key: "p"])
                #expect(put.status == .ok)
                #expect(put.headers[Self.replayed] == nil)
            }
            #expect(try await api.store.idempotencyRecord(accountID: api.account.id, key: "p") == nil)
            // Not taken by the PUT: a POST may use it.
            let test = try await api.request(.post, "/v1/webhooks/test", headers: [Self.key: "p"])
            #expect(test.status == .accepted, "\(test.text)")
        }
    }
}
