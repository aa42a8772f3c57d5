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

@Suite(.timeLimit(.minutes(1))) struct AuthenticationTests {
    private func expectUnauthorized(_ response: TestResponse, code: String, _ comment: Comment? = nil) throws {
        #expect(response.status == .unauthorized, comment)
        let challenge = try #require(response.headers[.wwwAuthenticate])
        #expect(challenge.hasPrefix("Bearer"))
        let problem = try response.problem()
        #expect(problem._type == "https://smsbridge.dev/problems/unauthorized")
        #expect(problem.field == "Authorization")
        #expect(problem.errors?.first?.code == code, comment)
    }

    @Test func aMissingKeyIsRefused() async throws {
        try await withAPI { api in
            let response = try await api.request(.get, "/v1/messages", key: .some(nil))
            try self.expectUnauthorized(response, code: "missing")
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="smsbridge""#)
        }
    }

    @Test func aMalformedHeaderIsRefused() async throws {
        try await withAPI { api in
            for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer a b", api.key] {
                let response = try await api.request(
                    .post,
                    "/v1/messages",
                    json: messageJSON(),
                    headers: [.authorization: header],
                    key: .some(nil)
                )
                try self.expectUnauthorized(response, code: "malformed", "\(header)")
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_request""#) == true)
            }
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 1, after: nil).isEmpty
            )
        }
    }

    @Test func anUnknownKeyIsRefused() async throws {
        try await withAPI { api in
            for key in ["sbk_" + String(repeating: "0", count: 40), "nonsense"] {
                let response = try await api.request(.get, "/v1/messages", key: key)
                try self.expectUnauthorized(response, code: "invalid_token", "\(key)")
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="invalid_token""#) == true)
            }
        }
    }

    @Test func aRevokedKeyIsRefusedOnceTheCacheForgetsIt() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.authenticationCacheTTL = .zero
        try await withAPI(configuration: configuration) { api in
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
            try await api.store.revokeAPIKey(prefix: String(api.key.prefix(12)))
            try self.expectUnauthorized(try await api.request(.get, "/v1/messages"), code: "invalid_token")
        }
    }

    @Test func aRevokedKeyWorksUntilItsCacheEntryExpires() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.authenticationCacheTTL = .seconds(60)
        try await withAPI(configuration: configuration) { api in
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
            try await api.store.revokeAPIKey(prefix: String(api.key.prefix(12)))
            #expect(try await api.request(.get, "/v1/messages").status == .ok, "cached for the time to live")
        }
    }

    @Test func everyOperationNeedsAKey() async throws {
        try await withAPI { api in
            let id = UUID().uuidString
            for (method, path) in [
                (HTTPRequest.Method.post, "/v1/messages"), (.get, "/v1/messages"), (.post, "/v1/messages/batch"),
                (.get, "/v1/messages/\(id)"), (.delete, "/v1/messages/\(id)"), (.get, "/v1/inbound"),
                (.get, "/v1/inbound/\(id)"),
            ] {
                let response = try await api.request(
                    method,
                    path,
                    json: method == .post ? messageJSON() : nil,
                    key: .some(nil)
                )
                #expect(response.status == .unauthorized, "\(method) \(path)")
            }
        }
    }
}
