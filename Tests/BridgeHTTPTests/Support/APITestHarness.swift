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
import SMPP
import Testing

@testable import BridgeHTTP

/// One API over a fresh database with an account, and a client for it.
struct APIHarness: Sendable {
    let store: PostgresStore
    let client: any TestClientProtocol
    let account: Account
    let key: String
    let logs: CapturedLogs

    /// The validator every test uses: connector `main`, and `backup` for numbers starting +1555;
    /// default policy, private callback URLs allowed.
    static let validator: MessageValidator = {
        var policy = MessagePolicy()
        policy.callbackURLs = CallbackURLPolicy(allowsPrivateAddresses: true)
        return MessageValidator(
            policy: policy,
            router: MessageRouter(defaultConnector: "main", rules: [.init(prefix: "1555", connector: "backup")]),
            builders: ["main": SubmitBuilder(), "backup": SubmitBuilder()]
        )
    }()

    /// Sends a request with the account's key (unless `key` says otherwise).
    func request(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: String? = nil,
        body: [UInt8]? = nil,
        headers: HTTPFields = [:],
        key: String?? = .none
    ) async throws -> TestResponse {
        var fields = headers
        if let key = key ?? self.key { fields[.authorization] = "Bearer \(key)" }
        var buffer: ByteBuffer?
        if let json {
            buffer = ByteBuffer(string: json)
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        } else if let body {
            buffer = ByteBuffer(bytes: body)
            if fields[.contentType] == nil { fields[.contentType] = "application/json" }
        }
        return try await self.client.executeRequest(uri: uri, method: method, headers: fields, body: buffer)
    }

    /// `POST /v1/messages` with a JSON body.
    func send(_ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await self.request(.post, "/v1/messages", json: json, headers: headers)
    }

    /// Another account with its key.
    func otherAccount(name: String = "other", rateLimit: Double? = nil) async throws -> (Account, String) {
        try await self.store.createAccount(name: name, rateLimit: rateLimit)
    }
}

extension BridgeAPI.Configuration {
    /// Defaults, but with the queue statistics read on every request (tests change the queue
    /// between requests).
    static var testing: Self {
        var configuration = Self()
        configuration.queueStatisticsInterval = .zero
        return configuration
    }
}

/// Starts the test cluster once, before the first test asks for a database.
///
/// `TestPostgres.start()` is an actor method that awaits while it starts the cluster, so tests that
/// call it at the same time each start a cluster of their own (actor reentrancy); with this suite's
/// many parallel tests that overloads the machine. Awaiting this one task first avoids it.
func startTestCluster() async throws {
    _ = try await testCluster.value
}

private let testCluster = Task { try await TestPostgres.shared.start() }

/// Runs `body` with an API on a fresh database, an account "acme" and its key.
func withAPI(
    _ setup: TestingSetup = .router,
    configuration: BridgeAPI.Configuration = .testing,
    accountRateLimit: Double? = nil,
    store makeRepository: (@Sendable (PostgresStore) -> any APIRepository)? = nil,
    _ body: @Sendable (APIHarness) async throws -> Void
) async throws {
    try await startTestCluster()
    try await withStore("http") { store in
        let (account, key) = try await store.createAccount(name: "acme", rateLimit: accountRateLimit)
        let logs = CapturedLogs()
        let repository = makeRepository?(store) ?? store
        let api = try BridgeAPI(store: repository, validator: APIHarness.validator, configuration: configuration)
        let logger = logs.logger(label: "api-test", level: .debug)
        let app = Application(router: api.makeRouter(), logger: logger)
        try await app.test(setup) { client in
            try await body(APIHarness(store: store, client: client, account: account, key: key, logs: logs))
        }
    }
}

// MARK: Responses

extension TestResponse {
    /// The body as text.
    var text: String { String(buffer: self.body) }

    /// The body decoded as the API's JSON.
    func decode<Value: Decodable>(_ type: Value.Type = Value.self) throws -> Value {
        try APIJSON.decode(type, from: Data(self.body.readableBytesView))
    }

    /// The body as a JSON object, to check names and presence of keys.
    func object() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(self.body.readableBytesView)) as? [String: Any])
    }

    /// The body as a problem (checking the content type).
    func problem() throws -> Components.Schemas.Problem {
        #expect(self.headers[.contentType] == "application/problem+json", "\(self.text)")
        return try self.decode(Components.Schemas.Problem.self)
    }
}

/// The JSON of a send request.
func messageJSON(
    to: String = "+447700900123",
    from: String = "Shop",
    text: String = "Hello",
    extra: String = ""
) -> String {
    let extraFields = extra.isEmpty ? "" : ", \(extra)"
    return #"{"to": "\#(to)", "from": "\#(from)", "text": "\#(text)"\#(extraFields)}"#
}

extension HTTPResponse.Status {
    /// 207, the answer to a batch.
    static var multiStatus: Self { Self(code: 207) }
}

extension APIHarness {
    /// A controller whose store never reaches a database (its client is never run): for what
    /// registering the routes shows, which touches no database.
    static func offlineController() -> APIController<PostgresStore> {
        let client = PostgresClient(
            configuration: .init(host: "127.0.0.1", port: 1, username: "x", password: nil, database: nil, tls: .disable)
        )
        let store = PostgresStore(client: client, logger: Logger(label: "offline"))
        let database = DatabaseGate(timeout: .seconds(1), retryAfter: 1)
        return APIController(
            repository: store,
            validator: Self.validator,
            admission: Admission(
                queue: QueueMonitor(messages: store, interval: .zero, maximumDepth: nil, maximumAge: nil, retryAfter: 1),
                rateLimiter: RateLimiter(defaultRate: 1, burst: 1),
                database: database
            ),
            database: database
        )
    }
}
