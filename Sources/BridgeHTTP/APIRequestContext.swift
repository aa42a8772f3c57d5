public import BridgeStore
public import Hummingbird

/// The request context of the API: Hummingbird's storage plus what the middleware learned.
public struct APIRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated account; set by the authentication middleware, `nil` before it.
    public var account: Account?
    /// The `Idempotency-Key` of a `POST`, its method and path, and the hash of its body; set by the
    /// idempotency middleware, `nil` when the request has no key.
    public var idempotency: IdempotencyClaim?

    public init(source: Source) {
        self.coreContext = CoreRequestContextStorage(source: source)
    }
}

/// A request's claim on an idempotency key: the handler stores its response under it in the
/// transaction of its change (the messages it stores, the event it queues, the secret it makes).
public struct IdempotencyClaim: Sendable, Hashable {
    public var key: String
    /// The request's method and path (`POST /v1/messages`): a key belongs to one endpoint.
    public var endpoint: String
    /// SHA-256 of the request body.
    public var requestHash: [UInt8]

    public init(key: String, endpoint: String, requestHash: [UInt8]) {
        self.key = key
        self.endpoint = endpoint
        self.requestHash = requestHash
    }

    /// The record of the request's answer, known before the change, to store with it (a send's:
    /// its ids are drawn before the insert).
    func record(statusCode: Int, response: some Encodable) throws -> IdempotencyRecord {
        IdempotencyRecord(
            key: self.key,
            endpoint: self.endpoint,
            requestHash: self.requestHash,
            statusCode: statusCode,
            response: Array(try APIJSON.encode(response))
        )
    }

    /// How to record the request's answer, made from the result of the change (known only inside
    /// its transaction): `body` is the answer's body, encoded as the generated server encodes it.
    func recording<Result, Body: Encodable & SendableMetatype>(
        statusCode: Int,
        _ body: @escaping @Sendable (Result) -> Body
    ) -> IdempotencyRecording<Result> {
        IdempotencyRecording(
            key: self.key,
            endpoint: self.endpoint,
            requestHash: self.requestHash,
            statusCode: statusCode,
            response: { Array(try APIJSON.encode(body($0))) }
        )
    }
}

extension APIRequestContext {
    /// The context of the request being handled, for the generated handlers, which receive only the
    /// operation's input. Bound by ``OperationMiddleware``.
    @TaskLocal static var current: APIRequestContext?

    /// The account of the current request.
    static func currentAccount() throws -> (Account, APIRequestContext) {
        guard let context = Self.current, let account = context.account else {
            // Only reachable if the routes were mounted without the authentication middleware.
            throw APIProblem(.unauthorized, detail: "no authenticated account", headers: [.wwwAuthenticate: "Bearer"])
        }
        return (account, context)
    }
}
