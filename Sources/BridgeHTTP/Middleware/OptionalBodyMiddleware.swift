import HTTPTypes
import Hummingbird
import NIOCore

/// Reads an absent body as `{}` on the operations whose body is optional (`POST /v1/webhooks/test`,
/// `POST /v1/account/webhooks/secret/rotate`): the generated server would otherwise try to read
/// JSON from nothing. Other requests pass untouched.
struct OptionalBodyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// Paths (under the API's prefix) whose `POST` body may be left out.
    let paths: Set<String>

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, self.paths.contains(request.uri.path),
            request.headers[.contentType] == nil
        else { return try await next(request, context) }
        var request = request
        let body = try await request.collectBody(upTo: context.maxUploadSize)
        guard body.readableBytes == 0 else { return try await next(request, context) }
        var head = request.head
        head.headerFields[.contentType] = "application/json"
        return try await next(Request(head: head, body: RequestBody(buffer: ByteBuffer(string: "{}"))), context)
    }
}
