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

/// A path of the API asked with a method it does not have: `405` with `Allow` once authenticated,
/// `HEAD` answered as `GET` without the body, `OPTIONS` `204` with `Allow` (RFC 9110); extension
/// methods (`QUERY`) `405` too. Unknown paths stay `404`.
@Suite(.timeLimit(.minutes(1))) struct MethodTests {
    /// Checks a `405` problem and its `Allow` header.
    private func expectMethodNotAllowed(
        _ response: TestResponse,
        _ method: HTTPRequest.Method,
        _ path: String,
        allow: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(
            response.status == .methodNotAllowed,
            "\(method) \(path): \(response.text)",
            sourceLocation: sourceLocation
        )
        #expect(response.headers[.allow] == allow, "\(method) \(path)", sourceLocation: sourceLocation)
        guard method != .head else {
            #expect(response.body.readableBytes == 0, "a HEAD answer has no body", sourceLocation: sourceLocation)
            return
        }
        let problem = try response.problem()
        #expect(problem._type == "https://smsbridge.dev/problems/method-not-allowed", sourceLocation: sourceLocation)
        #expect(problem.status == 405, sourceLocation: sourceLocation)
        #expect(problem.title == "Method not allowed", sourceLocation: sourceLocation)
        #expect(
            problem.detail == "\(method.rawValue) is not a method of \(path); it has \(allow)",
            sourceLocation: sourceLocation
        )
    }

    @Test func methodsAPathDoesNotHaveAre405WithAllow() async throws {
        try await withAPI { api in
            let id = UUID().uuidString.lowercased()
            for (method, path, allow) in [
                (HTTPRequest.Method.put, "/v1/messages", "GET, HEAD, POST, OPTIONS"),
                (.patch, "/v1/messages", "GET, HEAD, POST, OPTIONS"),
                (.delete, "/v1/messages", "GET, HEAD, POST, OPTIONS"),
                (.trace, "/v1/messages", "GET, HEAD, POST, OPTIONS"),
                (.post, "/v1/messages/\(id)", "GET, HEAD, DELETE, OPTIONS"),
                (.put, "/v1/messages/\(id)", "GET, HEAD, DELETE, OPTIONS"),
                (.delete, "/v1/inbound", "GET, HEAD, OPTIONS"),
                (.post, "/v1/inbound", "GET, HEAD, OPTIONS"),
                (.delete, "/v1/inbound/\(id)", "GET, HEAD, OPTIONS"),
                (.get, "/v1/messages/batch", "POST, OPTIONS"),
                (.head, "/v1/messages/batch", "POST, OPTIONS"),
                (.post, "/v1/account/webhooks", "GET, HEAD, PUT, OPTIONS"),
                (.get, "/v1/account/webhooks/secret/rotate", "POST, OPTIONS"),
                (.delete, "/v1/webhooks/deliveries/\(id)/redeliver", "POST, OPTIONS"),
            ] {
                let hasBody = [.post, .put, .patch, .delete].contains(method)
                let response = try await api.request(method, path, json: hasBody ? "{}" : nil)
                try self.expectMethodNotAllowed(response, method, path, allow: allow)
            }
            // Nothing was sent or changed.
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 1, after: nil).isEmpty
            )
        }
    }

    /// Every path of `openapi/openapi.yaml` refuses every method it lacks, with an `Allow` made of the
    /// document's methods: a path or method added to the document is covered, or this fails.
    @Test func everyPathOfTheDocumentRefusesTheMethodsItLacks() async throws {
        let methodsByPath = try Dictionary(
            SpecTests.specOperations().map { operation in
                let parts = operation.split(separator: " ")
                return (String(parts[1]), Set([String(parts[0])]))
            },
            uniquingKeysWith: { $0.union($1) }
        )
        try await withAPI { api in
            let id = UUID().uuidString.lowercased()
            for (template, methods) in methodsByPath {
                let path = template.replacingOccurrences(of: "{id}", with: id)
                var allowed = methods
                if methods.contains("GET") { allowed.insert("HEAD") }
                allowed.insert("OPTIONS")
                let allow = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"].filter(allowed.contains)
                    .joined(separator: ", ")
                for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE"] where !allowed.contains(method)
                {
                    let httpMethod = try #require(HTTPRequest.Method(method))
                    try self.expectMethodNotAllowed(
                        try await api.request(httpMethod, path),
                        httpMethod,
                        path,
                        allow: allow
                    )
                }
                let options = try await api.request(.options, path)
                #expect(options.status == .noContent, "OPTIONS \(template)")
                #expect(options.headers[.allow] == allow, "OPTIONS \(template)")
            }
        }
    }

    /// A method without any route — `QUERY`, WebDAV's `PROPFIND`, one made up — is a method the path
    /// does not have either: `405` with `Allow` on the API's paths, after the key; unknown paths `404`.
    @Test func extensionMethodsAre405WithAllowOnTheAPIsPaths() async throws {
        try await withAPI { api in
            let id = UUID().uuidString.lowercased()
            for (name, path, allow) in [
                ("QUERY", "/v1/messages", "GET, HEAD, POST, OPTIONS"),
                ("PROPFIND", "/v1/messages/\(id)", "GET, HEAD, DELETE, OPTIONS"),
                ("MKCOL", "/v1/inbound", "GET, HEAD, OPTIONS"),
                ("QUERY", "/v1/messages/batch", "POST, OPTIONS"),
                ("FROB", "/v1/webhooks/deliveries/\(id)/redeliver", "POST, OPTIONS"),
                ("QUERY", "/v1/account/webhooks", "GET, HEAD, PUT, OPTIONS"),
            ] {
                let method = try #require(HTTPRequest.Method(name))
                try self.expectMethodNotAllowed(try await api.request(method, path), method, path, allow: allow)
            }
            let query = try #require(HTTPRequest.Method("QUERY"))
            for key in [String?.none, "sbk_unknown"] {
                let response = try await api.request(query, "/v1/messages", key: .some(key))
                #expect(response.status == .unauthorized, "QUERY with \(key ?? "no key")")
                #expect(response.headers[.allow] == nil)
            }
            for path in ["/v1/nowhere", "/v1/messages/\(id)/parts", "/v1", "/elsewhere"] {
                let response = try await api.request(query, path)
                #expect(response.status == .notFound, "QUERY \(path)")
                #expect(response.headers[.allow] == nil)
            }
        }
    }

    /// The table the 405s come from is the generated server's operations, which are the document's.
    @Test func theMethodTableIsTheGeneratedServersOperations() throws {
        let controller = APIHarness.offlineController()
        let table = try MethodRoutes(operationsOf: controller, configuration: APIJSON.openAPIConfiguration)
        let operations = Set(table.routes.flatMap { route in route.methods.map { "\($0.rawValue) \(route.path)" } })
        #expect(operations == (try SpecTests.specOperations()))
        let messages = try #require(table.routes.first { $0.path == "/v1/messages" })
        #expect(messages.allowed == [.get, .head, .post, .options])
        #expect(messages.get != nil)
        let batch = try #require(table.routes.first { $0.path == "/v1/messages/batch" })
        #expect(batch.allowed == [.post, .options])
        #expect(batch.get == nil)
    }

    /// 401 comes first: without a valid key nothing tells whether a method exists.
    @Test func authenticationComesBeforeTheMethod() async throws {
        try await withAPI { api in
            for key in [String?.none, "sbk_unknown"] {
                for (method, path) in [
                    (HTTPRequest.Method.put, "/v1/messages"), (.options, "/v1/messages"), (.head, "/v1/messages"),
                    (.post, "/v1/messages/\(UUID())"),
                ] {
                    let response = try await api.request(method, path, key: .some(key))
                    #expect(response.status == .unauthorized, "\(method) \(path) with \(key ?? "no key")")
                    #expect(response.headers[.allow] == nil)
                    #expect(response.headers[.wwwAuthenticate] != nil)
                }
            }
        }
    }

    @Test func headIsAnsweredLikeGetWithoutTheBody() async throws {
        try await withAPI { api in
            let sent = try await api.send(messageJSON())
            #expect(sent.status == .accepted, "\(sent.text)")
            let id = try sent.decode(Components.Schemas.Message.self).id
            for path in ["/v1/messages/\(id)", "/v1/messages", "/v1/inbound", "/v1/account/webhooks"] {
                let get = try await api.request(.get, path)
                let head = try await api.request(.head, path)
                #expect(get.status == .ok, "GET \(path): \(get.text)")
                #expect(head.status == .ok, "HEAD \(path): \(head.text)")
                #expect(head.body.readableBytes == 0, "HEAD \(path)")
                #expect(head.headers[.contentType] == get.headers[.contentType], "HEAD \(path)")
                #expect(head.headers[.contentLength] == String(get.body.readableBytes), "HEAD \(path)")
            }
            // Errors keep their status and headers, without the body.
            let missing = try await api.request(.head, "/v1/messages/\(UUID())")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "application/problem+json")
            #expect(missing.body.readableBytes == 0)
            let unknownPath = try await api.request(.head, "/v1/nowhere")
            #expect(unknownPath.status == .notFound)
            #expect(unknownPath.body.readableBytes == 0)
            let unauthenticated = try await api.request(.head, "/v1/messages", key: .some(nil))
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.body.readableBytes == 0)
        }
    }

    @Test func optionsIs204WithAllow() async throws {
        try await withAPI { api in
            for (path, allow) in [
                ("/v1/messages", "GET, HEAD, POST, OPTIONS"),
                ("/v1/messages/\(UUID())", "GET, HEAD, DELETE, OPTIONS"),
                ("/v1/messages/batch", "POST, OPTIONS"),
                ("/v1/account/webhooks", "GET, HEAD, PUT, OPTIONS"),
            ] {
                let response = try await api.request(.options, path)
                #expect(response.status == .noContent, "OPTIONS \(path): \(response.text)")
                #expect(response.headers[.allow] == allow, "OPTIONS \(path)")
                #expect(response.body.readableBytes == 0)
                #expect(response.headers[.contentLength] == nil)
            }
        }
    }

    @Test func unknownPathsStay404WhateverTheMethod() async throws {
        try await withAPI { api in
            let id = UUID()
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1"), (.get, "/v1/"), (.put, "/v1/accounts"), (.options, "/v1/nowhere"),
                (.get, "/v1/messages/\(id)/parts"), (.delete, "/v1/messages/\(id)/parts"),
                (.post, "/v1/inbound/\(id)/x"),
            ] {
                let response = try await api.request(method, path)
                #expect(response.status == .notFound, "\(method) \(path)")
                #expect(response.headers[.allow] == nil)
                #expect(try response.problem()._type == "https://smsbridge.dev/problems/not-found")
            }
        }
    }

    /// Over a real connection: NIO writes no body for HEAD, and the connection stays usable.
    @Test func headOptionsAnd405OverRealHTTP() async throws {
        try await withAPI(.live) { api in
            let get = try await api.request(.get, "/v1/messages")
            #expect(get.status == .ok)
            let head = try await api.request(.head, "/v1/messages")
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            let options = try await api.request(.options, "/v1/messages")
            #expect(options.status == .noContent)
            #expect(options.headers[.allow] == "GET, HEAD, POST, OPTIONS")
            try self.expectMethodNotAllowed(
                try await api.request(.put, "/v1/messages", json: "{}"),
                .put,
                "/v1/messages",
                allow: "GET, HEAD, POST, OPTIONS"
            )
            let query = try #require(HTTPRequest.Method("QUERY"))
            try self.expectMethodNotAllowed(
                try await api.request(query, "/v1/inbound"),
                query,
                "/v1/inbound",
                allow: "GET, HEAD, OPTIONS"
            )
            let headRefused = try await api.request(.head, "/v1/messages/batch")
            #expect(headRefused.status == .methodNotAllowed)
            #expect(headRefused.body.readableBytes == 0)
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
        }
    }
}
