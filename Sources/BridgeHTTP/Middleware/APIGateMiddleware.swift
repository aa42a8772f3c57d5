import Hummingbird

/// What every request on a path of the API passes before it is answered — its operations, and the
/// `HEAD`, `OPTIONS` and `405` answers alike: content negotiation, then the key check. One piece,
/// so that a step added here applies to all of them (``ExtensionMethodMiddleware`` runs it too).
struct APIGateMiddleware<Accounts: AccountRepository>: RouterMiddleware {
    typealias Context = APIRequestContext

    let authentication: AuthenticationMiddleware<Accounts>

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        try await ContentNegotiationMiddleware().handle(request, context: context) { request, context in
            try await self.authentication.handle(request, context: context, next: next)
        }
    }
}
