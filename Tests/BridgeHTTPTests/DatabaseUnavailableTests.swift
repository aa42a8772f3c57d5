import BridgeCore
import BridgeStore
import BridgeTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct DatabaseUnavailableTests {
    private static var quietLogger: Logger {
        var logger = Logger(label: "database-down")
        logger.logLevel = .critical
        return logger
    }

    private func expectUnavailable(_ response: TestResponse, retryAfter: String, _ comment: Comment? = nil) throws {
        #expect(response.status == .serviceUnavailable, comment)
        #expect(response.headers[.retryAfter] == retryAfter, comment)
        #expect(try response.problem()._type == "https://smsbridge.dev/problems/database-unavailable", comment)
    }

    /// Runs `body` against the API of a database nobody listens for: connections are refused, and
    /// PostgresNIO's pool keeps retrying.
    private func withAPIOfNoDatabase(
        _ adjust: (inout BridgeAPI.Configuration) -> Void,
        _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
    ) async throws {
        let client = PostgresClient(configuration: TestPostgres.nowhere, backgroundLogger: Self.quietLogger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        var settings = BridgeAPI.Configuration.testing
        adjust(&settings)
        let api = try BridgeAPI(
            store: PostgresStore(client: client, logger: Self.quietLogger),
            validator: APIHarness.validator,
            configuration: settings
        )
        try await Application(router: api.makeRouter()).test(.router, body)
    }

    @Test func aDatabaseNobodyListensForGets503() async throws {
        // The API gives up after its database timeout.
        try await self.withAPIOfNoDatabase({
            $0.databaseTimeout = .milliseconds(300)
            $0.databaseRetryAfter = 3
        }) { http in
            let key = "sbk_" + String(repeating: "a", count: 40)
            let send = try await http.executeRequest(
                uri: "/v1/messages",
                method: .post,
                headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                body: ByteBuffer(string: messageJSON())
            )
            try self.expectUnavailable(send, retryAfter: "3", "not 401: the key could not be checked")
            let read = try await http.executeRequest(
                uri: "/v1/messages/\(UUID())",
                method: .get,
                headers: [.authorization: "Bearer \(key)"],
                body: nil
            )
            try self.expectUnavailable(read, retryAfter: "3")
        }
    }

    /// Once a call found the database away, the others do not wait out the deadline each: one at a
    /// time tries the database, the rest get their 503 at once.
    @Test func whileTheDatabaseIsKnownAwayRequestsGet503AtOnce() async throws {
        try await self.withAPIOfNoDatabase({ $0.databaseTimeout = .seconds(4) }) { http in
            let key = "sbk_" + String(repeating: "a", count: 40)
            @Sendable func read() async throws -> (TestResponse, Duration) {
                let started = ContinuousClock.now
                let response = try await http.executeRequest(
                    uri: "/v1/messages",
                    method: .get,
                    headers: [.authorization: "Bearer \(key)"],
                    body: nil
                )
                return (response, ContinuousClock.now - started)
            }
            let (first, waited) = try await read()
            try self.expectUnavailable(first, retryAfter: "5")
            #expect(waited >= .seconds(3), "the first waits for the database: \(waited)")
            let answers = try await withThrowingTaskGroup(of: (TestResponse, Duration).self) { group in
                for _ in 0..<8 { group.addTask { try await read() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            for (response, _) in answers { try self.expectUnavailable(response, retryAfter: "5") }
            let quick = answers.filter { $0.1 < .seconds(2) }.count
            #expect(quick >= 7, "all but the one trying the database answer at once: \(answers.map(\.1))")
        }
    }

    @Test func aStoppedDatabaseClientGets503() async throws {
        let logger = Self.quietLogger
        try await startTestCluster()
        let client = PostgresClient(
            configuration: try await TestPostgres.shared.makeDatabase("down"),
            backgroundLogger: logger
        )
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        _ = try await MigrationRunner.bundled().apply(on: client, logger: logger)
        let store = PostgresStore(client: client, logger: logger)
        let (_, key) = try await store.createAccount(name: "acme")
        let (_, otherKey) = try await store.createAccount(name: "other")
        var settings = BridgeAPI.Configuration.testing
        settings.databaseTimeout = .seconds(1)
        settings.authenticationCacheTTL = .seconds(60)
        let api = try BridgeAPI(store: store, validator: APIHarness.validator, configuration: settings)
        try await Application(router: api.makeRouter()).test(.router) { http in
            func send(_ key: String) async throws -> TestResponse {
                try await http.executeRequest(
                    uri: "/v1/messages",
                    method: .post,
                    headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                    body: ByteBuffer(string: messageJSON())
                )
            }
            #expect(try await send(key).status == .accepted)

            runner.cancel()
            await runner.value

            // The key is cached: authentication passes, storing fails.
            try self.expectUnavailable(try await send(key), retryAfter: "5", "insert")
            // Not cached: the look-up of the key fails.
            try self.expectUnavailable(try await send(otherKey), retryAfter: "5", "authentication")
            let list = try await http.executeRequest(
                uri: "/v1/messages",
                method: .get,
                headers: [.authorization: "Bearer \(key)"],
                body: nil
            )
            try self.expectUnavailable(list, retryAfter: "5", "listing")
        }
    }
}
