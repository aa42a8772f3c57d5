import HTTPTypes
import Hummingbird

/// Drops the body of every answer to a `HEAD` request under the API's path, problems included,
/// keeping the headers — `Content-Length` stays what the `GET` would have sent (RFC 9110 §9.3.2).
/// A `HEAD` is answered by the path's `GET` operation (``MethodRoutes``); NIO refuses to write a
/// body after the head of a `HEAD` response. Other requests pass untouched.
struct HeadMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Only requests whose path starts with this are handled.
    var pathPrefix: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .head, request.uri.path.hasPrefix(self.pathPrefix) else {
            return try await next(request, context)
        }
        return try await next(request, context).createHeadResponse()
    }
}
