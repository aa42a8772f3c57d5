public import HTTPTypes

/// A kind of problem: its stable `type` URI, its title and HTTP status.
public struct ProblemType: Hashable, Sendable, CustomStringConvertible {
    /// The last segment of the type URI, e.g. `invalid-field`.
    public var slug: String
    public var title: String
    public var status: HTTPResponse.Status

    public init(slug: String, title: String, status: HTTPResponse.Status) {
        self.slug = slug
        self.title = title
        self.status = status
    }

    /// Where every type URI starts.
    public static let baseURI = "https://smsbridge.dev/problems/"

    /// The stable `type` URI, e.g. `https://smsbridge.dev/problems/invalid-field`.
    public var uri: String { Self.baseURI + self.slug }

    public var description: String { self.slug }

    /// The body is not JSON (or not UTF-8), or missing.
    public static let malformedBody = ProblemType(slug: "malformed-body", title: "Malformed body", status: .badRequest)
    /// A field, query parameter or header is missing, of the wrong type, unknown, or invalid.
    public static let invalidField = ProblemType(slug: "invalid-field", title: "Invalid field", status: .badRequest)
    public static let unauthorized = ProblemType(slug: "unauthorized", title: "Unauthorized", status: .unauthorized)
    public static let notFound = ProblemType(slug: "not-found", title: "Not found", status: .notFound)
    /// A path of the API asked with a method it does not have; the answer's `Allow` lists those it has.
    public static let methodNotAllowed = ProblemType(
        slug: "method-not-allowed",
        title: "Method not allowed",
        status: .methodNotAllowed
    )
    public static let notAcceptable = ProblemType(
        slug: "not-acceptable",
        title: "Not acceptable",
        status: .notAcceptable
    )
    public static let notCancelable = ProblemType(
        slug: "not-cancelable",
        title: "Message cannot be canceled",
        status: .conflict
    )
    public static let idempotencyKeyReused = ProblemType(
        slug: "idempotency-key-reused",
        title: "Idempotency key reused",
        status: .conflict
    )
    public static let bodyTooLarge = ProblemType(
        slug: "body-too-large",
        title: "Body too large",
        status: .contentTooLarge
    )
    public static let unsupportedMediaType = ProblemType(
        slug: "unsupported-media-type",
        title: "Unsupported media type",
        status: .unsupportedMediaType
    )
    public static let rateLimited = ProblemType(slug: "rate-limited", title: "Rate limited", status: .tooManyRequests)
    public static let queueFull = ProblemType(slug: "queue-full", title: "Queue full", status: .serviceUnavailable)
    public static let databaseUnavailable = ProblemType(
        slug: "database-unavailable",
        title: "Database unavailable",
        status: .serviceUnavailable
    )
    public static let `internal` = ProblemType(
        slug: "internal",
        title: "Internal error",
        status: .internalServerError
    )
}
