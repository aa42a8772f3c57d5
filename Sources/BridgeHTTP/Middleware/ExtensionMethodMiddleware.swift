import HTTPTypes
import Hummingbird

/// Answers a method the router has no route for at all — an extension method such as `QUERY` or
/// WebDAV's `PROPFIND` — on a path of the API like any other method the path lacks: once
/// authenticated, `405` `method-not-allowed` with `Allow` (RFC 9110 §15.5.6). Unknown paths are
/// left to the router (`404`).
///
/// Not `501`: RFC 9110 §15.6.2 keeps that for a method the server supports for no resource, and
/// here the client is told, in `Allow`, which methods the resource has. The methods of
/// ``MethodRoutes/refusedMethods`` and `OPTIONS` have routes on every path and never come here.
struct ExtensionMethodMiddleware<Gate: RouterMiddleware<APIRequestContext>>: RouterMiddleware {
    typealias Context = APIRequestContext

    /// The API's paths, each as its segments (`{id}` matches any one segment), with `Allow`.
    private let paths: [(segments: [Substring], allowed: [HTTPRequest.Method])]
    /// Runs before the `405`, as it does before the routes of the other methods
    /// (``APIGateMiddleware``).
    let gate: Gate

    init(routes: MethodRoutes, gate: Gate) {
        self.paths = routes.routes.map { (Self.segments(of: $0.path), $0.allowed) }
        self.gate = gate
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let method = request.method
        guard method != .options, !MethodRoutes.refusedMethods.contains(method),
            let allowed = self.allowed(at: request.uri.path)
        else { return try await next(request, context) }
        return try await self.gate.handle(request, context: context) { request, _ in
            throw APIProblem.methodNotAllowed(method, path: request.uri.path, allowed: allowed)
        }
    }

    /// The methods of the API path that `path` names, or `nil` when it names none.
    func allowed(at path: String) -> [HTTPRequest.Method]? {
        let given = Self.segments(of: path)
        return self.paths.first { template in
            template.segments.count == given.count
                && zip(template.segments, given).allSatisfy { $0 == $1 || ($0.first == "{" && $0.last == "}") }
        }?.allowed
    }

    /// A path's segments, as the router splits it (empty ones left out).
    private static func segments(of path: String) -> [Substring] {
        path.split(separator: "/", omittingEmptySubsequences: true)
    }
}
