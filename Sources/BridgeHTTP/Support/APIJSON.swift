import Foundation
import OpenAPIRuntime

/// The one JSON setting of the API, shared by the generated server and the bytes the API encodes
/// itself (problems, stored idempotent responses): compact, sorted keys, slashes unescaped, dates as
/// RFC 3339 with milliseconds. Encoding the same value gives the same bytes everywhere.
enum APIJSON {
    static let dateTranscoder = APIDateTranscoder()

    /// For `registerHandlers(on:configuration:)`.
    static let openAPIConfiguration = Configuration(
        dateTranscoder: dateTranscoder,
        jsonEncodingOptions: [.sortedKeys, .withoutEscapingSlashes]
    )

    /// Encodes like the generated server does with ``openAPIConfiguration``.
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(dateTranscoder.encode(date))
        }
        return try encoder.encode(value)
    }

    /// Decodes like the generated server does with ``openAPIConfiguration``.
    static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            return try dateTranscoder.decode(container.decode(String.self))
        }
        return try decoder.decode(type, from: data)
    }
}

/// RFC 3339 date-times: written in UTC with milliseconds (`2025-01-31T09:30:00.123Z`); read with or
/// without fractional seconds, with `Z` or an offset (`2025-01-31T10:30:00+01:00`).
struct APIDateTranscoder: DateTranscoder {
    private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    /// The start of the message of a date that cannot be read, so that problems can recognise it.
    static let failureMessage = "expected an RFC 3339 date-time such as 2025-01-31T09:30:00Z"

    /// The millisecond a date falls in (cut, not rounded: a listing's `created_since` taken from a
    /// message's `created_at` still finds it), read from its microseconds — what PostgreSQL keeps.
    /// Half of all decimal milliseconds are a hair under their value as a Double (.002 is .00199…),
    /// and the formatter cut them one less: a send_at of .002 came back .001. Half a microsecond
    /// (more than a Double's error here, less than a microsecond) puts them back.
    func encode(_ date: Date) throws -> String {
        let milliseconds = (date.timeIntervalSinceReferenceDate * 1000 + 0.000_5).rounded(.down)
        return Self.style.format(Date(timeIntervalSinceReferenceDate: (milliseconds + 0.01) / 1000))
    }

    func decode(_ text: String) throws -> Date {
        guard Self.fieldsAreInRange(text), let date = try? Self.style.parse(text) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: "\(Self.failureMessage), got '\(text)'")
            )
        }
        // Half a microsecond on: PostgresNIO cuts a date to microseconds, and .002 as a Double is
        // .00199…, which it stored as .001999.
        return date.addingTimeInterval(0.000_000_5)
    }

    /// Whether the fields of `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` are each in range (month
    /// 1–12, a day the month has, hour 0–23, minute and second 0–59, offset up to 23:59). The
    /// parser alone rolls 2026-02-30 over to March 2nd and 25:00 to the next day.
    static func fieldsAreInRange(_ text: String) -> Bool {
        let octets = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= octets.count else { return nil }
            var value = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(octets[index]) else { return nil }
                value = value * 10 + Int(octets[index] - UInt8(ascii: "0"))
            }
            return value
        }
        func octet(_ index: Int, in set: String) -> Bool { index < octets.count && set.utf8.contains(octets[index]) }
        guard let year = number(0..<4), octet(4, in: "-"), let month = number(5..<7), octet(7, in: "-"),
            let day = number(8..<10), octet(10, in: "T"), let hour = number(11..<13), octet(13, in: ":"),
            let minute = number(14..<16), octet(16, in: ":"), let second = number(17..<19)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...12).contains(month), (1...days[month - 1]).contains(day), hour <= 23, minute <= 59, second <= 59
        else { return false }
        var index = 19
        if octet(index, in: ".") {
            index += 1
            let start = index
            while number(index..<index + 1) != nil { index += 1 }
            guard index > start else { return false }
        }
        if octet(index, in: "Z") { return index == octets.count - 1 }
        guard octet(index, in: "+-"), octets.count == index + 6, let offsetHours = number(index + 1..<index + 3),
            octet(index + 3, in: ":"), let offsetMinutes = number(index + 4..<index + 6)
        else { return false }
        return offsetHours <= 23 && offsetMinutes <= 59
    }
}
