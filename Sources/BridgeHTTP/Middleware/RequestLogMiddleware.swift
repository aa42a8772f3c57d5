import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Logs each request under the API's path at debug level once answered: method, path, status,
/// duration and the id of the message (or received message) it names. Handlers log `message.id`
/// of new messages themselves.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    var pathPrefix: String

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix(self.pathPrefix) else { return try await next(request, context) }
        let start = ContinuousClock.now
        let response = try await next(request, context)
        // Below debug the line is not written: no metadata is built for it (strings and a
        // dictionary per request).
        guard context.logger.logLevel <= .debug else { return response }
        var metadata: Logger.Metadata = [
            "http.method": "\(request.method.rawValue)",
            "http.path": "\(request.uri.path)",
            "http.status": "\(response.status.code)",
            "http.duration_ms": "\((ContinuousClock.now - start) / .milliseconds(1))",
        ]
        if let id = context.parameters.get("id") {
            // In lower case, as the other logs write ids, however the client wrote it.
            metadata[request.uri.path.hasPrefix("\(self.pathPrefix)/inbound") ? "inbound.id" : "message.id"] =
                "\(UUID(uuidString: id)?.lowercased ?? id)"
        }
        context.logger.debug("request", metadata: metadata)
        return response
    }
}
