import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct RetentionTests {
    /// A two-part message of `account` in `status`, created `age` seconds ago, with a receipt.
    private func message(
        _ store: PostgresStore,
        account: UUID,
        status: MessageStatus,
        age: TimeInterval
    ) async throws -> UUID {
        let message = try AcceptedMessages.make(
            SendRequest(to: "447700900123", from: "Shop", text: String(repeating: "x", count: 300)),
            account: account
        )
        try await store.insert([message])
        let created = Date().addingTimeInterval(-age)
        try await store.client.query(
            "UPDATE messages SET status = \(status.rawValue)::message_status, created_at = \(created) WHERE id = \(message.id)"
        )
        try await store.client.query(
            """
            INSERT INTO receipts (connector, smsc_message_id, id_keys, message_id, part_number, stat, state, intermediate, matched_at)
            VALUES ('main', 'X', ARRAY['X'], \(message.id), 1, 'DELIVRD', 'delivered', false, now())
            """
        )
        return message.id
    }

    private func count(_ store: PostgresStore, _ table: String, message: UUID) async throws -> Int {
        let rows = try await store.client.query(
            PostgresQuery(
                unsafeSQL: "SELECT count(*)::int8 FROM \(table) WHERE message_id = $1",
                binds: {
                    var binds = PostgresBindings()
                    binds.append(message)
                    return binds
                }()
            )
        )
        for try await count in rows.decode(Int64.self) { return Int(count) }
        return 0
    }

    @Test func onlyOldFinishedMessagesAndOldInboundMessagesGo() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            let day: TimeInterval = 86_400
            let oldDelivered = try await self.message(store, account: account, status: .delivered, age: 100 * day)
            let oldFailed = try await self.message(store, account: account, status: .failed, age: 100 * day)
            let oldQueued = try await self.message(store, account: account, status: .queued, age: 100 * day)
            let newDelivered = try await self.message(store, account: account, status: .delivered, age: day)
            let inbound = IncomingPart(
                connector: "main",
                source: "447700900123",
                destination: "7726",
                dataCoding: .smscDefault,
                userData: try GSM7.septets(from: "old"),
                concatenation: nil
            )
            _ = try await store.storeInbound(inbound, accountID: account, dedupeWindow: 0)
            try await store.client.query("UPDATE inbound_messages SET received_at = now() - interval '100 days'")

            // Webhook deliveries: ended and old (goes), pending and old (stays), ended and recent (stays).
            for (status, age) in [
                ("delivered", 100 * day), ("dead", 100 * day), ("pending", 100 * day), ("delivered", day),
            ] {
                let created = Date().addingTimeInterval(-age)
                try await store.client.query(
                    """
                    INSERT INTO webhook_deliveries (id, account_id, event_type, sequence, url, destination, payload, status, created_at)
                    VALUES (\(UUID()), \(account), 'webhook.test', 1, 'https://example.com/hook', 'example.com', '{}',
                        \(status)::webhook_status, \(created))
                    """
                )
            }

            let cutoff = Date().addingTimeInterval(-90 * day)
            let counted = try await store.purge(before: cutoff, dryRun: true)
            #expect(counted == PurgeResult(messages: 2, inboundMessages: 1, webhookDeliveries: 2))
            #expect(try await store.message(id: oldDelivered, accountID: account) != nil, "a dry run deletes nothing")

            // Small batches: the loop must run until nothing is left.
            let purged = try await store.purge(before: cutoff, batchSize: 1)
            #expect(purged == PurgeResult(messages: 2, inboundMessages: 1, webhookDeliveries: 2))
            let left = try await store.client.query("SELECT status::text FROM webhook_deliveries ORDER BY status::text")
            var statuses: [String] = []
            for try await status in left.decode(String.self) { statuses.append(status) }
            #expect(statuses == ["delivered", "pending"])
            for id in [oldDelivered, oldFailed] {
                #expect(try await store.message(id: id, accountID: account) == nil)
                #expect(try await self.count(store, "message_parts", message: id) == 0)
                #expect(try await self.count(store, "receipts", message: id) == 0)
            }
            // Still waiting to be sent, however old: kept. Recent: kept.
            #expect(try await store.message(id: oldQueued, accountID: account)?.status == .queued)
            #expect(try await store.message(id: newDelivered, accountID: account)?.status == .delivered)
            #expect(try await store.purge(before: cutoff) == PurgeResult())
        }
    }
}
