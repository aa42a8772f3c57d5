import BridgeCore
import HTTPTypes
import Hummingbird
import Logging
import OpenAPIRuntime

/// Renders every error of a request under the API's path as `application/problem+json`: the API's
/// own problems as they are, Hummingbird's errors (an unknown path is a `404`) by their status,
/// anything else as a `500` that is logged.
struct ProblemMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Only requests whose path starts with this are handled; others pass untouched.
    var pathPrefix: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix(self.pathPrefix) else { return try await next(request, context) }
        do {
            return try await next(request, context)
        } catch {
            return Self.problem(for: error, logger: context.logger).response()
        }
    }

    static func problem(for error: any Error, logger: Logger) -> APIProblem {
        if let problem = error as? APIProblem { return problem }
        let status: HTTPResponse.Status
        if let error = error as? any HTTPResponseError {
            status = error.status
        } else if let error = error as? any HTTPResponseConvertible {
            status = error.httpStatus
        } else {
            logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            return APIProblem(.internal, detail: "the request failed; it has been logged")
        }
        switch status {
        case .notFound: return APIProblem(.notFound, detail: "no such resource")
        case .contentTooLarge: return APIProblem(.bodyTooLarge, detail: "the body is too large")
        case .unsupportedMediaType:
            return APIProblem(.unsupportedMediaType, detail: "the body must be application/json")
        case .notAcceptable: return APIProblem(.notAcceptable, detail: "responses are application/json")
        default:
            if status.kind == .serverError {
                logger.error("request failed", metadata: ["error": "\(String(reflecting: error))"])
            }
            let slug = status.reasonPhrase.lowercased().split(separator: " ").joined(separator: "-")
            return APIProblem(
                ProblemType(slug: slug, title: status.reasonPhrase, status: status),
                detail: "\(error)"
            )
        }
    }
}
