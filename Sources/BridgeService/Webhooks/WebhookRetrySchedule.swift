public import Foundation

/// When a failed webhook is tried again: exponential back-off with jitter, within a budget.
public struct WebhookRetrySchedule: Sendable, Hashable {
    /// Delay after the first failed attempt. Default 5 s.
    public var firstDelay: TimeInterval = 5
    /// Each further delay is this many times the previous. Default 2.
    public var multiplier: Double = 2
    /// Longest delay, also the longest a `Retry-After` holds an account's events to a destination
    /// back. Default 1 hour.
    public var maximumDelay: TimeInterval = 3_600
    /// Each delay is varied at random by up to this fraction, either way, so that events that failed
    /// together do not come back together. Default 0.2.
    public var jitter: Double = 0.2
    /// No attempt is made later than this after the event was written (or redelivered). Default 24 h.
    public var giveUpAfter: TimeInterval = 86_400
    /// At most this many attempts; `nil` for no count limit (the time budget still holds). Default nil.
    public var maximumAttempts: Int?

    public init() {}

    /// The delay after `attempts` failed attempts (1 for the first), before jitter.
    public func baseDelay(afterAttempts attempts: Int) -> TimeInterval {
        let exponent = Double(max(0, attempts - 1))
        return min(self.maximumDelay, self.firstDelay * pow(self.multiplier, exponent))
    }

    /// The delay after `attempts` failed attempts with its jitter; `random` is a number in 0…1.
    public func delay(afterAttempts attempts: Int, random: Double) -> TimeInterval {
        max(0, self.baseDelay(afterAttempts: attempts) * (1 + self.jitter * (2 * random - 1)))
    }

    /// When to try again after `attempts` failed attempts, or `nil` when the budget is spent.
    /// `random` is a number in 0…1. `notBefore` (a receiver's `Retry-After`) makes the delay at
    /// least that long, up to ``maximumDelay``.
    public func nextAttempt(
        afterAttempts attempts: Int,
        since start: Date,
        now: Date,
        random: Double,
        notBefore: Date? = nil
    ) -> Date? {
        if let maximum = self.maximumAttempts, attempts >= maximum { return nil }
        var delay = self.delay(afterAttempts: attempts, random: random)
        if let notBefore {
            delay = max(delay, min(notBefore.timeIntervalSince(now), self.maximumDelay))
        }
        let next = now.addingTimeInterval(max(0, delay))
        return next.timeIntervalSince(start) > self.giveUpAfter ? nil : next
    }
}
