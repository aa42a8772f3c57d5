import BridgeStore
import Foundation
import Synchronization

/// Per-account rate limits over HTTP: each account's own `rate_limit`, or the configured default,
/// in messages per second; a batch counts every item.
final class RateLimiter: Sendable {
    let defaultRate: Double
    /// Seconds of rate an account may save up (the bucket holds `rate × burst`, at least 1).
    let burst: Double
    private let buckets = Mutex<[UUID: RateBucket]>([:])

    init(defaultRate: Double, burst: Double) {
        self.defaultRate = defaultRate
        self.burst = burst
    }

    /// Admits `count` messages of `account` now, or returns how long to wait.
    func admit(_ count: Int, for account: Account, now: ContinuousClock.Instant) -> Duration? {
        let rate = account.rateLimit ?? self.defaultRate
        // A rate of zero (or less) in the database stops the account from sending.
        guard rate > 0, rate.isFinite else { return .seconds(60) }
        let capacity = max(1, rate * self.burst)
        return self.buckets.withLock { buckets in
            var bucket = buckets[account.id] ?? RateBucket(capacity: capacity, now: now)
            let wait = bucket.take(count, rate: rate, capacity: capacity, now: now)
            buckets[account.id] = bucket
            return wait
        }
    }
}
