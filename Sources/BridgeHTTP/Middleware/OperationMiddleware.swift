import HTTPTypes
import Hummingbird
import NIOCore
import OpenAPIRuntime

/// The innermost middleware, around the generated server: binds the typed request context for the
/// handlers (which receive only their operation's input) and unwraps what the generated server
/// throws. A request it could not read becomes a problem naming the failing field
/// (``RequestProblems``); a handler's error is passed on as thrown, so that the middleware above
/// sees the API's own errors.
struct OperationMiddleware: RouterMiddleware {
    typealias Context = APIRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await APIRequestContext.$current.withValue(context) {
                try await next(request, context)
            }
        } catch let error as ServerError {
            guard error.operationInput == nil else { throw error.underlyingError }
            let body = (try? await request.body.collect(upTo: .max)).map { Array($0.readableBytesView) } ?? []
            let query = request.uri.queryParameters.map { (String($0.key), String($0.value)) }
            throw RequestProblems.problem(for: error, body: body, query: query)
        }
    }
}
