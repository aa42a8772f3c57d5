import BridgeCore
import BridgeStore
import Logging

/// Whether new messages may come in now: their connector's queue bounds (`503`), then the
/// account's rate (`429`). Both come with `Retry-After`.
struct Admission<Messages: MessageRepository>: Sendable {
    var queue: QueueMonitor<Messages>
    var rateLimiter: RateLimiter
    var database: DatabaseGate

    /// The messages admitted, and the `503` for each connector whose queue refuses its messages
    /// (those are not admitted). Throws that `503` when no message is left, and the `429` when the
    /// admitted ones exceed the account's rate (only what would be stored counts against it).
    func admit(
        _ messages: [AcceptedMessage],
        for account: Account,
        logger: Logger
    ) async throws -> (admitted: [AcceptedMessage], refused: [String: APIProblem]) {
        let refused = try await self.queue.overloaded(Set(messages.map(\.connector)), database: self.database, logger: logger)
        let admitted = refused.isEmpty ? messages : messages.filter { refused[$0.connector] == nil }
        if admitted.isEmpty, let problem = refused.sorted(by: { $0.key < $1.key }).first?.value { throw problem }
        if let wait = self.rateLimiter.admit(admitted.count, for: account, now: ContinuousClock.now) {
            let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
            logger.debug("rate limited", metadata: ["rate_limit.retry_after": "\(seconds)"])
            throw APIProblem(
                .rateLimited,
                detail:
                    "the account may send \(account.rateLimit.map { "\($0)" } ?? "\(self.rateLimiter.defaultRate)") messages per second; \(admitted.count) now would exceed it",
                retryAfter: seconds
            )
        }
        return (admitted, refused)
    }
}
