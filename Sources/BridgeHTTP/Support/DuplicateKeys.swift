import Foundation

/// Finds a name that appears twice in one JSON object.
///
/// RFC 8259 leaves such a document's meaning to the reader: Foundation keeps the first value, most
/// proxies and other parsers the last. A request whose fields two readers would see differently
/// (`{"to": "+4477…", "to": "+3361…"}`) is refused instead of guessed at.
enum DuplicateKeys {
    /// Nesting deeper than this is left to the decoder (no request of the API comes close).
    static let maximumDepth = 32

    /// The path of the first name repeated within one object (`messages[3].to`, `$` style as the
    /// API's field errors), or nil when there is none — or when the body is not JSON that this
    /// scan can follow, which the decoder then reports.
    static func first(in body: UnsafeRawBufferPointer) -> String? {
        var scanner = Scanner(bytes: body)
        var path: [RequestProblems.PathKey] = []
        return try? scanner.value(path: &path, depth: 0)
    }

    private struct Malformed: Error {}

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        /// Skips one value; answers the path of a repeated name found inside it.
        mutating func value(path: inout [RequestProblems.PathKey], depth: Int) throws(Malformed) -> String? {
            guard depth < DuplicateKeys.maximumDepth else { throw Malformed() }
            self.skipWhitespace()
            guard self.index < self.bytes.count else { throw Malformed() }
            switch self.bytes[self.index] {
            case UInt8(ascii: "{"): return try self.object(path: &path, depth: depth)
            case UInt8(ascii: "["): return try self.array(path: &path, depth: depth)
            case UInt8(ascii: "\""):
                _ = try self.string()
                return nil
            default:
                // A number or a literal: up to the next delimiter (the decoder judges its form).
                while self.index < self.bytes.count {
                    switch self.bytes[self.index] {
                    case UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), 0x20, 0x09, 0x0A, 0x0D: return nil
                    default: self.index += 1
                    }
                }
                return nil
            }
        }

        private mutating func object(path: inout [RequestProblems.PathKey], depth: Int) throws(Malformed) -> String? {
            self.index += 1
            var names: Set<String> = []
            self.skipWhitespace()
            if self.consume(UInt8(ascii: "}")) { return nil }
            while true {
                self.skipWhitespace()
                guard self.index < self.bytes.count, self.bytes[self.index] == UInt8(ascii: "\"") else {
                    throw Malformed()
                }
                let name = try self.string()
                path.append(RequestProblems.PathKey(stringValue: name))
                if !names.insert(name).inserted { return RequestProblems.path(path) }
                self.skipWhitespace()
                guard self.consume(UInt8(ascii: ":")) else { throw Malformed() }
                if let found = try self.value(path: &path, depth: depth + 1) { return found }
                path.removeLast()
                self.skipWhitespace()
                if self.consume(UInt8(ascii: ",")) { continue }
                guard self.consume(UInt8(ascii: "}")) else { throw Malformed() }
                return nil
            }
        }

        private mutating func array(path: inout [RequestProblems.PathKey], depth: Int) throws(Malformed) -> String? {
            self.index += 1
            self.skipWhitespace()
            if self.consume(UInt8(ascii: "]")) { return nil }
            var element = 0
            while true {
                path.append(RequestProblems.PathKey(intValue: element))
                if let found = try self.value(path: &path, depth: depth + 1) { return found }
                path.removeLast()
                element += 1
                self.skipWhitespace()
                if self.consume(UInt8(ascii: ",")) { continue }
                guard self.consume(UInt8(ascii: "]")) else { throw Malformed() }
                return nil
            }
        }

        /// Reads a string at the opening quote; answers its value (escapes resolved, so that
        /// `"t\u006f"` and `"to"` are the same name).
        private mutating func string() throws(Malformed) -> String {
            let start = self.index
            self.index += 1
            var escaped = false
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case UInt8(ascii: "\\"):
                    escaped = true
                    self.index += 2
                case UInt8(ascii: "\""):
                    self.index += 1
                    let literal = UnsafeRawBufferPointer(rebasing: self.bytes[start..<self.index])
                    guard escaped else { return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self) }
                    let value = try? JSONSerialization.jsonObject(with: Data(literal), options: .fragmentsAllowed)
                    guard let text = value as? String else { throw Malformed() }
                    return text
                default:
                    self.index += 1
                }
            }
            throw Malformed()
        }

        private mutating func skipWhitespace() {
            while self.index < self.bytes.count {
                switch self.bytes[self.index] {
                case 0x20, 0x09, 0x0A, 0x0D: self.index += 1
                default: return
                }
            }
        }

        private mutating func consume(_ byte: UInt8) -> Bool {
            guard self.index < self.bytes.count, self.bytes[self.index] == byte else { return false }
            self.index += 1
            return true
        }
    }
}
