import BridgeCore
import Hummingbird
import NIOCore

/// Reads the body of a `POST`, `PUT` or `PATCH` into memory, refusing more than the configured
/// limit with `413` (at once when `Content-Length` says so). Later middleware and the handlers read
/// the collected body.
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
        do {
            _ = try await request.collectBody(upTo: self.maximumSize)
        } catch is NIOTooManyBytesError {
            throw self.tooLarge
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
