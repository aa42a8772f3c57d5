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

@Suite(.timeLimit(.minutes(1))) struct MessageReadTests {
    @Test func aMessageShowsItsPartsReceiptsErrorAndTimes() async throws {
        try await withAPI { api in
            let sent = try await api.send(messageJSON(text: String(repeating: "0123456789", count: 20)))
                .decode(Components.Schemas.Message.self)
            let id = try #require(UUID(uuidString: sent.id))
            // What the dispatcher and the receipt intake write.
            try await api.store.client.query(
                """
                UPDATE message_parts SET status = 'submitted', smsc_message_id = 'smsc-' || part_number, submitted_at = now()
                WHERE message_id = \(id)
                """
            )
            try await api.store.client.query(
                "UPDATE message_parts SET status = 'undelivered', done_at = now(), error_code = 11 WHERE message_id = \(id) AND part_number = 2"
            )
            try await api.store.client.query(
                """
                INSERT INTO receipts (connector, smsc_message_id, id_keys, message_id, part_number, stat, state, error_code, network_error)
                VALUES ('main', 'smsc-2', '{smsc-2}', \(id), 2, 'UNDELIV', 'undelivered', '011', 65547)
                """
            )
            try await api.store.client.query(
                """
                UPDATE messages SET status = 'undelivered', sent_at = now(), done_at = now(), error_code = 11,
                    error_description = 'absent subscriber' WHERE id = \(id)
                """
            )

            let response = try await api.request(.get, "/v1/messages/\(sent.id)")
            #expect(response.status == .ok)
            let message = try response.decode(Components.Schemas.Message.self)
            #expect(message.status == .undelivered)
            #expect(message.errorCode == 11)
            #expect(message.errorDescription == "absent subscriber")
            #expect(message.sentAt != nil)
            #expect(message.doneAt != nil)
            let parts = try #require(message.parts)
            #expect(parts.map(\.smscMessageId) == ["smsc-1", "smsc-2"])
            #expect(parts.map(\.status) == ["submitted", "undelivered"])
            #expect(parts[1].errorCode == 11)
            #expect(parts[0].submittedAt != nil)
            let receipts = try #require(message.receipts)
            #expect(receipts.count == 1)
            #expect(receipts.first?.partNumber == 2)
            #expect(receipts.first?.stat == "UNDELIV")
            #expect(receipts.first?.state == "undelivered")
            #expect(receipts.first?.errorCode == "011")
            #expect(receipts.first?.networkError == 65547)
            #expect(receipts.first?.intermediate == false)
        }
    }

    @Test func unknownAndMalformedIDsAreNotFound() async throws {
        try await withAPI { api in
            for path in [
                "/v1/messages/\(UUID().uuidString)", "/v1/messages/not-an-id", "/v1/inbound/\(UUID())", "/v1/inbound/x",
            ] {
                let response = try await api.request(.get, path)
                #expect(response.status == .notFound, "\(path)")
                #expect(try response.problem()._type == "https://smsbridge.dev/problems/not-found")
            }
            let cancel = try await api.request(.delete, "/v1/messages/\(UUID())")
            #expect(cancel.status == .notFound)
        }
    }

    @Test func queuedAndScheduledMessagesCanBeCanceledSentOnesCannot() async throws {
        try await withAPI { api in
            let queued = try await api.send(messageJSON()).decode(Components.Schemas.Message.self)
            let canceled = try await api.request(.delete, "/v1/messages/\(queued.id)")
            #expect(canceled.status == .ok, "\(canceled.text)")
            let message = try canceled.decode(Components.Schemas.Message.self)
            #expect(message.status == .canceled)
            #expect(message.doneAt != nil)
            #expect(
                try await api.store.message(id: UUID(uuidString: queued.id)!, accountID: api.account.id)?.status
                    == .canceled
            )

            // Again (a retry after a lost answer, say): the same answer, nothing changes.
            let again = try await api.request(.delete, "/v1/messages/\(queued.id)")
            #expect(again.status == .ok, "\(again.text)")
            let twice = try again.decode(Components.Schemas.Message.self)
            #expect(twice.status == .canceled && twice.doneAt == message.doneAt)

            let later = try APIDateTranscoder().encode(Date().addingTimeInterval(3600))
            let scheduled = try await api.send(messageJSON(extra: #""send_at": "\#(later)""#))
                .decode(Components.Schemas.Message.self)
            #expect(try await api.request(.delete, "/v1/messages/\(scheduled.id)").status == .ok)

            let sent = try await api.send(messageJSON()).decode(Components.Schemas.Message.self)
            try await api.store.client.query(
                "UPDATE messages SET status = 'sent' WHERE id = \(UUID(uuidString: sent.id)!)"
            )
            let refused = try await api.request(.delete, "/v1/messages/\(sent.id)")
            #expect(refused.status == .conflict)
            #expect(try refused.problem().detail?.contains("sent") == true)
            #expect(
                try await api.store.message(id: UUID(uuidString: sent.id)!, accountID: api.account.id)?.status == .sent
            )
        }
    }

    @Test func listingsPageThroughEveryMessageNewestFirst() async throws {
        try await withAPI { api in
            var ids: [String] = []
            for index in 0..<7 {
                ids.append(
                    try await api.send(messageJSON(text: "m\(index)")).decode(Components.Schemas.Message.self).id
                )
            }
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/messages?limit=3" + (cursor.map { "&cursor=\($0)" } ?? "")
                let response = try await api.request(.get, uri)
                #expect(response.status == .ok, "\(response.text)")
                let page = try response.decode(Components.Schemas.MessageList.self)
                #expect(
                    page.data.allSatisfy { $0.parts == nil && $0.receipts == nil },
                    "listings omit parts and receipts"
                )
                seen += page.data.map(\.id)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(pages == 3)
            #expect(seen == ids.reversed())

            let exact = try await api.request(.get, "/v1/messages?limit=7").decode(Components.Schemas.MessageList.self)
            #expect(exact.data.count == 7)
            #expect(exact.nextCursor == nil, "no next cursor when the page holds the rest")
            let all = try await api.request(.get, "/v1/messages").decode(Components.Schemas.MessageList.self)
            #expect(all.data.count == 7)
        }
    }

    @Test func listingsFilter() async throws {
        try await withAPI { api in
            let first = try await api.send(messageJSON(to: "+447700900001", extra: #""client_ref": "a""#))
                .decode(Components.Schemas.Message.self)
            try await Task.sleep(for: .milliseconds(20))
            let second = try await api.send(messageJSON(to: "447700900002", extra: #""client_ref": "b""#))
                .decode(Components.Schemas.Message.self)
            try await Task.sleep(for: .milliseconds(20))
            let third = try await api.send(messageJSON(to: "447700900002", extra: #""client_ref": "a""#))
                .decode(Components.Schemas.Message.self)
            _ = try await api.request(.delete, "/v1/messages/\(third.id)")

            func list(_ query: String) async throws -> [String] {
                let response = try await api.request(.get, "/v1/messages?\(query)")
                #expect(response.status == .ok, "\(query): \(response.text)")
                return try response.decode(Components.Schemas.MessageList.self).data.map(\.id)
            }
            #expect(try await list("status=canceled") == [third.id])
            #expect(try await list("status=queued") == [second.id, first.id])
            #expect(try await list("to=447700900002") == [third.id, second.id])
            #expect(try await list("to=%2B447700900001") == [first.id])
            #expect(try await list("to=+447700900001") == [first.id], "a + that form decoding made a space")
            #expect(try await list("client_ref=a") == [third.id, first.id])
            #expect(try await list("client_ref=a&status=queued") == [first.id])
            let since = try APIDateTranscoder().encode(second.createdAt)
            #expect(try await list("created_since=\(since)") == [third.id, second.id])
            #expect(try await list("created_until=\(since)") == [first.id])
            #expect(try await list("created_since=\(since)&created_until=\(since)").isEmpty)
        }
    }

    @Test func anotherAccountSeesNothing() async throws {
        try await withAPI { api in
            let message = try await api.send(messageJSON()).decode(Components.Schemas.Message.self)
            let (_, otherKey) = try await api.otherAccount()
            let read = try await api.request(.get, "/v1/messages/\(message.id)", key: otherKey)
            #expect(read.status == .notFound, "never 403")
            #expect(try read.problem()._type == "https://smsbridge.dev/problems/not-found")
            let list = try await api.request(.get, "/v1/messages", key: otherKey)
            #expect(try list.decode(Components.Schemas.MessageList.self).data.isEmpty)
            let cancel = try await api.request(.delete, "/v1/messages/\(message.id)", key: otherKey)
            #expect(cancel.status == .notFound)
            #expect(
                try await api.store.message(id: UUID(uuidString: message.id)!, accountID: api.account.id)?.status
                    == .queued,
                "untouched"
            )
            // The owner still sees it.
            #expect(try await api.request(.get, "/v1/messages/\(message.id)").status == .ok)
        }
    }
}
