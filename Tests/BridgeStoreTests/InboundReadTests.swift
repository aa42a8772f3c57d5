import BridgeStore
import BridgeTestSupport
import Foundation
import NIOCore
import PostgresNIO
import Testing

@Suite(.timeLimit(.minutes(1))) struct InboundReadTests {
    /// Stores a received message the way MO intake does (no store method for that here).
    private func insertInbound(
        _ store: PostgresStore,
        account: UUID?,
        text: String? = nil,
        binary: [UInt8]? = nil,
        receivedAt: Date = Date()
    ) async throws -> UUID {
        let id = UUID()
        let binaryBody = binary.map { ByteBuffer(bytes: $0) }
        try await store.client.query(
            """
            INSERT INTO inbound_messages (id, account_id, connector, source, destination, text, binary_body, data_coding,
                part_count, complete, received_at)
            VALUES (\(id), \(account), 'main', '447700900123', '447700900999', \(text), \(binaryBody),
                \(Int16(binary == nil ? 0 : 4)), 1, true, \(receivedAt))
            """
        )
        return id
    }

    @Test func readsOneReceivedMessageOfItsAccountOnly() async throws {
        try await withStore { store in
            let (owner, _) = try await store.createAccount(name: "owner")
            let (other, _) = try await store.createAccount(name: "other")
            let textID = try await self.insertInbound(store, account: owner.id, text: "STOP")
            let binaryID = try await self.insertInbound(store, account: owner.id, binary: [0, 1, 0xFF])
            let unrouted = try await self.insertInbound(store, account: nil, text: "nobody's")

            let text = try #require(try await store.inboundMessage(id: textID, accountID: owner.id))
            #expect(text.text == "STOP")
            #expect(text.binaryBody == nil)
            #expect(text.from == "447700900123")
            #expect(text.to == "447700900999")
            #expect(text.connector == "main")
            #expect(text.accountID == owner.id)
            #expect(text.partCount == 1)
            #expect(text.complete)
            #expect(try await store.inboundMessage(id: binaryID, accountID: owner.id)?.binaryBody == [0, 1, 0xFF])
            #expect(try await store.inboundMessage(id: binaryID, accountID: owner.id)?.dataCoding == 4)

            #expect(try await store.inboundMessage(id: textID, accountID: other.id) == nil, "another account's")
            #expect(try await store.inboundMessage(id: unrouted, accountID: owner.id) == nil, "routed to no account")
            #expect(try await store.inboundMessage(id: UUID(), accountID: owner.id) == nil)
        }
    }

    @Test func listsNewestFirstInPages() async throws {
        try await withStore { store in
            let (owner, _) = try await store.createAccount(name: "owner")
            let (other, _) = try await store.createAccount(name: "other")
            let start = Date().addingTimeInterval(-100)
            for index in 0..<7 {
                _ = try await self.insertInbound(
                    store,
                    account: owner.id,
                    text: "mo\(index)",
                    receivedAt: start.addingTimeInterval(Double(index))
                )
            }
            _ = try await self.insertInbound(store, account: other.id, text: "other's")
            _ = try await self.insertInbound(store, account: nil, text: "nobody's")

            var seen: [String] = []
            var cursor: ListCursor?
            var pages = 0
            repeat {
                let page = try await store.inboundMessages(accountID: owner.id, limit: 3, after: cursor)
                pages += 1
                seen += page.compactMap(\.text)
                cursor =
                    page.count == 3
                    ? page.last.flatMap { ListCursor(token: ListCursor(createdAt: $0.receivedAt, id: $0.id).token) }
                    : nil
            } while cursor != nil
            #expect(seen == (0..<7).reversed().map { "mo\($0)" }, "newest first, each once")
            #expect(pages == 3)
            #expect(
                try await store.inboundMessages(accountID: other.id, limit: 10, after: nil).map(\.text) == ["other's"]
            )
        }
    }
}
