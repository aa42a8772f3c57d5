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

    private func relpages(_ store: PostgresStore, _ table: String) async throws -> Int {
        let rows = try await store.client.query("SELECT relpages::int8 FROM pg_class WHERE relname = \(table)")
        for try await value in rows.decode(Int.self) { return value }
        return -1
    }

    private func messages(_ count: Int, for account: UUID) throws -> [AcceptedMessage] {
        try (0..<count).map { _ in
            try AcceptedMessages.make(SendRequest(to: "447700900123", from: "Shop", text: "hello"), account: account)
        }
    }

    /// The store's prepared statements keep a plan made from the statistics of the moment; a
    /// table that doubled since they were gathered is analyzed again, and only then.
    @Test func tablesThatDoubledAreAnalyzedOnce() async throws {
        try await withStore { store in
            #expect(try await store.refreshStatistics().isEmpty, "empty tables are left alone")
            let account = try await store.createAccount(name: "acme").account.id
            try await store.insert(try self.messages(1_200, for: account))

            // The sizes on disk are current at once (the server's row counts would lag a second).
            let analyzed = try await store.refreshStatistics()
            #expect(Set(analyzed).isSuperset(of: ["messages", "message_parts", "message_queue"]))
            #expect(try await self.reltuples(store, "messages") == 1_200)
            #expect(try await self.reltuples(store, "message_parts") == 1_200)
            #expect(try await store.refreshStatistics().isEmpty, "analyzed tables have not grown since")
        }
    }

    /// Once its statistics saw `settledPages` pages, a table's plans stay on indexes however it
    /// grows: it is left to autovacuum rather than sampled again at each doubling.
    @Test func settledTablesAreLeftToAutovacuum() async throws {
        try await withStore { store in
            let account = try await store.createAccount(name: "acme").account.id
            try await store.insert(try self.messages(600, for: account))
            #expect(try await store.refreshStatistics().contains("messages"))
            let pages = try await self.relpages(store, "messages")
            #expect(pages >= 4)

            try await store.insert(try self.messages(1_800, for: account))
            #expect(
                try await !store.refreshStatistics(settledPages: pages).contains("messages"),
                "the last analysis saw \(pages) pages: settled"
            )
            #expect(try await self.relpages(store, "messages") == pages)
            #expect(
                try await store.refreshStatistics(settledPages: pages + 1).contains("messages"),
                "below the bound, a table that doubled is analyzed again"
            )
            #expect(try await self.relpages(store, "messages") > 2 * pages)
        }
    }
}
