public import BridgeCore
public import Hummingbird

/// SMSBridge's HTTP API, `openapi/openapi.yaml`, on a Hummingbird router.
///
/// ```swift
/// let api = try BridgeAPI(store: store, validator: validator, configuration: .init())
/// let router = api.makeRouter()          // or: api.addRoutes(to: existingRouter)
/// router.get("/healthz") { _, _ in "ok" }
/// let app = Application(router: router, configuration: .init(address: .hostname("0.0.0.0", port: 8080)))
/// ```
///
/// What a request goes through, outermost first:
/// 1. request log (debug), dropping the body of `HEAD` answers, and problem rendering, for every
///    path under `/v1` (unknown ones are `404`);
/// 2. content negotiation (`406` unless JSON is acceptable) and
/// 3. authentication: `Authorization: Bearer sbk_…` → the account in ``APIRequestContext`` (`401`),
///    both in ``APIGateMiddleware``;
///    a path asked with a method it does not have is answered here, once authenticated (`405`
///    with `Allow`; `OPTIONS` `204` with `Allow`; `HEAD` as `GET`: ``MethodRoutes``; an extension
///    method such as `QUERY`, which has no route at all, gets its `405` from
///    ``ExtensionMethodMiddleware``);
/// 4. the body limit (`413`);
/// 5. idempotency: replay or `409` for a known `Idempotency-Key`;
/// 6. the generated server and the handlers, which check back-pressure (`503` queue, `429` rate)
///    before storing anything.
public struct BridgeAPI: Sendable {
    public let configuration: Configuration
    /// Adds the routes; built by `init` over the repository's concrete type.
    private let mount: @Sendable (Router<APIRequestContext>) -> Void

    /// The path every route of the API starts with.
    public static var pathPrefix: String { "/v1" }

    /// The `POST`s whose JSON body may be left out (read as `{}`; `OptionalBodyMiddleware`).
    static var optionalBodyPaths: [String] {
        [
            "\(Self.pathPrefix)/webhooks/test", "\(Self.pathPrefix)/account/webhooks/secret/rotate",
            "\(Self.pathPrefix)/webhooks/deliveries/{id}/redeliver",
        ]
    }

    /// - Parameters:
    ///   - store: where messages, received messages, accounts and idempotency records live
    ///     (a `PostgresStore`).
    ///   - validator: checks send requests and builds their parts, with the routes and connectors.
    ///   - handoff: this instance's dispatcher, to which accepted messages that are due at once go
    ///     directly (``DispatchHandoff``); `nil`: every message goes through the queue.
    /// - Throws: ``ConfigurationError`` naming the first invalid setting.
    public init(
        store: some APIRepository,
        validator: MessageValidator,
        configuration: Configuration = Configuration(),
        handoff: (any DispatchHandoff)? = nil
    ) throws {
        try configuration.validate()
        self.configuration = configuration
        let database = DatabaseGate(
            timeout: configuration.databaseTimeout,
            retryAfter: configuration.databaseRetryAfter
        )
        let keyCache = APIKeyCache(
            timeToLive: configuration.authenticationCacheTTL,
            capacity: configuration.authenticationCacheCapacity
        )
        let queue = QueueMonitor(
            messages: store,
            interval: configuration.queueStatisticsInterval,
            maximumDepth: configuration.maximumQueueDepth,
            maximumAge: configuration.maximumQueueAge,
            retryAfter: configuration.queueRetryAfter
        )
        let rateLimiter = RateLimiter(defaultRate: configuration.defaultRateLimit, burst: configuration.rateLimitBurst)
        let controller = APIController(
            repository: store,
            validator: validator,
            admission: Admission(queue: queue, rateLimiter: rateLimiter, database: database),
            database: database,
            secretRotationOverlap: configuration.webhookSecretRotationOverlap,
            handoff: handoff
        )
        // The paths and methods of the generated server's operations, with the settings of
        // `controller.addRoutes(to:)` (its GET handlers also answer HEAD).
        let methodRoutes = try MethodRoutes(operationsOf: controller, configuration: APIJSON.openAPIConfiguration)
        let maximumBodySize = configuration.maximumBodySize
        self.mount = { router in
            router.add(middleware: RequestLogMiddleware(pathPrefix: Self.pathPrefix))
            router.add(middleware: HeadMiddleware(pathPrefix: Self.pathPrefix))
            router.add(middleware: ProblemMiddleware(pathPrefix: Self.pathPrefix))
            let gate = APIGateMiddleware(
                authentication: AuthenticationMiddleware(accounts: store, cache: keyCache, database: database)
            )
            // Methods without any route (`QUERY`, WebDAV's): `405` on the API's paths, like the others.
            router.add(middleware: ExtensionMethodMiddleware(routes: methodRoutes, gate: gate))
            let routes = router.group()
                .add(middleware: gate)
                .add(middleware: BodyLimitMiddleware(maximumSize: maximumBodySize))
                .add(middleware: IdempotencyMiddleware(messages: store, database: database))
                .add(
                    middleware: OptionalBodyMiddleware(
                        paths: Self.optionalBodyPaths
                    )
                )
                .add(middleware: OperationMiddleware())
            do {
                try controller.addRoutes(to: routes)
            } catch {
                // Registering on a Hummingbird router fails only for an invalid server URL; ours is "/".
                preconditionFailure("cannot register the API's routes: \(error)")
            }
            // HEAD, OPTIONS and 405 on the API's paths, after authentication like the operations.
            methodRoutes.addRoutes(
                operations: routes,
                others: router.group().add(middleware: gate)
            )
        }
    }

    /// Adds the API's routes (every path and method of the OpenAPI document; on those paths `HEAD`
    /// where there is a `GET`, `OPTIONS`, and `405` for other methods) and its middleware to `router`.
    ///
    /// Four router-wide middlewares are added as well, which act only on paths under `/v1`: the
    /// request log, dropping the body of answers to `HEAD`, the rendering of errors as problems
    /// (so that unknown `/v1` paths get a problem `404` too), and the `405` of extension methods on
    /// the API's paths. Other routes of `router` are not
    /// affected.
    public func addRoutes(to router: Router<APIRequestContext>) {
        self.mount(router)
    }

    /// A new router with the API's routes (``addRoutes(to:)``). The caller may add more routes,
    /// such as `/healthz` and `/metrics`.
    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        self.addRoutes(to: router)
        return router
    }
}
