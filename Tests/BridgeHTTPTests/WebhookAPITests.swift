import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct WebhookAPITests {
    @Test func settingsAreSetAndReadWithoutShowingTheSecret() async throws {
        try await withAPI { api in
            let empty = try await api.request(.get, "/v1/account/webhooks")
            #expect(empty.status == .ok)
            let secret = try await api.store.webhookSettings(accountID: api.account.id).secret
            let hint = try #require(try empty.object()["secret_hint"] as? String)
            #expect(hint.hasPrefix("whsec_") && !empty.text.contains(secret))
            #expect(try empty.object()["status_url"] == nil)

            let put = try await api.request(
                .put,
                "/v1/account/webhooks",
                json: #"{"status_url": "https://hooks.example.com/s", "inbound_url": "https://hooks.example.com/i"}"#
            )
            #expect(put.status == .ok, "\(put.text)")
            #expect(try put.object()["status_url"] as? String == "https://hooks.example.com/s")
            let read = try await api.store.webhookSettings(accountID: api.account.id)
            #expect(read.statusURL == "https://hooks.example.com/s" && read.inboundURL == "https://hooks.example.com/i")

            let cleared = try await api.request(
                .put,
                "/v1/account/webhooks",
                json: #"{"inbound_url": "https://x.example"}"#
            )
            #expect(cleared.status == .ok)
            #expect(try await api.store.webhookSettings(accountID: api.account.id).statusURL == nil, "PUT replaces")
        }
    }

    @Test func invalidSettingsNameTheField() async throws {
        try await withAPI { api in
            for (json, field) in [
                (#"{"status_url": "ftp://hooks.example.com"}"#, "status_url"),
                (#"{"inbound_url": "https://user:pw@hooks.example.com"}"#, "inbound_url"),
                (#"{"status_url": "not a url"}"#, "status_url"),
                (#"{"status_url": 42}"#, "status_url"),
                (#"{"statusurl": "https://hooks.example.com"}"#, "statusurl"),
            ] {
                let response = try await api.request(.put, "/v1/account/webhooks", json: json)
                #expect(response.status == .badRequest, "\(response.text)")
                #expect(try response.problem().field == field, "\(json)")
            }
        }
    }

    @Test func rotatingGivesANewSecretOnceAndKeepsTheOldOneForTheOverlap() async throws {
        try await withAPI { api in
            let before = try await api.store.webhookSettings(accountID: api.account.id).secret
            let rotated = try await api.request(
                .post,
                "/v1/account/webhooks/secret/rotate",
                json: #"{"overlap_seconds": 600}"#
            )
            #expect(rotated.status == .ok, "\(rotated.text)")
            let secret = try #require(try rotated.object()["secret"] as? String)
            #expect(secret.hasPrefix("whsec_") && secret != before)
            let settings = try await api.store.webhookSettings(accountID: api.account.id)
            #expect(settings.signingSecrets(at: Date()) == [secret, before])
            let read = try await api.request(.get, "/v1/account/webhooks")
            #expect(try read.object()["previous_secret_expires_at"] != nil)
            #expect(!read.text.contains(secret))

            let bad = try await api.request(
                .post,
                "/v1/account/webhooks/secret/rotate",
                json: #"{"overlap_seconds": 9999999}"#
            )
            #expect(bad.status == .badRequest)
            #expect(try bad.problem().field == "overlap_seconds")
            let withoutBody = try await api.request(.post, "/v1/account/webhooks/secret/rotate")
            #expect(withoutBody.status == .ok, "\(withoutBody.text)")
        }
    }

    @Test func aTestEventIsQueuedListedReadAndRedelivered() async throws {
        try await withAPI { api in
            let none = try await api.request(.post, "/v1/webhooks/test")
            #expect(none.status == .badRequest, "\(none.text)")
            #expect(try none.problem().field == "url", "no URL and no status_url")
            let badURL = try await api.request(.post, "/v1/webhooks/test", json: #"{"url": "gopher://x"}"#)
            #expect(try badURL.problem().field == "url")

            let queued = try await api.request(
                .post,
                "/v1/webhooks/test",
                json: #"{"url": "https://hooks.example.com/t"}"#
            )
            #expect(queued.status == .accepted, "\(queued.text)")
            let id = try #require(try queued.object()["id"] as? String)
            #expect(try queued.object()["status"] as? String == "pending")
            #expect(try queued.object()["event_type"] as? String == "webhook.test")

            let listed = try await api.request(.get, "/v1/webhooks/deliveries?event_type=webhook.test&status=pending")
            #expect(listed.status == .ok)
            let data = try #require(try listed.object()["data"] as? [[String: Any]])
            #expect(data.map { $0["id"] as? String } == [id])
            let nothing = try await api.request(.get, "/v1/webhooks/deliveries?status=dead")
            #expect((try nothing.object()["data"] as? [Any])?.isEmpty == true)

            let one = try await api.request(.get, "/v1/webhooks/deliveries/\(id)")
            #expect(one.status == .ok)
            #expect((try one.object()["attempt_history"] as? [Any])?.isEmpty == true)
            let payload = try #require(try one.object()["payload"] as? String)
            let event = try #require(try JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any])
            #expect(event["id"] as? String == id && event["type"] as? String == "webhook.test")

            let again = try await api.request(.post, "/v1/webhooks/deliveries/\(id)/redeliver")
            #expect(again.status == .accepted, "\(again.text)")
            #expect(try again.object()["id"] as? String == id)

            let (_, otherKey) = try await api.otherAccount()
            let foreign = try await api.request(.get, "/v1/webhooks/deliveries/\(id)", key: .some(otherKey))
            #expect(foreign.status == .notFound)
            let foreignRedeliver = try await api.request(
                .post,
                "/v1/webhooks/deliveries/\(id)/redeliver",
                key: .some(otherKey)
            )
            #expect(foreignRedeliver.status == .notFound)
            #expect(try await api.request(.get, "/v1/webhooks/deliveries/not-an-id").status == .notFound)
        }
    }

    @Test func listingFiltersArePagedAndChecked() async throws {
        try await withAPI { api in
            for _ in 0..<3 {
                _ = try await api.store.enqueueTestWebhook(accountID: api.account.id, url: "https://hooks.example.com")
            }
            let first = try await api.request(.get, "/v1/webhooks/deliveries?limit=2")
            let cursor = try #require(try first.object()["next_cursor"] as? String)
            let second = try await api.request(.get, "/v1/webhooks/deliveries?limit=2&cursor=\(cursor)")
            #expect((try second.object()["data"] as? [Any])?.count == 1)
            #expect(try second.object()["next_cursor"] == nil)

            let badID = try await api.request(.get, "/v1/webhooks/deliveries?message_id=nope")
            #expect(badID.status == .badRequest)
            #expect(try badID.problem().field == "message_id")
            let badStatus = try await api.request(.get, "/v1/webhooks/deliveries?status=lost")
            #expect(badStatus.status == .badRequest)
            #expect(try badStatus.problem().field == "status")
            let byMessage = try await api.request(.get, "/v1/webhooks/deliveries?message_id=\(UUID().uuidString)")
            #expect((try byMessage.object()["data"] as? [Any])?.isEmpty == true)
        }
    }

    /// `POST …/redeliver` takes an optional `{"url": …}`, checked like every webhook URL.
    @Test func aRedeliveryMayNameANewURL() async throws {
        try await withAPI { api in
            let event = try #require(
                try await api.store.enqueueTestWebhook(accountID: api.account.id, url: "https://old.example.com/h")
            )
            let path = "/v1/webhooks/deliveries/\(event.id.uuidString.lowercased())/redeliver"
            for json in [#"{"url": "gopher://x"}"#, #"{"url": "https://u:p@h.example/h"}"#, #"{"url": 7}"#] {
                let bad = try await api.request(.post, path, json: json)
                #expect(bad.status == .badRequest, "\(json): \(bad.text)")
                #expect(try bad.problem().field == "url", "\(json): \(bad.text)")
            }
            #expect(try await api.store.webhookDelivery(id: event.id, accountID: api.account.id)?.redeliveries == 0)

            let moved = try await api.request(.post, path, json: #"{"url": "https://new.example.com/h"}"#)
            #expect(moved.status == .accepted, "\(moved.text)")
            #expect(try moved.object()["url"] as? String == "https://new.example.com/h")
            #expect(try moved.object()["redeliveries"] as? Int == 1)
            let plain = try await api.request(.post, path)
            #expect(plain.status == .accepted)
            #expect(try plain.object()["url"] as? String == "https://new.example.com/h", "where it goes now")
            #expect(try plain.object()["redeliveries"] as? Int == 2)
        }
    }

    /// Every secret a rotation promised keeps signing, and the settings list them (hints only).
    @Test func theSettingsListEveryOldSecretStillSigning() async throws {
        try await withAPI { api in
            let original = try await api.store.webhookSettings(accountID: api.account.id).secret
            for _ in 0..<2 {
                let rotated = try await api.request(
                    .post,
                    "/v1/account/webhooks/secret/rotate",
                    json: #"{"overlap_seconds": 3600}"#
                )
                #expect(rotated.status == .ok)
            }
            let read = try await api.request(.get, "/v1/account/webhooks")
            let previous = try #require(try read.object()["previous_secrets"] as? [[String: Any]])
            #expect(previous.count == 2)
            #expect(previous.last?["secret_hint"] as? String == String(original.prefix(10)) + "…")
            #expect(!read.text.contains(original))
        }
    }

    /// At most two old secrets sign beside the current one; the rotation's answer lists those still
    /// signing and the one it stopped.
    @Test func aThirdRotationSaysWhichOldSecretItStopped() async throws {
        try await withAPI { api in
            let original = try await api.store.webhookSettings(accountID: api.account.id).secret
            var answers: [[String: Any]] = []
            for _ in 0..<3 {
                let rotated = try await api.request(
                    .post,
                    "/v1/account/webhooks/secret/rotate",
                    json: #"{"overlap_seconds": 3600}"#
                )
                #expect(rotated.status == .ok, "\(rotated.text)")
                answers.append(try rotated.object())
            }
            let hint = String(original.prefix(10)) + "…"
            #expect(answers.map { ($0["previous_secrets"] as? [Any])?.count } == [1, 2, 2])
            #expect(answers.map { ($0["ended_secrets"] as? [Any])?.count } == [0, 0, 1])
            let ended = try #require((answers[2]["ended_secrets"] as? [[String: Any]])?.first)
            #expect(ended["secret_hint"] as? String == hint)
            #expect(ended["expires_at"] as? String != nil)
            let still = try #require(answers[2]["previous_secrets"] as? [[String: Any]])
            #expect(!still.contains { $0["secret_hint"] as? String == hint })
            let read = try await api.request(.get, "/v1/account/webhooks")
            #expect((try read.object()["previous_secrets"] as? [Any])?.count == 2)
        }
    }
}
