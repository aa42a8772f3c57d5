import Hummingbird
import NIOCore

/// Refuses a JSON body in which one object names a field twice (see ``DuplicateKeys``): `400`
/// naming the field, before anything reads the body. Runs after ``BodyLimitMiddleware``, which
/// collected it.
struct DuplicateKeyMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard [.post, .put, .patch].contains(request.method) else { return try await next(request, context) }
        let body = try await request.body.collect(upTo: .max)
        if let field = body.withUnsafeReadableBytes({ DuplicateKeys.first(in: $0) }) {
            throw APIProblem.invalidField(field, code: "duplicate_field", "is given more than once in its object")
        }
        return try await next(request, context)
    }
}
