import BridgeCore
import BridgeStore
import HTTPTypes
import Hummingbird
import Logging

/// Authenticates every request with `Authorization: Bearer sbk_…` and puts the account into the
/// request context. Missing, malformed, unknown and revoked keys get `401` with
/// `WWW-Authenticate: Bearer`; a database that cannot be reached gets `503`, not `401`.
///
/// Successful lookups are cached (``BridgeAPI/Configuration/authenticationCacheTTL``): a revoked
/// key keeps working for at most that long.
struct AuthenticationMiddleware<Accounts: AccountRepository>: RouterMiddleware {
    typealias Context = APIRequestContext

    var accounts: Accounts
    var cache: APIKeyCache
    var database: DatabaseGate

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let key = try Self.bearerToken(request.headers[.authorization])
        let now = ContinuousClock.now
        let account: Account
        if let cached = self.cache.account(forKey: key, now: now) {
            account = cached
        } else {
            let accounts = self.accounts
            guard
                let found = try await self.database.run(context.logger, { try await accounts.account(forAPIKey: key) })
            else {
                throw Self.unauthorized(
                    code: "invalid_token",
                    "the API key is unknown or revoked",
                    challenge:
                        #"Bearer realm="smsbridge", error="invalid_token", error_description="unknown or revoked API key""#
                )
            }
            self.cache.insert(found, forKey: key, now: now)
            account = found
        }
        var context = context
        context.account = account
        context.logger[metadataKey: "account.id"] = "\(account.id.lowercased)"
        return try await next(request, context)
    }

    /// The key of an `Authorization: Bearer <key>` header.
    static func bearerToken(_ header: String?) throws -> String {
        guard let header, !header.isEmpty else {
            throw Self.unauthorized(
                code: "missing",
                "an API key is required: Authorization: Bearer sbk_…",
                challenge: #"Bearer realm="smsbridge""#
            )
        }
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw Self.unauthorized(
                code: "malformed",
                "the Authorization header must be: Bearer sbk_…",
                challenge:
                    #"Bearer realm="smsbridge", error="invalid_request", error_description="expected Bearer and an API key""#
            )
        }
        return String(parts[1])
    }

    static func unauthorized(code: String, _ detail: String, challenge: String) -> APIProblem {
        APIProblem(
            .unauthorized,
            detail: detail,
            errors: [FieldError(field: "Authorization", code: code, detail: detail)],
            headers: [.wwwAuthenticate: challenge]
        )
    }
}
