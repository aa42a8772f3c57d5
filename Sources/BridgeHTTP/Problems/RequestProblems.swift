import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Turns the generated server's failures to read a request (content type, JSON, query parameters)
/// into problems that name the failing field.
///
/// The generated decoders stop at the first error and report it with its coding path; where that
/// path is not enough (an unknown field among several, a date the date strategy refused without a
/// path, a bad query parameter) the request is looked at again to name every failing field.
enum RequestProblems {
    /// The problem for a request the generated server could not turn into an operation's input.
    /// `body` is the request body (already collected), `query` its decoded query parameters.
    static func problem(for error: ServerError, body: [UInt8], query: [(String, String)]) -> APIProblem {
        switch error.httpStatus {
        case .unsupportedMediaType:
            let received = error.request.headerFields[.contentType] ?? "none"
            return APIProblem(
                .unsupportedMediaType,
                detail: "the body must be application/json, not \(received)",
                errors: [FieldError(field: "Content-Type", code: "unsupported", detail: "must be application/json")]
            )
        case .notAcceptable:
            return APIProblem(.notAcceptable, detail: "responses are application/json or application/problem+json")
        default:
            break
        }
        let readsBody = Self.bodyOperations.contains(error.operationID)
        if readsBody, body.isEmpty {
            return .malformedBody(code: "required", "a JSON body is required")
        }
        guard let decodingError = error.underlyingError as? DecodingError else {
            // Other request errors of the runtime: a malformed header or a missing parameter.
            return APIProblem(.invalidField, detail: error.causeDescription)
        }
        if readsBody {
            return self.bodyProblem(decodingError, body: body, operationID: error.operationID)
        }
        return self.queryProblem(decodingError, query: query, operationID: error.operationID)
    }

    /// Operations that read a JSON body.
    static let bodyOperations: Set<String> = [
        Operations.SendMessage.id, Operations.SendMessageBatch.id, Operations.PutWebhookSettings.id,
        Operations.SendTestWebhook.id, Operations.RotateWebhookSecret.id, Operations.RedeliverWebhook.id,
    ]

    // MARK: Bodies

    static func bodyProblem(_ error: DecodingError, body: [UInt8], operationID: String) -> APIProblem {
        if let offset = Self.invalidUTF8Offset(body) {
            return .malformedBody(code: "invalid_utf8", "the body is not valid UTF-8 (byte \(offset))")
        }
        switch error {
        case .typeMismatch(let type, let context):
            let field = Self.path(context.codingPath)
            return .invalidField(field, code: "invalid_type", "must be \(Self.jsonType(type))")
        case .valueNotFound(let type, let context):
            let field = Self.path(context.codingPath)
            return .invalidField(field, code: "invalid_type", "must be \(Self.jsonType(type)), not null")
        case .keyNotFound(let key, let context):
            return .invalidField(Self.path(context.codingPath + [key]), code: "required", "is required")
        case .dataCorrupted(let context):
            if context.debugDescription.hasPrefix("Additional properties are disabled") {
                var fields = Self.unknownFields(in: body, operationID: operationID)
                let reported = Self.path(context.codingPath)
                if !fields.contains(reported) { fields.insert(reported, at: 0) }
                return .invalidFields(
                    fields.map {
                        FieldError(field: $0, code: "unknown_field", detail: "is not a field of this request")
                    }
                )
            }
            if context.debugDescription.hasPrefix(APIDateTranscoder.failureMessage) {
                let fields = Self.invalidDateFields(in: body)
                return .invalidFields(
                    (fields.isEmpty ? [Self.path(context.codingPath)] : fields).map {
                        FieldError(field: $0, code: "invalid_date", detail: APIDateTranscoder.failureMessage)
                    }
                )
            }
            if context.codingPath.isEmpty {
                // Foundation reports a number the field's type cannot hold (1.5 or 1e30 for an
                // integer) as invalid JSON, without a path: find the field in the body.
                guard let numbers = Self.numbers(in: body) else {
                    // A number beyond a Double (`1e400`) stops Foundation's parser as well.
                    let reason = Self.syntaxError(body)
                    return .malformedBody(
                        code: "malformed_json",
                        reason.hasPrefix("Number ")
                            ? "the body cannot be read: \(reason)" : "the body is not valid JSON: \(reason)"
                    )
                }
                let errors = Self.numberErrors(numbers, operationID: operationID)
                guard errors.isEmpty else { return .invalidFields(errors) }
                return .invalidField("$", code: "invalid", "cannot be read as this request's body")
            }
            let field = Self.path(context.codingPath)
            let allowed = Self.allowedValues(of: context.codingPath.last?.stringValue ?? "")
            return .invalidField(
                field,
                code: "invalid",
                allowed.map { "must be one of \($0.joined(separator: ", "))" } ?? context.debugDescription
            )
        @unknown default:
            return .malformedBody(code: "malformed_json", "the body cannot be read: \(error)")
        }
    }

    /// Every field of the body that the request schemas do not have, in document order of the
    /// items and alphabetical order within one object.
    static func unknownFields(in body: [UInt8], operationID: String) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return [] }
        func unknown(in object: [String: Any], prefix: String, isKnown: (String) -> Bool) -> [String] {
            object.keys.filter { !isKnown($0) }.sorted().map { prefix.isEmpty ? $0 : "\(prefix).\($0)" }
        }
        switch operationID {
        case Operations.PutWebhookSettings.id:
            return unknown(in: root, prefix: "") {
                Components.Schemas.WebhookSettingsUpdate.CodingKeys(rawValue: $0) != nil
            }
        case Operations.SendTestWebhook.id:
            return unknown(in: root, prefix: "") {
                Components.Schemas.TestWebhookRequest.CodingKeys(rawValue: $0) != nil
            }
        case Operations.RotateWebhookSecret.id:
            return unknown(in: root, prefix: "") {
                Components.Schemas.RotateSecretRequest.CodingKeys(rawValue: $0) != nil
            }
        default:
            break
        }
        let isMessageField = { Components.Schemas.SendMessageRequest.CodingKeys(rawValue: $0) != nil }
        guard operationID == Operations.SendMessageBatch.id else {
            return unknown(in: root, prefix: "", isKnown: isMessageField)
        }
        var fields = unknown(in: root, prefix: "") { Components.Schemas.BatchRequest.CodingKeys(rawValue: $0) != nil }
        let isItemField = { Components.Schemas.BatchItem.CodingKeys(rawValue: $0) != nil }
        for (index, item) in ((root["messages"] as? [Any]) ?? []).enumerated() {
            guard let item = item as? [String: Any] else { continue }
            fields += unknown(in: item, prefix: "messages[\(index)]", isKnown: isItemField)
        }
        return fields
    }

    /// The `send_at` fields whose value is not a date-time the API reads.
    static func invalidDateFields(in body: [UInt8]) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return [] }
        func invalid(_ object: [String: Any]) -> Bool {
            guard let text = object["send_at"] as? String else { return false }
            return (try? APIJSON.dateTranscoder.decode(text)) == nil
        }
        var fields: [String] = invalid(root) ? ["send_at"] : []
        for (index, item) in ((root["messages"] as? [Any]) ?? []).enumerated() {
            if let item = item as? [String: Any], invalid(item) { fields.append("messages[\(index)].send_at") }
        }
        return fields
    }

    /// The numbers of the body that the schema's integer fields cannot hold: not an integer
    /// (`1.5`, `invalid_type`), or an integer outside the field's type (`out_of_range`). Foundation's
    /// decoder reports these as invalid JSON, without a path.
    static func numberErrors(_ numbers: [JSONNumber], operationID: String) -> [FieldError] {
        var integerTypes: [String: (any FixedWidthInteger.Type)?] = [:]
        return numbers.compactMap { number in
            let schema: any Decodable.Type
            switch (operationID, number.path.count) {
            case (Operations.SendMessageBatch.id, 3) where number.path[0].stringValue == "messages":
                schema = Components.Schemas.BatchItem.self
            case (_, 1):
                guard let root = Self.bodySchema(of: operationID) else { return nil }
                schema = root
            default:
                return nil
            }
            guard let last = number.path.last, last.intValue == nil else { return nil }
            let key = "\(schema).\(last.stringValue)"
            let type = integerTypes[key] ?? Self.integerType(of: last.stringValue, in: schema)
            integerTypes[key] = type
            guard let type, let (code, detail) = Self.integerProblem(number.literal, as: type) else { return nil }
            return FieldError(field: Self.path(number.path), code: code, detail: detail)
        }
    }

    /// The schema of an operation's body.
    static func bodySchema(of operationID: String) -> (any Decodable.Type)? {
        switch operationID {
        case Operations.SendMessage.id: Components.Schemas.SendMessageRequest.self
        case Operations.SendMessageBatch.id: Components.Schemas.BatchRequest.self
        case Operations.PutWebhookSettings.id: Components.Schemas.WebhookSettingsUpdate.self
        case Operations.SendTestWebhook.id: Components.Schemas.TestWebhookRequest.self
        case Operations.RotateWebhookSecret.id: Components.Schemas.RotateSecretRequest.self
        case Operations.RedeliverWebhook.id: Components.Schemas.RedeliverRequest.self
        default: nil
        }
    }

    /// The integer type of `field` in `schema`, or `nil` when it is not an integer field: the
    /// generated decoder, given a string there, names the type it wanted.
    static func integerType(of field: String, in schema: any Decodable.Type) -> (any FixedWidthInteger.Type)? {
        guard let probe = try? APIJSON.encode([field: "?"]) else { return nil }
        do {
            _ = try APIJSON.decode(schema, from: probe)
            return nil
        } catch DecodingError.typeMismatch(let type, _) {
            return type as? any FixedWidthInteger.Type
        } catch {
            return nil
        }
    }

    /// What is wrong with a JSON number `literal` for an integer of `type`, or `nil` if it fits.
    static func integerProblem(
        _ literal: String,
        as type: any FixedWidthInteger.Type
    ) -> (code: String, detail: String)? {
        func problem<Integer: FixedWidthInteger>(_: Integer.Type) -> (code: String, detail: String)? {
            let outOfRange = ("out_of_range", literal.hasPrefix("-") ? "is too small" : "is too large")
            guard literal.contains(where: { ".eE".contains($0) }) else {
                return Integer(literal) == nil ? outOfRange : nil
            }
            guard let value = Double(literal), value.isFinite else { return outOfRange }
            guard value.rounded(.towardZero) == value else { return ("invalid_type", "must be an integer") }
            return Integer(exactly: value) == nil ? outOfRange : nil
        }
        return problem(type)
    }

    /// Where the body stops being UTF-8, or `nil` when it is UTF-8.
    static func invalidUTF8Offset(_ bytes: [UInt8]) -> Int? {
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        var offset = 0
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return nil
            case .error: return offset
            }
        }
    }

    /// What the JSON parser says is wrong with the body.
    static func syntaxError(_ body: [UInt8]) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed])
            return "not a JSON object"
        } catch {
            return ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        }
    }

    // MARK: Query parameters

    /// The query parameters an operation reads, each with a check of its value; the generated
    /// decoder's error does not always say which one failed.
    static func queryProblem(_ error: DecodingError, query: [(String, String)], operationID: String) -> APIProblem {
        let checks: [(name: String, problem: (String) -> String?)]
        let date: (String) -> String? = {
            (try? APIJSON.dateTranscoder.decode($0)) == nil ? APIDateTranscoder.failureMessage : nil
        }
        let limit: (String) -> String? = { Int($0) == nil ? "must be an integer" : nil }
        let cursor: (String) -> String? = { ListCursor(token: $0) == nil ? "is not a cursor this API returned" : nil }
        switch operationID {
        case Operations.ListMessages.id:
            let statuses = Components.Schemas.MessageStatus.allCases.map(\.rawValue)
            checks = [
                ("status", { statuses.contains($0) ? nil : "must be one of \(statuses.joined(separator: ", "))" }),
                ("created_since", date), ("created_until", date), ("limit", limit), ("cursor", cursor),
            ]
        case Operations.ListInbound.id:
            checks = [("limit", limit), ("cursor", cursor)]
        case Operations.ListWebhookDeliveries.id:
            let statuses = Components.Schemas.WebhookDeliveryStatus.allCases.map(\.rawValue)
            let types = Components.Schemas.WebhookEventType.allCases.map(\.rawValue)
            checks = [
                ("status", { statuses.contains($0) ? nil : "must be one of \(statuses.joined(separator: ", "))" }),
                ("event_type", { types.contains($0) ? nil : "must be one of \(types.joined(separator: ", "))" }),
                ("limit", limit), ("cursor", cursor),
            ]
        default:
            checks = []
        }
        for (name, value) in query {
            guard let check = checks.first(where: { $0.name == name }), let detail = check.problem(value) else {
                continue
            }
            return .invalidField(name, code: "invalid", detail)
        }
        return APIProblem(.invalidField, detail: "a query parameter cannot be read: \(error)")
    }

    // MARK: Names

    /// A coding path as the API names fields: `messages[3].to`.
    static func path(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue {
                path += "[\(index)]"
            } else {
                path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return path.isEmpty ? "$" : path
    }

    /// The JSON name of a type a decoder expected.
    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type: "an integer"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default: String(describing: type).hasPrefix("Array") ? "an array" : "an object"
        }
    }

    /// The values of the enumerations among request fields.
    static func allowedValues(of field: String) -> [String]? {
        switch field {
        case "encoding": Components.Schemas.RequestedEncoding.allCases.map(\.rawValue)
        case "priority": Components.Schemas.MessagePriority.allCases.map(\.rawValue)
        default: nil
        }
    }
}

extension RequestProblems {
    /// A number of a JSON body and where it is.
    struct JSONNumber {
        var path: [PathKey]
        /// The number in decimal, as Foundation read it (`1.5`, `99999999999999999999999`).
        var literal: String
    }

    /// A key or an index of a path.
    struct PathKey: CodingKey {
        var stringValue: String
        var intValue: Int?

        init(stringValue: String) { self.stringValue = stringValue }
        init(intValue: Int) {
            self.stringValue = String(intValue)
            self.intValue = intValue
        }
    }

    /// The numbers of a JSON body with their paths, in path order; `nil` when Foundation cannot
    /// read the body (not JSON, or a number it cannot represent, such as `1e400`).
    static func numbers(in body: [UInt8]) -> [JSONNumber]? {
        guard let root = try? JSONSerialization.jsonObject(with: Data(body), options: [.fragmentsAllowed]) else {
            return nil
        }
        var numbers: [JSONNumber] = []
        func walk(_ value: Any, _ path: [PathKey]) {
            switch value {
            case let object as [String: Any]:
                for key in object.keys.sorted() { walk(object[key]!, path + [PathKey(stringValue: key)]) }
            case let array as [Any]:
                for (index, element) in array.enumerated() { walk(element, path + [PathKey(intValue: index)]) }
            case let number as NSNumber where number.objCType.pointee != CChar(UInt8(ascii: "c")):
                // `true` and `false` come as NSNumbers too, of type char ("c"); numbers never do.
                numbers.append(JSONNumber(path: path, literal: number.stringValue))
            default:
                break
            }
        }
        walk(root, [])
        return numbers
    }
}
