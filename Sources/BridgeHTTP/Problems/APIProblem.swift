public import BridgeCore
import Foundation
public import HTTPTypes
public import Hummingbird
import NIOCore

/// An error that reaches an HTTP client: it renders itself as `application/problem+json`
/// (RFC 9457) with a stable `type` URI, the first failing `field` and every failing field in `errors`.
public struct APIProblem: Error, Sendable, Hashable, HTTPResponseError, CustomStringConvertible {
    public var type: ProblemType
    /// What went wrong this time.
    public var detail: String
    /// Every failing field (the first is the problem's `field`); empty when no field is at fault.
    public var errors: [FieldError]
    /// Seconds for `Retry-After` (429 and 503).
    public var retryAfter: Int?
    /// More response headers, e.g. `WWW-Authenticate`.
    public var headers: HTTPFields

    public init(
        _ type: ProblemType,
        detail: String,
        errors: [FieldError] = [],
        retryAfter: Int? = nil,
        headers: HTTPFields = [:]
    ) {
        self.type = type
        self.detail = detail
        self.errors = errors
        self.retryAfter = retryAfter
        self.headers = headers
    }

    /// The first failing field.
    public var field: String? { self.errors.first?.field }

    public var status: HTTPResponse.Status { self.type.status }

    public var description: String { "\(self.type.slug): \(self.detail)" }

    /// The problem as the API's `Problem` schema.
    var body: Components.Schemas.Problem {
        Components.Schemas.Problem(
            _type: self.type.uri,
            title: self.type.title,
            status: self.type.status.code,
            detail: self.detail,
            field: self.field,
            errors: self.errors.isEmpty
                ? nil
                : self.errors.map { Components.Schemas.FieldError(field: $0.field, code: $0.code, detail: $0.detail) }
        )
    }

    /// The headers of the response: the content type, `Retry-After` and ``headers``.
    var responseHeaders: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter = self.retryAfter { fields[.retryAfter] = String(retryAfter) }
        fields.append(contentsOf: self.headers)
        return fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        self.response()
    }

    /// The `application/problem+json` response.
    func response() -> Response {
        // Encoding strings and integers cannot fail.
        let data = (try? APIJSON.encode(self.body)) ?? Data(#"{"status":500,"title":"Internal error"}"#.utf8)
        return Response(
            status: self.status,
            headers: self.responseHeaders,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}

extension APIProblem {
    /// Fields that failed validation or decoding (400).
    public static func invalidFields(_ errors: [FieldError]) -> APIProblem {
        APIProblem(.invalidField, detail: errors.map(\.description).joined(separator: "; "), errors: errors)
    }

    /// One field that failed (400).
    public static func invalidField(_ field: String, code: String, _ detail: String) -> APIProblem {
        self.invalidFields([FieldError(field: field, code: code, detail: detail)])
    }

    /// The body as a whole is not acceptable JSON (400); its field is `$`.
    public static func malformedBody(code: String, _ detail: String) -> APIProblem {
        APIProblem(.malformedBody, detail: detail, errors: [FieldError(field: "$", code: code, detail: detail)])
    }

    /// 405 for a path of the API asked with a method it does not have, with `Allow` listing those
    /// it has (RFC 9110 §15.5.6).
    public static func methodNotAllowed(
        _ method: HTTPRequest.Method,
        path: String,
        allowed: [HTTPRequest.Method]
    ) -> APIProblem {
        let allow = allowed.map(\.rawValue).joined(separator: ", ")
        return APIProblem(
            .methodNotAllowed,
            detail: "\(method.rawValue) is not a method of \(path); it has \(allow)",
            headers: [.allow: allow]
        )
    }

    /// 404 for an id this account does not have (whether or not another account has it).
    public static func notFound(_ what: String) -> APIProblem {
        APIProblem(.notFound, detail: "no \(what) with this id")
    }
}
