/// A token bucket for one account: `rate` messages per second, at most `capacity` saved up. Time is
/// an input.
///
/// A request for more messages than the bucket holds at most (a large batch) is let through when the
/// bucket is full and leaves it in debt, which later requests wait out: over time an account never
/// exceeds its rate, and a batch of 1000 is possible at any rate.
struct RateBucket: Sendable, Hashable {
    private(set) var tokens: Double
    private(set) var updated: ContinuousClock.Instant

    /// A full bucket.
    init(capacity: Double, now: ContinuousClock.Instant) {
        self.tokens = capacity
        self.updated = now
    }

    /// Takes `count` tokens when at least `min(count, capacity)` are there; otherwise takes nothing
    /// and returns how long until they will be.
    mutating func take(_ count: Int, rate: Double, capacity: Double, now: ContinuousClock.Instant) -> Duration? {
        if now > self.updated {
            let elapsed = (now - self.updated) / .seconds(1)
            self.tokens = min(capacity, self.tokens + elapsed * rate)
            self.updated = now
        }
        let needed = min(Double(count), capacity)
        guard self.tokens < needed else {
            self.tokens -= Double(count)
            return nil
        }
        return .seconds((needed - self.tokens) / rate)
    }
}
