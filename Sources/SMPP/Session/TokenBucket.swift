public import NIOCore

/// A token bucket: `rate` tokens per second, holding at most `capacity`. Time is an input.
///
/// Used to keep to an SMSC's throughput limit (and by the simulator to enforce one).
public struct TokenBucket: Hashable, Sendable {
    public let rate: Double
    public let capacity: Double
    private var tokens: Double
    private var updated: NIODeadline

    /// A full bucket. `capacity` defaults to one second's worth (at least 1).
    public init(rate: Double, capacity: Double? = nil, now: NIODeadline) {
        precondition(rate > 0, "a token bucket needs a positive rate")
        self.rate = rate
        self.capacity = capacity ?? max(1, rate)
        self.tokens = self.capacity
        self.updated = now
    }

    private mutating func refill(now: NIODeadline) {
        let elapsed = Double((now - self.updated).nanoseconds) / 1e9
        guard elapsed > 0 else { return }
        self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
        self.updated = now
    }

    /// Takes one token if there is one.
    public mutating func take(now: NIODeadline) -> Bool {
        self.refill(now: now)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }

    /// When the next token will be available (now, if one is).
    public mutating func nextToken(now: NIODeadline) -> NIODeadline {
        self.refill(now: now)
        guard self.tokens < 1 else { return now }
        return now + .nanoseconds(Int64(((1 - self.tokens) / self.rate * 1e9).rounded(.up)))
    }
}
