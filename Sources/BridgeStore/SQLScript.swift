import Foundation

/// Splits an SQL script into statements at the semicolons that end them — not those inside
/// strings, quoted identifiers, dollar-quoted bodies or comments.
enum SQLScript {
    static func statements(_ script: String) -> [String] {
        let bytes = Array(script.utf8)
        var statements: [String] = []
        var start = 0
        var index = 0

        func peek(_ offset: Int) -> UInt8? { index + offset < bytes.count ? bytes[index + offset] : nil }
        func finish(_ end: Int) {
            let text = String(decoding: bytes[start..<end], as: UTF8.self)
            if !Self.isBlank(text) { statements.append(text) }
        }

        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "-") where peek(1) == UInt8(ascii: "-"):
                while index < bytes.count, bytes[index] != UInt8(ascii: "\n") { index += 1 }
            case UInt8(ascii: "/") where peek(1) == UInt8(ascii: "*"):
                var depth = 0
                repeat {
                    if bytes[index] == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "*") {
                        depth += 1
                        index += 2
                    } else if bytes[index] == UInt8(ascii: "*"), peek(1) == UInt8(ascii: "/") {
                        depth -= 1
                        index += 2
                    } else {
                        index += 1
                    }
                } while depth > 0 && index < bytes.count
            case UInt8(ascii: "'"):
                let backslashEscapes =
                    index > 0 && (bytes[index - 1] == UInt8(ascii: "E") || bytes[index - 1] == UInt8(ascii: "e"))
                index += 1
                while index < bytes.count {
                    if backslashEscapes, bytes[index] == UInt8(ascii: "\\") {
                        index += 2
                        continue
                    }
                    if bytes[index] == UInt8(ascii: "'") {
                        if peek(1) == UInt8(ascii: "'") {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
            case UInt8(ascii: "\""):
                index += 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\"") {
                        if peek(1) == UInt8(ascii: "\"") {
                            index += 2
                            continue
                        }
                        break
                    }
                    index += 1
                }
                index += 1
            case UInt8(ascii: "$"):
                // $tag$ … $tag$ (the tag may be empty)
                var end = index + 1
                while end < bytes.count,
                    bytes[end] == UInt8(ascii: "_")
                        || (bytes[end] | 0x20 >= UInt8(ascii: "a") && bytes[end] | 0x20 <= UInt8(ascii: "z"))
                        || (end > index + 1 && bytes[end] >= UInt8(ascii: "0") && bytes[end] <= UInt8(ascii: "9"))
                {
                    end += 1
                }
                guard end < bytes.count, bytes[end] == UInt8(ascii: "$") else {
                    index += 1
                    continue
                }
                let tag = Array(bytes[index...end])
                index = end + 1
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "$"), index + tag.count <= bytes.count,
                        Array(bytes[index..<(index + tag.count)]) == tag
                    {
                        index += tag.count
                        break
                    }
                    index += 1
                }
            case UInt8(ascii: ";"):
                finish(index)
                index += 1
                start = index
            default:
                index += 1
            }
        }
        if start < bytes.count { finish(bytes.count) }
        return statements
    }

    /// Whether the text holds only whitespace and comments.
    private static func isBlank(_ text: String) -> Bool {
        var remaining = Substring(text)
        while true {
            remaining = remaining.drop(while: \.isWhitespace)
            if remaining.hasPrefix("--") {
                remaining = remaining.drop(while: { $0 != "\n" })
            } else if remaining.hasPrefix("/*"), let end = remaining.range(of: "*/") {
                remaining = remaining[end.upperBound...]
            } else {
                return remaining.isEmpty
            }
        }
    }
}
