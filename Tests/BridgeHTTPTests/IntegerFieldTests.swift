import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import BridgeHTTP

/// A JSON number an integer field cannot hold — not an integer, or too large — is an invalid field
/// named by its path, never "not valid JSON": Foundation's decoder reports it without a path, as
/// if the JSON were malformed.
@Suite(.timeLimit(.minutes(1))) struct IntegerFieldTests {
    /// Checks a 400 `invalid-field` naming `field` with `code`; returns the problem.
    @discardableResult
    private func expectInvalidField(
        _ response: TestResponse,
        field: String,
        code: String,
        detail: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> Components.Schemas.Problem {
        #expect(response.status == .badRequest, "\(response.text)", sourceLocation: sourceLocation)
        let problem = try response.problem()
        #expect(problem._type == "https://smsbridge.dev/problems/invalid-field", sourceLocation: sourceLocation)
        #expect(problem.field == field, "\(response.text)", sourceLocation: sourceLocation)
        #expect(problem.errors?.first?.field == field, sourceLocation: sourceLocation)
        #expect(problem.errors?.first?.code == code, "\(response.text)", sourceLocation: sourceLocation)
        #expect(problem.errors?.first?.detail == detail, "\(response.text)", sourceLocation: sourceLocation)
        #expect(problem.detail?.contains("JSON") == false, "\(response.text)", sourceLocation: sourceLocation)
        return problem
    }

    @Test func aFractionInAnIntegerFieldIsAnInvalidType() async throws {
        try await withAPI { api in
            for number in ["1.5", "-1.5", "60.25", "6.05e1", "1e-3"] {
                let response = try await api.send(
                    #"{"to":"+447700900123","from":"Shop","text":"x","validity":\#(number)}"#
                )
                try self.expectInvalidField(
                    response,
                    field: "validity",
                    code: "invalid_type",
                    detail: "must be an integer"
                )
            }
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 1, after: nil).isEmpty
            )
        }
    }

    @Test func anIntegerOutsideTheTypeIsOutOfRange() async throws {
        try await withAPI { api in
            for (number, detail) in [
                ("99999999999999999999999", "is too large"), ("9223372036854775808", "is too large"),
                ("-99999999999999999999999", "is too small"), ("1.5e30", "is too large"),
            ] {
                let response = try await api.send(
                    #"{"to":"+447700900123","from":"Shop","text":"x","validity":\#(number)}"#
                )
                try self.expectInvalidField(response, field: "validity", code: "out_of_range", detail: detail)
            }
        }
    }

    @Test func aNumberBeyondADoubleMakesTheBodyUnreadableAndIsNamed() async throws {
        try await withAPI { api in
            let response = try await api.send(#"{"to":"+447700900123","from":"Shop","text":"x","validity":1e400}"#)
            #expect(response.status == .badRequest)
            let problem = try response.problem()
            #expect(problem._type == "https://smsbridge.dev/problems/malformed-body")
            #expect(problem.detail?.contains("1e400") == true, "\(response.text)")
            #expect(problem.detail?.contains("not valid JSON") == false, "\(response.text)")
        }
    }

    @Test func integersWrittenWithAFractionOrExponentAreRead() async throws {
        try await withAPI { api in
            let response = try await api.send(messageJSON(extra: #""validity": 1.2e2"#))
            #expect(response.status == .accepted, "\(response.text)")
        }
    }

    @Test func inABatchTheItemsFieldIsNamedAndNothingIsStored() async throws {
        try await withAPI { api in
            let item = #"{"to":"+447700900123","from":"Shop","text":"x"}"#
            let bad = #"{"to":"+447700900123","from":"Shop","text":"x","validity":1.5}"#
            let huge = #"{"to":"+447700900123","from":"Shop","text":"x","validity":1e30}"#
            let response = try await api.request(
                .post,
                "/v1/messages/batch",
                json: #"{"messages":[\#(item),\#(item),\#(item),\#(bad),\#(huge)]}"#
            )
            let problem = try self.expectInvalidField(
                response,
                field: "messages[3].validity",
                code: "invalid_type",
                detail: "must be an integer"
            )
            #expect(problem.errors?.map(\.field) == ["messages[3].validity", "messages[4].validity"])
            #expect(problem.errors?.last?.code == "out_of_range")
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 1, after: nil).isEmpty
            )
        }
    }

    @Test func theOverlapOfASecretRotation() async throws {
        try await withAPI { api in
            let before = try await api.store.webhookSettings(accountID: api.account.id).secret
            for (json, code, detail) in [
                (#"{"overlap_seconds":1.5}"#, "invalid_type", "must be an integer"),
                (#"{"overlap_seconds":99999999999999999999999}"#, "out_of_range", "is too large"),
            ] {
                let response = try await api.request(.post, "/v1/account/webhooks/secret/rotate", json: json)
                try self.expectInvalidField(response, field: "overlap_seconds", code: code, detail: detail)
            }
            #expect(try await api.store.webhookSettings(accountID: api.account.id).secret == before)
        }
    }

    /// Numbers in fields that are not integers, or in unknown fields, are not blamed on the number.
    @Test func otherFieldsKeepTheirOwnProblems() async throws {
        try await withAPI { api in
            let string = try await api.send(#"{"to":1.5,"from":"Shop","text":"x"}"#)
            try self.expectInvalidField(string, field: "to", code: "invalid_type", detail: "must be a string")
            let unknown = try await api.send(messageJSON(extra: #""ttl": 1.5"#))
            #expect(try unknown.problem().errors?.map(\.code) == ["unknown_field"])
            let both = try await api.send(messageJSON(extra: #""ttl": 1.5, "validity": 2.5"#))
            try self.expectInvalidField(both, field: "validity", code: "invalid_type", detail: "must be an integer")
            #expect(try both.problem().errors?.count == 1)
            // Malformed JSON is still malformed.
            let malformed = try await api.send(#"{"to":"+447700900123","validity":1.5"#)
            #expect(try malformed.problem()._type == "https://smsbridge.dev/problems/malformed-body")
        }
    }

    // MARK: Finding the numbers

    @Test func everyNumberIsFoundWithItsPath() throws {
        let text = #" {"a": [1, {"b\"c": -2.5e3}], "d\u00e9": 0, "e": "7", "f": [[3]], "g": true, "h": null} "#
        let numbers = try #require(RequestProblems.numbers(in: Array(text.utf8)))
        #expect(numbers.map { RequestProblems.path($0.path) } == ["a[0]", #"a[1].b"c"#, "dé", "f[0][0]"])
        #expect(numbers.map(\.literal) == ["1", "-2500.0", "0", "3"])
    }

    @Test func aBodyFoundationCannotReadHasNoNumbers() {
        for text in [#"{"a": 1"#, #"{"a": 1.}"#, #"{a: 1}"#, #"{"a": 1e400}"#, ""] {
            #expect(RequestProblems.numbers(in: Array(text.utf8)) == nil, "\(text)")
        }
    }

    @Test func integerProblemsOfLiterals() {
        #expect(RequestProblems.integerProblem("1", as: Int.self) == nil)
        #expect(RequestProblems.integerProblem("-0", as: Int.self) == nil)
        #expect(RequestProblems.integerProblem("1.0", as: Int.self) == nil)
        #expect(RequestProblems.integerProblem("1.5E1", as: Int.self) == nil)
        #expect(RequestProblems.integerProblem("9223372036854775807", as: Int.self) == nil)
        #expect(RequestProblems.integerProblem("1.5", as: Int.self)?.code == "invalid_type")
        #expect(RequestProblems.integerProblem("9223372036854775808", as: Int.self)?.code == "out_of_range")
        #expect(RequestProblems.integerProblem("128", as: Int8.self)?.code == "out_of_range")
        #expect(RequestProblems.integerProblem("-129", as: Int8.self)?.detail == "is too small")
    }
}
