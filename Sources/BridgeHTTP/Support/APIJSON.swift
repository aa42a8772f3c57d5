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

    func encode(_ date: Date) throws -> String {
        Self.style.format(date)
    }

    func decode(_ text: String) throws -> Date {
        guard let date = try? Self.style.parse(text) else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: [], debugDescription: "\(Self.failureMessage), got '\(text)'")
            )
        }
        return date
    }
}
