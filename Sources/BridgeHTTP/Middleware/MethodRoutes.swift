import HTTPTypes
import Hummingbird
import OpenAPIHummingbird
import OpenAPIRuntime
import Synchronization

/// The methods each path of the API has, read from what the generated server registers, and the
/// routes that answer the other methods on those paths (RFC 9110):
///
/// - `HEAD` where the path has `GET`: the `GET` operation, answered without its body
///   (``HeadMiddleware`` drops it, keeping `Content-Length`);
/// - `OPTIONS`: `204` with `Allow`;
/// - any other method of ``refusedMethods``: `405` `method-not-allowed` with `Allow`.
///
/// `Allow` lists the operations' methods, `HEAD` where there is a `GET`, and `OPTIONS`. The table
/// is not written by hand: it is recorded by registering the generated server's handlers on a
/// transport that only notes them, so a new path or method of `openapi/openapi.yaml` is in it as
/// soon as the code is generated again. Unknown paths stay `404`. Methods outside
/// ``refusedMethods`` (`QUERY`, WebDAV's and other extension methods) have no route; their `405`
/// comes from ``ExtensionMethodMiddleware``, which matches the request's path against ``routes``.
struct MethodRoutes: Sendable {
    typealias Handler =
        @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?)

    /// A path of the API (as in the document, `/v1/messages/{id}`) with its operations' methods.
    struct Route: Sendable {
        var path: String
        /// The methods of the path's operations.
        var methods: [HTTPRequest.Method]
        /// The generated handler of the path's `GET` operation, which also answers `HEAD`.
        var get: Handler?

        /// The methods the path answers, for `Allow`.
        var allowed: [HTTPRequest.Method] {
            var allowed = self.methods
            if allowed.contains(.get), !allowed.contains(.head) { allowed.append(.head) }
            if !allowed.contains(.options) { allowed.append(.options) }
            return allowed.sorted { MethodRoutes.order(of: $0) < MethodRoutes.order(of: $1) }
        }
    }

    /// Every path of the API, in the order the generated server registers them.
    let routes: [Route]

    /// The order of methods in `Allow`.
    static let allowOrder: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .options]

    /// The methods answered `405` on a path that does not have them: those of RFC 9110 and
    /// RFC 5789 (`PATCH`) that take a path (not `CONNECT`).
    static let refusedMethods: [HTTPRequest.Method] = [.get, .head, .post, .put, .patch, .delete, .trace]

    /// Records the routes `api` registers with `configuration` — pass the configuration its real
    /// registration uses (`APIController.addRoutes(to:)`), since the `GET` handlers recorded here
    /// answer `HEAD`.
    init(operationsOf api: some APIProtocol, configuration: OpenAPIRuntime.Configuration) throws {
        let recorder = Recorder()
        try api.registerHandlers(on: recorder, configuration: configuration)
        self.routes = recorder.routes
    }

    /// Adds the routes for the methods the paths do not have as operations: `HEAD` to `operations`
    /// (the group of the API's operations, so that it goes through what `GET` goes through), and
    /// `OPTIONS` and the `405`s to `others`, a group that authenticates first.
    func addRoutes(operations: RouterGroup<APIRequestContext>, others: RouterGroup<APIRequestContext>) {
        for route in self.routes {
            let allowed = route.allowed
            if let get = route.get, !route.methods.contains(.head) {
                operations.register(get, method: .head, path: route.path)
            }
            if !route.methods.contains(.options) {
                let allow = allowed.map(\.rawValue).joined(separator: ", ")
                others.on(RouterPath(route.path), method: .options) { _, _ in
                    var response = Response(status: .noContent, headers: [.allow: allow])
                    response.headers[.contentLength] = nil
                    return response
                }
            }
            for method in Self.refusedMethods where !allowed.contains(method) {
                others.on(RouterPath(route.path), method: method) { request, _ -> Response in
                    throw APIProblem.methodNotAllowed(request.method, path: request.uri.path, allowed: allowed)
                }
            }
        }
    }

    /// A server transport that only notes what the generated server registers.
    private final class Recorder: ServerTransport, Sendable {
        private let recorded = Mutex<[Route]>([])

        var routes: [Route] { self.recorded.withLock { $0 } }

        func register(_ handler: @escaping Handler, method: HTTPRequest.Method, path: String) throws {
            self.recorded.withLock { routes in
                let index: Int
                if let known = routes.firstIndex(where: { $0.path == path }) {
                    index = known
                } else {
                    routes.append(Route(path: path, methods: [], get: nil))
                    index = routes.endIndex - 1
                }
                routes[index].methods.append(method)
                if method == .get { routes[index].get = handler }
            }
        }
    }

    /// Where `method` goes in `Allow`; methods outside ``allowOrder`` last.
    private static func order(of method: HTTPRequest.Method) -> Int {
        self.allowOrder.firstIndex(of: method) ?? self.allowOrder.count
    }
}
