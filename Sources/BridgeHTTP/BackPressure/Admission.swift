import BridgeStore
import Logging

/// Whether new messages may come in now: the queue's bounds (`503`), then the account's rate
/// (`429`). Both come with `Retry-After`.
struct Admission<Messages: MessageRepository>: Sendable {
    var queue: QueueMonitor<Messages>
    var rateLimiter: RateLimiter
    var database: DatabaseGate

    func admit(_ count: Int, for account: Account, logger: Logger) async throws {
        try await self.queue.check(database: self.database, logger: logger)
        if let wait = self.rateLimiter.admit(count, for: account, now: ContinuousClock.now) {
            let seconds = max(1, Int((wait / .seconds(1)).rounded(.up)))
            logger.debug("rate limited", metadata: ["rate_limit.retry_after": "\(seconds)"])
            throw APIProblem(
                .rateLimited,
                detail:
                    "the account may send \(account.rateLimit.map { "\($0)" } ?? "\(self.rateLimiter.defaultRate)") messages per second; \(count) now would exceed it",
                retryAfter: seconds
            )
        }
    }
}
