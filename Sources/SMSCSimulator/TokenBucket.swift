internal import NIOCore

/// A token bucket: `rate` tokens per second, holding at most `capacity`. Time is an input.
struct TokenBucket: Sendable {
    let rate: Double
    let capacity: Double
    private var tokens: Double
    private var updated: NIODeadline

    init(rate: Double, capacity: Double? = nil, now: NIODeadline) {
        self.rate = rate
        self.capacity = capacity ?? max(1, rate)
        self.tokens = self.capacity
        self.updated = now
    }

    /// Takes one token if there is one.
    mutating func take(now: NIODeadline) -> Bool {
        let elapsed = Double((now - self.updated).nanoseconds) / 1e9
        if elapsed > 0 {
            self.tokens = min(self.capacity, self.tokens + elapsed * self.rate)
            self.updated = now
        }
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }
}
