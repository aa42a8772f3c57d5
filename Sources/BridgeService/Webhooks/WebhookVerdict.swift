import Foundation

/// What an attempt's outcome means for its event: any `2xx` delivers it; `410 Gone` ends it at
/// once; a `429 Too Many Requests`, or a `503` with a `Retry-After`, asks for fewer requests;
/// anything else — other `4xx` (often a receiver's deploy or configuration gone wrong for a
/// while), `5xx`, `3xx`, no answer — is tried again.
enum WebhookVerdict: Equatable {
    case delivered
    /// `410 Gone`: the receiver says the URL is gone for good; the event is dead after this attempt.
    case gone
    /// `429`, or `503` with a `Retry-After` it could read: the receiver asks for fewer requests.
    /// The event is tried again on the schedule, not before `until` (its `Retry-After`, `nil` when
    /// it gave none), and the account's other events to the destination wait as long.
    case slowDown(until: Date?)
    /// Tried again on the schedule.
    case retry

    /// - Parameters:
    ///   - statusCode: the answer's status; `nil` when there was none (a network error, a timeout).
    ///   - retryAfter: the answer's `Retry-After` header, if any.
    init(statusCode: Int?, retryAfter: String?, now: Date) {
        // Read only where it counts (parsing an HTTP date is not free).
        var until: Date? { retryAfter.flatMap { Self.retryAfter($0, now: now) } }
        switch statusCode {
        case .some(200..<300): self = .delivered
        case 410: self = .gone
        case 429: self = .slowDown(until: until)
        // A 503 without a time is a server in trouble: a failure, for the breaker to judge.
        case 503: self = until.map { .slowDown(until: $0) } ?? .retry
        default: self = .retry
        }
    }

    /// A `429`, or a `503` with `Retry-After`: ``slowDown(until:)``.
    var asksToSlowDown: Bool {
        if case .slowDown = self { return true }
        return false
    }

    /// The time a `Retry-After` value names: whole seconds after `now`, or an HTTP date
    /// (RFC 9110: IMF-fixdate, or the obsolete RFC 850 and asctime forms). `nil` when it is neither.
    static func retryAfter(_ value: String, now: Date) -> Date? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) {
            // However large, a number of seconds: the schedule caps the delay.
            return TimeInterval(text).map { now.addingTimeInterval(min($0, 1e9)) }
        }
        // asctime pads the day with a space ("Nov  6").
        let date = text.split(separator: " ").joined(separator: " ")
        for format in Self.httpDateFormats {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let parsed = formatter.date(from: date) { return parsed }
        }
        return nil
    }

    private static let httpDateFormats = [
        "EEE, dd MMM yyyy HH:mm:ss 'GMT'",  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        "EEEE, dd-MMM-yy HH:mm:ss 'GMT'",  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
        "EEE MMM d HH:mm:ss yyyy",  // asctime: Sun Nov  6 08:49:37 1994
    ]
}
