import Foundation

/// A configuration problem, named by its key path (`connectors.main.window`) and, when the value
/// came from the environment, by its variable (`connectors.main.password (from
/// SMSBRIDGE_CONNECTOR_MAIN_PASSWORD): at most 8 characters (SMPP 3.4)`).
public struct BridgeConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var problem: String
    /// The environment variable the value came from, if it did not come from the file.
    public var variable: String?

    public init(key: String, problem: String, variable: String? = nil) {
        self.key = key
        self.problem = problem
        self.variable = variable
    }

    public var description: String {
        guard !self.key.isEmpty else { return self.problem }
        return "\(self.key)\(self.variable.map { " (from \($0))" } ?? ""): \(self.problem)"
    }
}

/// A length of time written as seconds (`30`, `0.5`) or with a unit (`250ms`, `30s`, `5m`, `2h`, `7d`).
public struct ConfigDuration: Hashable, Sendable, Codable, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public static func seconds(_ value: Double) -> Self { Self(seconds: value) }
    public static func minutes(_ value: Double) -> Self { Self(seconds: value * 60) }
    public static func hours(_ value: Double) -> Self { Self(seconds: value * 3_600) }
    public static func days(_ value: Double) -> Self { Self(seconds: value * 86_400) }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) {
            self.seconds = number
        } else {
            let text = try container.decode(String.self)
            guard let parsed = Self.parse(text) else {
                throw DecodingError.dataCorruptedError(
                    in: container,
                    debugDescription: "\"\(text)\" is not a duration (e.g. 250ms, 30s, 5m, 2h, 7d)"
                )
            }
            self = parsed
        }
        guard self.seconds >= 0, self.seconds.isFinite else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "must not be negative")
        }
    }

    /// Written with its unit (`30s`, `5m`, `250ms`).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    /// Reads `30`, `0.5`, `250ms`, `30s`, `5m`, `2h`, `7d`; nil for anything else or a negative value.
    public init?(parsing text: String) {
        guard let parsed = Self.parse(text), parsed.seconds >= 0, parsed.seconds.isFinite else { return nil }
        self = parsed
    }

    static func parse(_ text: String) -> Self? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3_600), ("d", 86_400)]
        for (unit, scale) in units where trimmed.hasSuffix(unit) {
            let number = trimmed.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            if let value = Double(number) { return Self(seconds: value * scale) }
        }
        return Double(trimmed).map(Self.init(seconds:))
    }

    public var duration: Duration { .milliseconds(Int64((self.seconds * 1_000).rounded())) }

    public var description: String {
        if self.seconds < 1 { return "\(Int((self.seconds * 1_000).rounded()))ms" }
        for (unit, scale) in [("d", 86_400.0), ("h", 3_600), ("m", 60)]
        where self.seconds >= scale && self.seconds.truncatingRemainder(dividingBy: scale) == 0 {
            return "\(Int(self.seconds / scale))\(unit)"
        }
        return self.seconds == self.seconds.rounded() ? "\(Int(self.seconds))s" : "\(self.seconds)s"
    }
}

/// Any key, to list the keys a mapping has.
struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = "\(intValue)"
        self.intValue = intValue
    }
}

extension Decoder {
    /// A keyed container that refuses keys the section does not know: a misspelt setting is an
    /// error, not a silently ignored line.
    func strictContainer<Key: CodingKey & CaseIterable>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        let all = try self.container(keyedBy: AnyKey.self)
        let known = Key.allCases.map(\.stringValue)
        for key in all.allKeys where !known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key,
                in: all,
                debugDescription: "unknown key (known here: \(known.joined(separator: ", ")))"
            )
        }
        return try self.container(keyedBy: type)
    }
}

extension KeyedDecodingContainer {
    /// The value at `key`, or `fallback` when the key is absent.
    func callAsFunction<Value: Decodable>(_ key: Key, default fallback: Value) throws -> Value {
        try self.decodeIfPresent(Value.self, forKey: key) ?? fallback
    }
}

extension DecodingError {
    /// The key path and problem, in the configuration's own words.
    var configurationError: BridgeConfigurationError {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
                .trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return BridgeConfigurationError(key: path(context.codingPath + [key]), problem: "is required")
        case .typeMismatch(let type, let context):
            return BridgeConfigurationError(key: path(context.codingPath), problem: "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            return BridgeConfigurationError(
                key: path(context.codingPath),
                problem: "must be \(Self.describe(type)), not empty"
            )
        case .dataCorrupted(let context):
            return BridgeConfigurationError(key: path(context.codingPath), problem: context.debugDescription)
        @unknown default:
            return BridgeConfigurationError(key: "", problem: "\(self)")
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "a whole number"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "a text"
        default:
            if "\(type)".hasPrefix("Dictionary") {
                "a mapping"
            } else if "\(type)".hasPrefix("Array") {
                "a list"
            } else {
                "a \(type)"
            }
        }
    }
}
