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

/// Bad input never gets a 500: each case is a 4xx problem that names the field.
@Suite(.timeLimit(.minutes(1))) struct BadInputTests {
    /// Checks status, content type, problem type and field; returns the problem.
    @discardableResult
    private func expectProblem(
        _ response: TestResponse,
        _ status: HTTPResponse.Status,
        type: String,
        field: String?,
        code: String? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Components.Schemas.Problem {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/problem+json", sourceLocation: sourceLocation)
        let problem = try response.decode(Components.Schemas.Problem.self)
        #expect(problem._type == "https://smsbridge.dev/problems/\(type)", sourceLocation: sourceLocation)
        #expect(problem.status == status.code, sourceLocation: sourceLocation)
        #expect(problem.field == field, sourceLocation: sourceLocation)
        if let code { #expect(problem.errors?.first?.code == code, sourceLocation: sourceLocation) }
        if let field { #expect(problem.errors?.first?.field == field, sourceLocation: sourceLocation) }
        return problem
    }

    private func expectNothingStored(_ api: APIHarness) async throws {
        #expect(try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 1, after: nil).isEmpty)
    }

    @Test func malformedJSON() async throws {
        try await withAPI { api in
            let problem = try self.expectProblem(
                try await api.send(#"{"to": "+447700900123", "from": "Shop", "text": "Hel"#),
                .badRequest,
                type: "malformed-body",
                field: "$",
                code: "malformed_json"
            )
            #expect(problem.detail?.contains("not valid JSON") == true)
            try await self.expectNothingStored(api)
        }
    }

    @Test func invalidUTF8() async throws {
        try await withAPI { api in
            let body =
                Array(#"{"to": "+447700900123", "from": "Shop", "text": "caf"#.utf8) + [0xE9] + Array(#""}"#.utf8)
            let response = try await api.request(.post, "/v1/messages", body: body)
            try self.expectProblem(response, .badRequest, type: "malformed-body", field: "$", code: "invalid_utf8")
            try await self.expectNothingStored(api)
        }
    }

    @Test func aValueOfTheWrongType() async throws {
        try await withAPI { api in
            let problem = try self.expectProblem(
                try await api.send(#"{"to": 447700900123, "from": "Shop", "text": "x"}"#),
                .badRequest,
                type: "invalid-field",
                field: "to",
                code: "invalid_type"
            )
            #expect(problem.errors?.first?.detail == "must be a string")
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""validity": "soon""#)),
                .badRequest,
                type: "invalid-field",
                field: "validity",
                code: "invalid_type"
            )
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""tags": ["a", 2]"#)),
                .badRequest,
                type: "invalid-field",
                field: "tags[1]",
                code: "invalid_type"
            )
            try self.expectProblem(
                try await api.send(#"[1, 2]"#),
                .badRequest,
                type: "invalid-field",
                field: "$",
                code: "invalid_type"
            )
            try await self.expectNothingStored(api)
        }
    }

    @Test func aValueOutsideAnEnumeration() async throws {
        try await withAPI { api in
            let problem = try self.expectProblem(
                try await api.send(messageJSON(extra: #""encoding": "klingon""#)),
                .badRequest,
                type: "invalid-field",
                field: "encoding",
                code: "invalid"
            )
            #expect(problem.errors?.first?.detail == "must be one of auto, gsm7, ucs2, latin1, binary")
        }
    }

    @Test func anUnreadableDate() async throws {
        try await withAPI { api in
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""send_at": "tomorrow""#)),
                .badRequest,
                type: "invalid-field",
                field: "send_at",
                code: "invalid_date"
            )
            let batch = #"{"messages": [\#(messageJSON()), \#(messageJSON(extra: #""send_at": "31/01/2025""#))]}"#
            try self.expectProblem(
                try await api.request(.post, "/v1/messages/batch", json: batch),
                .badRequest,
                type: "invalid-field",
                field: "messages[1].send_at",
                code: "invalid_date"
            )
            // A date that does not exist is not rolled over to one that does.
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""send_at": "2026-02-30T00:00:00Z""#)),
                .badRequest,
                type: "invalid-field",
                field: "send_at",
                code: "invalid_date"
            )
            try await self.expectNothingStored(api)
        }
    }

    /// PostgreSQL text cannot hold U+0000: refused on its field (it was a 500), in a batch item by item.
    @Test func aNulCharacterIsRefusedOnItsField() async throws {
        try await withAPI { api in
            try self.expectProblem(
                try await api.send(#"{"to": "+447700900123", "from": "Shop", "text": "a\u0000b"}"#),
                .badRequest,
                type: "invalid-field",
                field: "text",
                code: "invalid_character"
            )
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""client_ref": "x\u0000""#)),
                .badRequest,
                type: "invalid-field",
                field: "client_ref",
                code: "invalid_character"
            )
            try await self.expectNothingStored(api)
            let batch = #"{"messages": [\#(messageJSON()), \#(messageJSON(extra: #""tags": ["a\u0000"]"#))]}"#
            let response = try await api.request(.post, "/v1/messages/batch", json: batch)
            #expect(response.status.code == 207, "\(response.text)")
            let results = try response.decode(Components.Schemas.BatchResponse.self)
            #expect(results.accepted == 1)
            #expect(results.results.map(\.status) == [202, 400])
            #expect(results.results[1].problem?.errors?.first?.field == "messages[1].tags[0]")
        }
    }

    @Test func missingFields() async throws {
        try await withAPI { api in
            let problem = try self.expectProblem(
                try await api.send(#"{}"#),
                .badRequest,
                type: "invalid-field",
                field: "to",
                code: "required"
            )
            #expect(problem.errors?.map(\.field) == ["to", "from", "text"])
            // null is as good as missing.
            try self.expectProblem(
                try await api.send(#"{"to": null, "from": "Shop", "text": "x"}"#),
                .badRequest,
                type: "invalid-field",
                field: "to",
                code: "required"
            )
            // A batch without its list.
            try self.expectProblem(
                try await api.request(.post, "/v1/messages/batch", json: #"{}"#),
                .badRequest,
                type: "invalid-field",
                field: "messages",
                code: "required"
            )
            // No body at all.
            try self.expectProblem(
                try await api.request(.post, "/v1/messages", headers: [.contentType: "application/json"]),
                .badRequest,
                type: "malformed-body",
                field: "$",
                code: "required"
            )
            try await self.expectNothingStored(api)
        }
    }

    @Test func unknownFieldsAreNamed() async throws {
        try await withAPI { api in
            let problem = try self.expectProblem(
                try await api.send(messageJSON(extra: #""sender": "x", "colour": "red""#)),
                .badRequest,
                type: "invalid-field",
                field: "colour",
                code: "unknown_field"
            )
            #expect(problem.errors?.map(\.field) == ["colour", "sender"])
            let batch =
                #"{"messages": [\#(messageJSON(extra: #""a": 1"#)), \#(messageJSON()), \#(messageJSON(extra: #""b": 2"#))], "c": 3}"#
            let nested = try self.expectProblem(
                try await api.request(.post, "/v1/messages/batch", json: batch),
                .badRequest,
                type: "invalid-field",
                field: "c",
                code: "unknown_field"
            )
            #expect(nested.errors?.map(\.field) == ["c", "messages[0].a", "messages[2].b"])
            try await self.expectNothingStored(api)
        }
    }

    @Test func aFieldGivenTwiceIsRefused() async throws {
        // Readers disagree on which value counts (Foundation the first, most proxies the last).
        try await withAPI { api in
            try self.expectProblem(
                try await api.send(messageJSON(extra: #""to": "+33612345678""#)),
                .badRequest,
                type: "invalid-field",
                field: "to",
                code: "duplicate_field"
            )
            // Inside a batch's item, and written with an escape.
            let batch = #"{"messages": [\#(messageJSON()), \#(messageJSON(extra: #""t\u0065xt": "other""#))]}"#
            try self.expectProblem(
                try await api.request(.post, "/v1/messages/batch", json: batch),
                .badRequest,
                type: "invalid-field",
                field: "messages[1].text",
                code: "duplicate_field"
            )
            try await self.expectNothingStored(api)
            // The same name in different objects is no duplicate.
            let twoItems = #"{"messages": [\#(messageJSON()), \#(messageJSON())]}"#
            #expect(try await api.request(.post, "/v1/messages/batch", json: twoItems).status == .multiStatus)
        }
    }

    @Test func anOversizedBody() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumBodySize = 2048
        try await withAPI(configuration: configuration) { api in
            let large = messageJSON(text: String(repeating: "x", count: 3000))
            // Without Content-Length (streamed) and with it (refused before reading).
            try self.expectProblem(try await api.send(large), .contentTooLarge, type: "body-too-large", field: "$")
            try self.expectProblem(
                try await api.send(large, headers: [.contentLength: "\(large.utf8.count)"]),
                .contentTooLarge,
                type: "body-too-large",
                field: "$"
            )
            #expect(try await api.send(messageJSON()).status == .accepted, "smaller bodies pass")
        }
    }

    @Test func theDefaultBodyLimitIsOneMebibyte() async throws {
        try await withAPI { api in
            let padding = String(repeating: "x", count: 1 << 20)
            let response = try await api.send(messageJSON(text: padding))
            try self.expectProblem(response, .contentTooLarge, type: "body-too-large", field: "$")
        }
    }

    @Test func badQueryParameters() async throws {
        try await withAPI { api in
            for (query, field) in [
                ("limit=abc", "limit"), ("limit=0", "limit"), ("limit=501", "limit"), ("status=lost", "status"),
                ("created_since=yesterday", "created_since"), ("created_until=2025-13-01", "created_until"),
                ("cursor=not-a-cursor", "cursor"), ("created_until=2026-02-30T00:00:00Z", "created_until"),
                ("client_ref=%00", "client_ref"), ("to=%00", "to"),
            ] {
                let response = try await api.request(.get, "/v1/messages?\(query)")
                try self.expectProblem(response, .badRequest, type: "invalid-field", field: field)
            }
            for (query, field) in [("limit=-1", "limit"), ("limit=x", "limit"), ("cursor=%%%", "cursor")] {
                let response = try await api.request(.get, "/v1/inbound?\(query)")
                try self.expectProblem(response, .badRequest, type: "invalid-field", field: field)
            }
        }
    }

    @Test func aBodyThatIsNotJSON() async throws {
        try await withAPI { api in
            let response = try await api.request(
                .post,
                "/v1/messages",
                json: "to=447700900123",
                headers: [.contentType: "application/x-www-form-urlencoded"]
            )
            try self.expectProblem(
                response,
                .unsupportedMediaType,
                type: "unsupported-media-type",
                field: "Content-Type"
            )
            try await self.expectNothingStored(api)
        }
    }

    @Test func anAcceptHeaderWithoutJSON() async throws {
        try await withAPI { api in
            let response = try await api.send(messageJSON(), headers: [.accept: "text/html"])
            try self.expectProblem(response, .notAcceptable, type: "not-acceptable", field: nil)
            try await self.expectNothingStored(api)
            // The success answer is application/json: a client that accepts only problems is told
            // so before anything is stored (the generated server would say it after the insert).
            for accept in ["application/problem+json", "application/json;q=0"] {
                let refused = try await api.send(messageJSON(), headers: [.accept: accept])
                try self.expectProblem(refused, .notAcceptable, type: "not-acceptable", field: nil)
                try await self.expectNothingStored(api)
            }
            #expect(
                try await api.send(messageJSON(), headers: [.accept: "text/html, application/*;q=0.5"]).status
                    == .accepted
            )
        }
    }
}
