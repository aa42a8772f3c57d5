import Foundation
import Hummingbird

/// Refuses, before any work, a request whose `Accept` header allows no JSON: every answer of the
/// API is `application/json` or `application/problem+json`. (The generated server checks `Accept`
/// only after the handler ran, which for a send would be after the message was stored.)
struct ContentNegotiationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        if let accept = request.headers[.accept], !Self.acceptsJSON(accept) {
            throw APIProblem(
                .notAcceptable,
                detail: "responses are application/json or application/problem+json, which Accept: \(accept) excludes"
            )
        }
        return try await next(request, context)
    }

    static func acceptsJSON(_ accept: String) -> Bool {
        let ranges = accept.split(separator: ",").map { range in
            range.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        }
        if ranges.allSatisfy(\.isEmpty) { return true }
        return ranges.contains {
            ["*/*", "application/*", "application/json", "application/problem+json"].contains($0)
        }
    }
}
