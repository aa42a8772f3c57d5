import BridgeCore
import Hummingbird
import NIOCore

/// Reads the body of a `POST`, `PUT` or `PATCH` into memory, refusing more than the configured
/// limit with `413` (at once when `Content-Length` says so), and a JSON object that names a field
/// twice with `400` naming it (see ``DuplicateKeys``). Later middleware and the handlers read the
/// collected body.
struct BodyLimitMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    var maximumSize: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method) else { return try await next(request, context) }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > self.maximumSize {
            throw self.tooLarge
        }
        var request = request
        let body: ByteBuffer
        do {
            body = try await request.collectBody(upTo: self.maximumSize)
        } catch is NIOTooManyBytesError {
            throw self.tooLarge
        }
        if let field = body.withUnsafeReadableBytes({ DuplicateKeys.first(in: $0) }) {
            throw APIProblem.invalidField(field, code: "duplicate_field", "is given more than once in its object")
        }
        return try await next(request, context)
    }

    private var tooLarge: APIProblem {
        APIProblem(
            .bodyTooLarge,
            detail: "the body is larger than \(self.maximumSize) bytes",
            errors: [FieldError(field: "$", code: "too_large", detail: "at most \(self.maximumSize) bytes")]
        )
    }
}
