import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import PostgresNIO
import SMPP
import Testing

@Suite(.timeLimit(.minutes(1))) struct StatisticsTests {
    private func reltuples(_ store: PostgresStore, _ table: String) async throws -> Double {
        let rows = try await store.client.query("SELECT reltuples::float8 FROM pg_class WHERE relname = \(table)")
        for try await value in rows.decode(Double.self) { return value }
        return -1
    }

    /// The store's prepared statements keep a plan made from the statistics of the moment; a
    /// table that doubled since they were gathered is analyzed again, and only then.
    @Test func tablesThatDoubledAreAnalyzedOnce() async throws {
        try await withStore { store in
            #expect(try await store.refreshStatistics().isEmpty, "empty tables are left alone")
            let account = try await store.createAccount(name: "acme").account.id
            let validator = MessageValidator(
                policy: MessagePolicy(),
                router: MessageRouter(defaultConnector: "main"),
                builders: ["main": SubmitBuilder()]
            )
            let messages = try (0..<1_200).map { _ in
                try validator.validate(
                    SendRequest(to: "447700900123", from: "Shop", text: "hello"),
                    accountID: account,
                    now: Date()
                ).get()
            }
            try await store.insert(messages)

            // The sizes on disk are current at once (the server's row counts would lag a second).
            let analyzed = try await store.refreshStatistics()
            #expect(Set(analyzed).isSuperset(of: ["messages", "message_parts", "message_queue"]))
            #expect(try await self.reltuples(store, "messages") == 1_200)
            #expect(try await self.reltuples(store, "message_parts") == 1_200)
            #expect(try await store.refreshStatistics().isEmpty, "analyzed tables have not grown since")
        }
    }
}
