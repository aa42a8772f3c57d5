import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct BatchTests {
    @Test func validItemsAreStoredAndInvalidOnesGetTheirOwnProblem() async throws {
        try await withAPI { api in
            let body = """
                {"messages": [
                    \(messageJSON(text: "first", extra: #""client_ref": "order-1""#)),
                    \(messageJSON(to: "not a number", text: "second")),
                    \(messageJSON(text: String(repeating: "Ж", count: 71))),
                    {"to": "447700900123"}
                ]}
                """
            let response = try await api.request(.post, "/v1/messages/batch", json: body)
            #expect(response.status == .multiStatus, "\(response.text)")
            let batch = try response.decode(Components.Schemas.BatchResponse.self)
            #expect(batch.accepted == 2)
            #expect(batch.rejected == 2)
            #expect(batch.results.map(\.index) == [0, 1, 2, 3])
            #expect(batch.results.map(\.status) == [202, 400, 202, 400])
            #expect(batch.results[0].message?.status == .queued)
            #expect(batch.results[0].message?.clientRef == "order-1")
            #expect(batch.results[0].message?.partCount == 1)
            #expect(batch.results[0].message?.encoding == "gsm7")
            #expect(batch.results[2].message?.clientRef == nil)
            #expect(batch.results[2].message?.partCount == 2)
            #expect(batch.results[2].message?.encoding == "ucs2")
            // An accepted item says how to follow the message, not the request back.
            #expect(!response.text.contains("\"text\""))
            let invalid = try #require(batch.results[1].problem)
            #expect(invalid._type == "https://smsbridge.dev/problems/invalid-field")
            #expect(invalid.field == "messages[1].to")
            #expect(invalid.errors?.first?.code == "invalid_number")
            #expect(batch.results[3].problem?.errors?.map(\.field) == ["messages[3].from", "messages[3].text"])
            #expect(batch.results[1].message == nil)

            // Both valid ones are stored, in the order of the batch (newest first in listings).
            let stored = try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil)
            #expect(
                stored.map(\.id.uuidString).map { $0.lowercased() } == [
                    batch.results[2].message?.id, batch.results[0].message?.id,
                ]
            )
        }
    }

    @Test func aBatchWithNoValidItemIsAnsweredAndStoresNothing() async throws {
        try await withAPI { api in
            let response = try await api.request(
                .post,
                "/v1/messages/batch",
                json: #"{"messages": [{"to": "x", "from": "Shop", "text": "a"}]}"#
            )
            #expect(response.status == .multiStatus)
            let batch = try response.decode(Components.Schemas.BatchResponse.self)
            #expect(batch.accepted == 0)
            #expect(batch.results.first?.problem?.field == "messages[0].to")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).isEmpty
            )
        }
    }

    @Test func batchSizeIsOneToAThousand() async throws {
        try await withAPI { api in
            let empty = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": []}"#)
            #expect(empty.status == .badRequest)
            #expect(try empty.problem().field == "messages")

            let item = #"{"to": "447700900123", "from": "Shop", "text": "x"}"#
            let tooMany = Array(repeating: item, count: 1001).joined(separator: ",")
            let response = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(tooMany)]}"#)
            #expect(response.status == .badRequest)
            let problem = try response.problem()
            #expect(problem.field == "messages")
            #expect(problem.errors?.first?.code == "too_many")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).isEmpty
            )

            let thousand = Array(repeating: item, count: 1000).joined(separator: ",")
            let full = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(thousand)]}"#)
            #expect(full.status == .multiStatus)
            #expect(try full.decode(Components.Schemas.BatchResponse.self).accepted == 1000)
        }
    }

    @Test func aStructuralErrorRefusesTheWholeBatch() async throws {
        try await withAPI { api in
            let response = try await api.request(
                .post,
                "/v1/messages/batch",
                json: #"{"messages": [\#(messageJSON()), {"to": 447700900123, "from": "Shop", "text": "x"}]}"#
            )
            #expect(response.status == .badRequest)
            let problem = try response.problem()
            #expect(problem.field == "messages[1].to")
            #expect(problem.errors?.first?.code == "invalid_type")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).isEmpty
            )
        }
    }
}
