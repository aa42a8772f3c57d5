import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct SendMessageTests {
    @Test func acceptedMessageIsStoredBeforeTheAnswer() async throws {
        try await withAPI { api in
            let response = try await api.send(messageJSON(extra: #""client_ref": "order-1", "tags": ["otp"]"#))
            #expect(response.status == .accepted, "\(response.text)")
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            let message = try response.decode(Components.Schemas.Message.self)
            #expect(message.status == .queued)
            #expect(message.to == "+447700900123")
            #expect(message.from == "Shop")
            #expect(message.text == "Hello")
            #expect(message.encoding == "gsm7")
            #expect(message.partCount == 1)
            #expect(message.parts?.map(\.status) == ["pending"])
            #expect(message.clientRef == "order-1")
            #expect(message.tags == ["otp"])
            #expect(message.priority == .normal)
            #expect(message.requestReceipt)

            // Committed before the answer: the store has it already.
            let id = try #require(UUID(uuidString: message.id))
            let stored = try #require(try await api.store.message(id: id, accountID: api.account.id))
            #expect(stored.text == "Hello")
            #expect(stored.status == .queued)

            let read = try await api.request(.get, "/v1/messages/\(message.id)")
            #expect(read.status == .ok)
            #expect(try read.decode(Components.Schemas.Message.self).id == message.id)
        }
    }

    @Test func namesAreSnakeCase() async throws {
        try await withAPI { api in
            let response = try await api.send(
                messageJSON(extra: #""client_ref": "r", "callback_url": "https://example.com/hook", "validity": 3600"#)
            )
            let object = try response.object()
            for key in [
                "id", "status", "to", "from", "text", "encoding", "part_count", "parts", "client_ref", "callback_url",
                "tags", "priority", "request_receipt", "validity", "expires_at", "created_at", "updated_at",
            ] {
                #expect(object[key] != nil, "\(key) missing in \(response.text)")
            }
            #expect(object["callback_url"] as? String == "https://example.com/hook", "slashes are not escaped")
            #expect(object.keys.allSatisfy { $0 == $0.lowercased() })
            let created = try #require(object["created_at"] as? String)
            #expect(created.hasSuffix("Z") && created.contains("."), "RFC 3339 with milliseconds: \(created)")
        }
    }

    @Test func longTextIsSentInParts() async throws {
        try await withAPI { api in
            let text = String(repeating: "0123456789", count: 20)  // 200 GSM-7 characters: 2 parts of 153
            let response = try await api.send(messageJSON(text: text))
            #expect(response.status == .accepted)
            let message = try response.decode(Components.Schemas.Message.self)
            #expect(message.encoding == "gsm7")
            #expect(message.partCount == 2)
            #expect(message.parts?.map(\.partNumber) == [1, 2])
            let stored = try #require(
                try await api.store.message(id: UUID(uuidString: message.id)!, accountID: api.account.id)
            )
            #expect(stored.parts.count == 2)
        }
    }

    @Test func textOutsideGSMIsUCS2WithItsOwnPartSizes() async throws {
        try await withAPI { api in
            // 70 UCS-2 characters fit one SMS; 71 need two parts of 67.
            let single = try await api.send(messageJSON(text: String(repeating: "Ж", count: 70)))
            let message = try single.decode(Components.Schemas.Message.self)
            #expect(message.encoding == "ucs2")
            #expect(message.partCount == 1)
            let double = try await api.send(messageJSON(text: String(repeating: "Ж", count: 71)))
            #expect(try double.decode(Components.Schemas.Message.self).partCount == 2)
            let triple = try await api.send(messageJSON(text: String(repeating: "Ж", count: 135)))
            #expect(try triple.decode(Components.Schemas.Message.self).partCount == 3)
        }
    }

    @Test func binaryBodyIsSentAsData() async throws {
        try await withAPI { api in
            let response = try await api.send(
                #"{"to": "447700900123", "from": "Shop", "body": "AQID/w==", "encoding": "binary"}"#
            )
            #expect(response.status == .accepted, "\(response.text)")
            let message = try response.decode(Components.Schemas.Message.self)
            #expect(message.encoding == "binary")
            #expect(message.body == "AQID/w==")
            #expect(message.text == nil)
            let stored = try await api.store.message(id: UUID(uuidString: message.id)!, accountID: api.account.id)
            #expect(stored?.binaryBody == [1, 2, 3, 255])
        }
    }

    @Test func futureSendAtSchedulesTheMessage() async throws {
        try await withAPI { api in
            let sendAt = Date().addingTimeInterval(3600)
            let text = try APIDateTranscoder().encode(sendAt)
            let response = try await api.send(messageJSON(extra: #""send_at": "\#(text)", "priority": "urgent""#))
            #expect(response.status == .accepted, "\(response.text)")
            let message = try response.decode(Components.Schemas.Message.self)
            #expect(message.status == .scheduled)
            #expect(abs((message.sendAt ?? .distantPast).timeIntervalSince(sendAt)) < 0.002, "milliseconds")
            #expect(message.priority == .urgent)
            let read = try await api.request(.get, "/v1/messages/\(message.id)")
            #expect(try read.decode(Components.Schemas.Message.self).status == .scheduled)

            // A past send_at sends at once; an offset is read too.
            let past = try await api.send(messageJSON(extra: #""send_at": "2020-01-31T10:30:00+01:00""#))
            #expect(try past.decode(Components.Schemas.Message.self).status == .queued)
        }
    }

    /// A send_at comes back as written, to the millisecond, in the 202 and once stored: half of
    /// all milliseconds are a hair under their value as a Double, and came back one less.
    @Test func sendAtComesBackToTheMillisecond() async throws {
        try await withAPI { api in
            let day = Date().addingTimeInterval(30 * 86_400).formatted(.iso8601.year().month().day())
            for milliseconds in ["002", "123", "999", "500"] {
                let text = "\(day)T10:30:00.\(milliseconds)Z"
                let response = try await api.send(messageJSON(extra: #""send_at": "\#(text)""#))
                #expect(response.status == .accepted, "\(response.text)")
                #expect(response.text.contains(#""send_at":"\#(text)""#), "\(response.text)")
                let id = try response.decode(Components.Schemas.Message.self).id
                let read = try await api.request(.get, "/v1/messages/\(id)")
                #expect(read.text.contains(#""send_at":"\#(text)""#), "\(read.text)")
            }
        }
    }

    @Test func everyInvalidFieldIsReportedAtOnce() async throws {
        try await withAPI { api in
            let response = try await api.send(#"{"text": "", "validity": 5, "tags": [""]}"#)
            #expect(response.status == .badRequest)
            let problem = try response.problem()
            #expect(problem._type == "https://smsbridge.dev/problems/invalid-field")
            #expect(problem.status == 400)
            #expect(problem.field == "to")
            #expect(problem.errors?.map(\.field) == ["to", "from", "text", "validity", "tags[0]"])
            #expect(problem.errors?.first?.code == "required")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).isEmpty
            )
        }
    }

    @Test func theRequestLogNamesTheMessage() async throws {
        try await withAPI { api in
            let message = try await api.send(messageJSON()).decode(Components.Schemas.Message.self)
            // Ids in the log in lower case, however the client wrote them.
            _ = try await api.request(.get, "/v1/messages/\(message.id.uppercased())")
            let entries = api.logs.all.filter { $0.level == .debug }
            #expect(
                entries.contains {
                    $0.message == "message accepted" && $0.metadata["message.id"] == message.id
                        && $0.metadata["account.id"] == api.account.id.lowercased
                }
            )
            #expect(
                entries.contains {
                    $0.message == "request" && $0.metadata["message.id"] == message.id
                        && $0.metadata["http.status"] == "200" && $0.metadata["http.method"] == "GET"
                }
            )
            #expect(entries.contains { $0.message == "request" && $0.metadata["http.status"] == "202" })
        }
    }
}
