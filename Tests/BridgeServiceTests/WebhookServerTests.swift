import BridgeService
import Foundation
import NIOHTTP1
import Testing

/// Webhooks through the whole server, as the README tells a newcomer to use them.
@Suite(.timeLimit(.minutes(3))) struct WebhookServerTests {
    @Test func aReceiverGetsSignedCallbacksAndDeadOnesAreRedeliveredThroughTheAPI() async throws {
        let receiver = WebhookReceiver()
        try await receiver.start()
        defer { Task { try? await receiver.stop() } }
        try await withServer(configure: {
            $0.webhooks.allowPrivateDestinations = true
            $0.webhooks.pollInterval = .seconds(0.1)
            $0.webhooks.retryDelay = .seconds(0.05)
            $0.webhooks.maxAttempts = 2
            $0.webhooks.requestTimeout = .seconds(1)
        }) { server in
            let settings = try await server.request(
                .PUT,
                "/v1/account/webhooks",
                json: #"{"status_url": "\#(receiver.url)"}"#
            )
            #expect(settings.status == 200, "\(settings.body)")
            let rotated = try await server.request(.POST, "/v1/account/webhooks/secret/rotate")
            let secret = try #require(try rotated.json()["secret"] as? String)

            let first = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "+447700900123", "from": "Shop", "text": "one"}"#
            )
            let id = try #require(try first.json()["id"] as? String)
            let requests = try await receiver.waitFor(2)
            #expect(requests.map { $0.data["status"] as? String } == ["sent", "delivered"])
            #expect(requests.map { $0.data["message_id"] as? String } == [id, id])
            for request in requests { #expect(try await pythonVerifies(request, secret: secret)) }

            // The endpoint goes down: the next message's callbacks use up their attempts and die.
            try await receiver.stop()
            let second = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "+447700900123", "from": "Shop", "text": "two"}"#
            )
            let secondID = try #require(try second.json()["id"] as? String)
            _ = try await server.waitForStatus(secondID, "delivered")
            var dead: [[String: Any]] = []
            try await waitUntil("both callbacks of the second message are dead", timeout: .seconds(20)) {
                let listed = try await server.request(
                    .GET,
                    "/v1/webhooks/deliveries?status=dead&message_id=\(secondID)"
                )
                dead = (try listed.json()["data"] as? [[String: Any]]) ?? []
                return dead.count == 2
            }
            #expect(dead.allSatisfy { $0["attempts"] as? Int == 2 && $0["last_error"] != nil })

            // Back up: dead callbacks are redelivered on request, in order per message. Delivery is
            // at least once: a post can reach the receiver as it stops, or be answered after the
            // bridge's 1 s timeout on a loaded machine, and come again.
            try await receiver.start()
            let before = receiver.requests.count
            // In sequence order: a redelivered event does not wait for an earlier one that is dead.
            for event in dead.sorted(by: { ($0["sequence"] as? Int ?? 0) < ($1["sequence"] as? Int ?? 0) }) {
                let id = try #require(event["id"] as? String)
                let again = try await server.request(.POST, "/v1/webhooks/deliveries/\(id)/redeliver")
                #expect(again.status == 202)
            }
            var statuses: [String] = []
            try await waitUntil("both callbacks of the second message redelivered", timeout: .seconds(20)) {
                let redelivered = receiver.requests.dropFirst(before)
                #expect(redelivered.allSatisfy { $0.data["message_id"] as? String == secondID })
                statuses = redelivered.compactMap { $0.data["status"] as? String }
                return statuses.contains("delivered")
            }
            #expect(statuses.first == "sent" && statuses.drop { $0 == "sent" }.allSatisfy { $0 == "delivered" }, "\(statuses)")
            try await waitUntil("nothing is dead any more") {
                let listed = try await server.request(.GET, "/v1/webhooks/deliveries?status=dead")
                return (try listed.json()["data"] as? [Any])?.isEmpty == true
            }
        }
    }

    @Test func privateURLsAreRefusedOnInputByDefault() async throws {
        try await withServer { server in
            for url in ["http://127.0.0.1:9/hooks", "http://localhost/hooks", "http://10.1.2.3/x", "http://[::1]/x"] {
                let reply = try await server.request(.PUT, "/v1/account/webhooks", json: #"{"status_url": "\#(url)"}"#)
                #expect(reply.status == 400, "\(url)")
                #expect(try reply.json()["field"] as? String == "status_url")
            }
            let test = try await server.request(.POST, "/v1/webhooks/test", json: #"{"url": "http://192.168.1.1/"}"#)
            #expect(test.status == 400)
            #expect(try test.json()["field"] as? String == "url")
            let message = try await server.request(
                .POST,
                "/v1/messages",
                json:
                    #"{"to": "+447700900123", "from": "Shop", "text": "x", "callback_url": "http://169.254.169.254/"}"#
            )
            #expect(message.status == 400)
            #expect(try message.json()["field"] as? String == "callback_url")
        }
    }
}
