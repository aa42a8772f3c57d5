import BridgeCore
import BridgeStore
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OpenAPIRuntime
import PostgresNIO
import Synchronization
import Testing
import Yams

@testable import BridgeHTTP

/// The OpenAPI document is the one source of truth: the generated code is current, and the server
/// serves exactly its operations.
@Suite struct SpecTests {
    static let specURL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("openapi/openapi.yaml")

    /// The document's `paths`: each path's methods and parameters.
    static func specPaths() throws -> [String: [String: Any]] {
        let text = try String(contentsOf: self.specURL, encoding: .utf8)
        let document = try #require(try Yams.load(yaml: text) as? [String: Any])
        return try #require(document["paths"] as? [String: [String: Any]])
    }

    /// Every (method, path) of the document, e.g. ("GET", "/v1/messages/{id}").
    static func specOperations() throws -> Set<String> {
        let paths = try self.specPaths()
        var operations: Set<String> = []
        for (path, item) in paths {
            for method in item.keys where ["get", "put", "post", "delete", "patch", "head", "options"].contains(method)
            {
                operations.insert("\(method.uppercased()) \(path)")
            }
        }
        return operations
    }

    @Test func theGeneratedCodeIsFromTheCurrentSpec() throws {
        let spec = try Data(contentsOf: Self.specURL)
        let hash = SHA256.hash(data: spec).map { String(format: "%02x", $0) }.joined()
        #expect(
            hash == openAPISpecSHA256,
            "openapi/openapi.yaml changed since Sources/BridgeHTTP/Generated was generated: run scripts/generate-openapi"
        )
    }

    @Test func theGeneratedServerRegistersExactlyTheSpecOperations() throws {
        let controller = APIHarness.offlineController()
        let transport = RecordingTransport()
        try controller.registerHandlers(on: transport)
        let specOperations = try Self.specOperations()
        #expect(specOperations.count == 14)
        #expect(transport.operations == specOperations)
    }

    /// The idempotency middleware honours `Idempotency-Key` on every `POST` (and only there): the
    /// document says so of exactly those operations, with their `409`.
    @Test func exactlyThePOSTOperationsDeclareIdempotencyKey() throws {
        let paths = try Self.specPaths()
        var posts = 0
        for (path, item) in paths {
            for (method, value) in item {
                guard let operation = value as? [String: Any] else { continue }
                let parameters = operation["parameters"] as? [[String: Any]] ?? []
                let declares = parameters.contains {
                    $0["$ref"] as? String == "#/components/parameters/IdempotencyKey"
                }
                let conflict = (operation["responses"] as? [String: Any])?["409"] as? [String: Any]
                if method == "post" {
                    posts += 1
                    #expect(declares, "POST \(path) declares Idempotency-Key")
                    #expect(
                        conflict?["$ref"] as? String == "#/components/responses/IdempotencyConflict",
                        "POST \(path) has the 409 of a reused key"
                    )
                } else {
                    #expect(!declares, "\(method.uppercased()) \(path) does not use Idempotency-Key")
                }
            }
        }
        #expect(posts == 5)
    }

    /// Every operation with a body is known to the problem mapping (so a bad field is named), and
    /// each whose body is optional is let through without one: a body added to an operation in
    /// the document (redeliver's `url`) needs both, which the compiler does not check.
    @Test func everyOperationWithABodyIsKnownToTheBodyHandling() throws {
        let paths = try Self.specPaths()
        var bodies = 0
        for (path, item) in paths {
            for (method, value) in item {
                guard let operation = value as? [String: Any], let id = operation["operationId"] as? String,
                    let body = operation["requestBody"] as? [String: Any]
                else { continue }
                bodies += 1
                #expect(RequestProblems.bodyOperations.contains(id), "\(id) reads a body")
                #expect(RequestProblems.bodySchema(of: id) != nil, "\(id) has its body's schema")
                if body["required"] as? Bool == false {
                    let optional = OptionalBodyMiddleware(paths: BridgeAPI.optionalBodyPaths)
                    let concrete = path.replacingOccurrences(of: "{id}", with: UUID().uuidString)
                    #expect(method == "post" && optional.isOptional(concrete), "\(path) may be sent without a body")
                }
            }
        }
        #expect(bodies == 6)
    }

    @Test func everySpecOperationIsServedAndNothingElseUnderV1() async throws {
        try await withAPI { api in
            let id = UUID().uuidString
            // Served: the route exists, so an unauthenticated request is refused (not "not found").
            for operation in try Self.specOperations() {
                let parts = operation.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let path = parts[1].replacingOccurrences(of: "{id}", with: id)
                let response = try await api.request(method, path, key: .some(nil))
                #expect(response.status == .unauthorized, "\(operation) is served")
            }
            // Not served, even with a valid key: other methods of the paths (405, MethodTests) and
            // other paths.
            for (method, path) in [
                (HTTPRequest.Method.put, "/v1/messages"), (.patch, "/v1/messages"), (.delete, "/v1/messages"),
                (.put, "/v1/messages/\(id)"), (.post, "/v1/messages/\(id)"), (.delete, "/v1/inbound/\(id)"),
                (.post, "/v1/inbound"), (.get, "/v1/messages/batch"),
            ] {
                let response = try await api.request(method, path)
                #expect(response.status == .methodNotAllowed, "\(method) \(path)")
                #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(path)")
            }
            for (method, path) in [
                (HTTPRequest.Method.get, "/v1"), (.get, "/v1/"), (.get, "/v1/accounts"),
                (.get, "/v1/messages/\(id)/parts"), (.get, "/v2/messages"),
            ] {
                let response = try await api.request(method, path)
                #expect(response.status == .notFound, "\(method) \(path)")
                if path.hasPrefix("/v1") {
                    #expect(response.headers[.contentType] == "application/problem+json", "\(method) \(path)")
                }
            }
        }
    }
}

/// A server transport that only notes what is registered.
final class RecordingTransport: ServerTransport, Sendable {
    private let registered = Mutex<Set<String>>([])

    var operations: Set<String> { self.registered.withLock { $0 } }

    func register(
        _ handler:
            @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (
                HTTPResponse, HTTPBody?
            ),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        self.registered.withLock { _ = $0.insert("\(method.rawValue) \(path)") }
    }
}
