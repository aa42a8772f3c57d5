import HTTPTypes
import Hummingbird
import NIOCore

/// Reads an absent body as `{}` on the operations whose body is optional (`POST /v1/webhooks/test`,
/// `POST /v1/account/webhooks/secret/rotate`, `POST /v1/webhooks/deliveries/{id}/redeliver`): the
/// generated server would otherwise try to read JSON from nothing. Other requests pass untouched.
struct OptionalBodyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    /// Paths (under the API's prefix) whose `POST` body may be left out; a `{name}` segment stands
    /// for any one segment.
    let paths: [String]

    /// Whether `path` is one of ``paths``.
    func isOptional(_ path: String) -> Bool {
        let segments = path.split(separator: "/", omittingEmptySubsequences: false)
        return self.paths.contains { pattern in
            let expected = pattern.split(separator: "/", omittingEmptySubsequences: false)
            return expected.count == segments.count
                && zip(expected, segments).allSatisfy { want, got in
                    want.hasPrefix("{") && want.hasSuffix("}") ? !got.isEmpty : want == got
                }
        }
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, self.isOptional(request.uri.path),
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
