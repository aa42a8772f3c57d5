import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct InboundTests {
    /// Stores a received message as the MO intake does.
    private func receive(
        _ api: APIHarness,
        account: UUID?,
        text: String? = nil,
        binary: [UInt8]? = nil,
        at date: Date = Date()
    ) async throws -> String {
        let id = UUID()
        let binaryBody = binary.map { ByteBuffer(bytes: $0) }
        try await api.store.client.query(
            """
            INSERT INTO inbound_messages (id, account_id, connector, source, destination, text, binary_body, data_coding,
                part_count, complete, received_at)
            VALUES (\(id), \(account), 'main', '447700900123', '447700900999', \(text), \(binaryBody),
                \(Int16(binary == nil ? 0 : 4)), 1, true, \(date))
            """
        )
        return id.uuidString.lowercased()
    }

    @Test func receivedMessagesAreListedAndRead() async throws {
        try await withAPI { api in
            let start = Date().addingTimeInterval(-60)
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(
                    try await self.receive(api, account: api.account.id, text: "mo\(index)", at: start + Double(index))
                )
            }
            let binary = try await self.receive(api, account: api.account.id, binary: [0xCA, 0xFE])

            let first = try await api.request(.get, "/v1/inbound?limit=4")
            #expect(first.status == .ok, "\(first.text)")
            let page = try first.decode(Components.Schemas.InboundList.self)
            #expect(page.data.map(\.id) == [binary] + ids.reversed().prefix(3))
            let cursor = try #require(page.nextCursor)
            let second = try await api.request(.get, "/v1/inbound?limit=4&cursor=\(cursor)")
                .decode(Components.Schemas.InboundList.self)
            #expect(second.data.map(\.id) == Array(ids.prefix(2).reversed()))
            #expect(second.nextCursor == nil)

            let read = try await api.request(.get, "/v1/inbound/\(ids[0])")
            #expect(read.status == .ok)
            let message = try read.decode(Components.Schemas.InboundMessage.self)
            #expect(message.text == "mo0")
            #expect(message.from == "447700900123")
            #expect(message.to == "447700900999")
            #expect(message.partCount == 1)
            #expect(message.complete)
            #expect(message.dataCoding == 0)
            let data = try await api.request(.get, "/v1/inbound/\(binary)").decode(
                Components.Schemas.InboundMessage.self
            )
            #expect(data.body == "yv4=")
            #expect(data.text == nil)
        }
    }

    @Test func receivedMessagesOfOthersAreNotFound() async throws {
        try await withAPI { api in
            let (other, otherKey) = try await api.otherAccount()
            let theirs = try await self.receive(api, account: other.id, text: "theirs")
            let nobodys = try await self.receive(api, account: nil, text: "unrouted")
            #expect(try await api.request(.get, "/v1/inbound/\(theirs)").status == .notFound)
            #expect(try await api.request(.get, "/v1/inbound/\(nobodys)").status == .notFound)
            #expect(try await api.request(.get, "/v1/inbound").decode(Components.Schemas.InboundList.self).data.isEmpty)
            #expect(try await api.request(.get, "/v1/inbound/\(theirs)", key: otherKey).status == .ok)
        }
    }
}
