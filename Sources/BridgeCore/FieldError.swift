/// One invalid field of a request: which, what kind of problem (a stable code), and a sentence.
public struct FieldError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The JSON field, e.g. `to`, `messages[3].text`.
    public var field: String
    /// A stable code: `required`, `invalid`, `too_long`, `too_many_parts`, `unencodable`, …
    public var code: String
    /// A readable explanation.
    public var detail: String

    public init(field: String, code: String, detail: String) {
        self.field = field
        self.code = code
        self.detail = detail
    }

    public var description: String { "\(self.field): \(self.detail)" }

    /// The same error for a field inside a list element, e.g. `messages[2].to`.
    public func nested(in prefix: String) -> FieldError {
        FieldError(field: "\(prefix).\(self.field)", code: self.code, detail: self.detail)
    }
}
