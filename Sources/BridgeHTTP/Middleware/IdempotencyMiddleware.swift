import BridgeCore
import BridgeStore
import Crypto
import HTTPTypes
import Hummingbird
import Logging
import NIOCore

/// `Idempotency-Key` on `POST`s: a repeated key with the same method, path and body within 24
/// hours replays the first answer (status and body byte for byte, plus `Idempotent-Replayed: true`)
/// without running the handler again; the same key on another endpoint, or with another body, is
/// refused with `409`. Keys are one space per account: a key belongs to the endpoint it was first
/// used with.
///
/// Every `POST` operation honours the key: a first request gets an ``IdempotencyClaim`` in its
/// context, and its handler stores its response under the claim in the transaction that makes its
/// change (stores its messages, queues its event, rotates the secret), so that a response is
/// recorded if and only if its change is. When a concurrent request with the same key commits
/// first, the store refuses the second transaction (``StoreError/idempotencyKeyTaken``); this
/// middleware then reads the winner's record and replays it (or answers `409` if the winner was
/// another request).
struct IdempotencyMiddleware<Messages: MessageRepository>: RouterMiddleware {
    typealias Context = APIRequestContext

    var messages: Messages
    var database: DatabaseGate

    static var headerName: HTTPField.Name { HTTPField.Name("Idempotency-Key")! }
    static var replayedHeaderName: HTTPField.Name { HTTPField.Name("Idempotent-Replayed")! }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard request.method == .post, let key = request.headers[Self.headerName] else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw APIProblem.invalidField(
                Self.headerName.rawName,
                code: "invalid",
                "must be 1–255 visible ASCII characters"
            )
        }
        guard let account = context.account else {
            throw APIProblem(.unauthorized, detail: "no authenticated account")
        }
        // The body middleware has collected the body: this reads it from memory.
        let body = try await request.body.collect(upTo: .max)
        let claim = IdempotencyClaim(
            key: key,
            endpoint: "\(request.method.rawValue) \(request.uri.path)",
            requestHash: Array(SHA256.hash(data: body.readableBytesView))
        )
        let messages = self.messages
        if let record = try await self.database.run(
            context.logger,
            { try await messages.idempotencyRecord(accountID: account.id, key: key) }
        ) {
            return try Self.replay(record, for: claim, logger: context.logger)
        }
        var context = context
        context.idempotency = claim
        do {
            return try await next(request, context)
        } catch StoreError.idempotencyKeyTaken {
            // A concurrent request with this key committed first.
            guard
                let record = try await self.database.run(
                    context.logger,
                    { try await messages.idempotencyRecord(accountID: account.id, key: key) }
                )
            else {
                throw Self.conflict("a concurrent request with this Idempotency-Key is in progress; retry it")
            }
            return try Self.replay(record, for: claim, logger: context.logger)
        }
    }

    /// The recorded answer, if `claim` is the request that the record answered: the same endpoint
    /// (a record from before endpoints were recorded has none: its body alone decides) and body.
    static func replay(_ record: IdempotencyRecord, for claim: IdempotencyClaim, logger: Logger) throws -> Response {
        if let endpoint = record.endpoint, endpoint != claim.endpoint {
            throw self.conflict(
                code: "other_endpoint",
                "this Idempotency-Key was used with \(endpoint) in the last 24 hours; a key belongs to the "
                    + "endpoint it was first used with: use another key for \(claim.endpoint)"
            )
        }
        guard record.requestHash == claim.requestHash else {
            throw self.conflict("this Idempotency-Key was used with a different body in the last 24 hours")
        }
        logger.debug("idempotent replay", metadata: ["idempotency.key": "\(record.key)"])
        return Response(
            status: HTTPResponse.Status(code: record.statusCode),
            headers: [.contentType: "application/json; charset=utf-8", Self.replayedHeaderName: "true"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: record.response))
        )
    }

    /// `409` naming the header; `code` says why: `reused` (another body, or a concurrent request),
    /// `other_endpoint`.
    static func conflict(code: String = "reused", _ detail: String) -> APIProblem {
        APIProblem(
            .idempotencyKeyReused,
            detail: detail,
            errors: [FieldError(field: Self.headerName.rawName, code: code, detail: detail)]
        )
    }
}
