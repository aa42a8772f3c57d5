import Foundation
import Hummingbird

/// Refuses, before any work, a request whose `Accept` header does not allow `application/json`:
/// every successful answer of the API is `application/json` (problems are
/// `application/problem+json`, sent whatever `Accept` says, as RFC 9457 suggests). The generated
/// server checks `Accept` only after the handler ran, which for a send would be after the message
/// was stored: a `406` there would tell a client that retries to send it again.
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
                detail: "responses are application/json, which Accept: \(accept) excludes"
            )
        }
        return try await next(request, context)
    }

    /// Whether a media range of `accept` with a quality above 0 covers `application/json`
    /// (RFC 9110 §12.5.1); an empty header accepts anything.
    static func acceptsJSON(_ accept: String) -> Bool {
        let ranges = accept.split(separator: ",").compactMap { range -> (type: String, quality: Double)? in
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let type = parts.first, !type.isEmpty else { return nil }
            let quality = parts.dropFirst().lazy.compactMap { parameter -> Double? in
                guard parameter.hasPrefix("q=") else { return nil }
                return Double(parameter.dropFirst(2))
            }.first ?? 1
            return (type, quality)
        }
        if ranges.isEmpty { return true }
        return ranges.contains { ["*/*", "application/*", "application/json"].contains($0.type) && $0.quality > 0 }
    }
}
