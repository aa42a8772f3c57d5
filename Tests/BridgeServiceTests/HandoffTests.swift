import BridgeService
import BridgeStore
import Foundation
import NIOHTTP1
import Testing

/// Messages the HTTP API accepts go straight to this instance's dispatcher (no claim from the
/// queue), unless `dispatcher.handoff` is off.
@Suite(.timeLimit(.minutes(2))) struct HandoffTests {
    /// Posts one message, waits until delivered, and returns its record from the database.
    private func sendOne(_ server: RunningServer) async throws -> MessageRecord {
        let accepted = try await server.request(
            .POST,
            "/v1/messages",
            json: #"{"to": "447700900123", "from": "Shop", "text": "straight through"}"#
        )
        #expect(accepted.status == 202)
        // What the client is told does not depend on the route the message takes.
        #expect(try accepted.json()["status"] as? String == "queued")
        let id = try #require(try accepted.json()["id"] as? String)
        _ = try await server.waitForStatus(id, "delivered")
        let messageID = try #require(UUID(uuidString: id))
        let record = try await withDatabase(server.databaseURL) { store in
            try await store.message(id: messageID, accountID: server.account)
        }
        return try #require(record)
    }

    @Test func aMessageAcceptedHereIsSentWithoutBeingClaimed() async throws {
        try await withServer { server in
            let record = try await self.sendOne(server)
            // Stored as sending (1), then sent (2) and delivered (3): it never waited as queued.
            #expect(record.statusSequence == 3)
            #expect(record.attempts == 1)
        }
    }

    @Test func withoutTheHandoffEveryMessageIsClaimedFromTheQueue() async throws {
        try await withServer(configure: { $0.dispatcher.handoff = false }) { server in
            let record = try await self.sendOne(server)
            // Queued (1), claimed as sending (2), sent (3), delivered (4).
            #expect(record.statusSequence == 4)
            #expect(record.attempts == 1)
        }
    }

    @Test func scheduledMessagesStillWaitInTheQueue() async throws {
        try await withServer { server in
            let sendAt = ISO8601DateFormatter().string(from: Date().addingTimeInterval(8))
            let accepted = try await server.request(
                .POST,
                "/v1/messages",
                json: #"{"to": "447700900123", "from": "Shop", "text": "later", "send_at": "\#(sendAt)"}"#
            )
            let id = try #require(try accepted.json()["id"] as? String)
            #expect(try accepted.json()["status"] as? String == "scheduled")
            #expect(try await server.request(.GET, "/v1/messages/\(id)").json()["status"] as? String == "scheduled")
            _ = try await server.waitForStatus(id, "delivered", timeout: .seconds(30))
        }
    }
}
