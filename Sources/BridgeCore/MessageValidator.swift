public import Foundation
public import SMPP
import Synchronization

/// Checks a send request and builds its parts; reports every invalid field at once.
public struct MessageValidator: Sendable {
    public var policy: MessagePolicy
    public var router: MessageRouter
    /// The part builder of each connector (its address policies, data codings, long-message method
    /// and maximum parts).
    public var builders: [String: SubmitBuilder]

    public init(policy: MessagePolicy, router: MessageRouter, builders: [String: SubmitBuilder]) {
        self.policy = policy
        self.router = router
        self.builders = builders
    }

    public func validate(_ request: SendRequest, accountID: UUID, now: Date) -> Result<AcceptedMessage, FieldErrors> {
        var errors: [FieldError] = []
        func fail(_ field: String, _ code: String, _ detail: String) {
            errors.append(FieldError(field: field, code: code, detail: detail))
        }

        // Recipient and sender.
        let to = request.to.map(Self.compact)
        if let to {
            if !Self.isNumber(to) {
                fail("to", "invalid_number", "must be an E.164 number (+447700900123) or 3–15 digits (a short code, or a number without its +)")
            }
        } else {
            fail("to", "required", "is required")
        }
        // A numeric sender goes out as compacted as a recipient (`+44 (7700) 900123` → `+447700900123`).
        let from = request.from.map(Self.trimmingWhitespace).map { Self.numericSender($0) ?? $0 }
        if let from {
            if let problem = Self.senderProblem(from) { fail("from", "invalid_sender", problem) }
        } else {
            fail("from", "required", "is required")
        }

        // Body.
        var body: OutgoingMessage.Body?
        var encodingName = "binary"
        switch (request.text, request.body) {
        case (nil, nil):
            fail("text", "required", "text (or body with encoding binary) is required")
        case (.some, .some):
            fail("body", "conflict", "give either text or body, not both")
        case (.some(let text), nil):
            if text.isEmpty {
                fail("text", "required", "must not be empty")
            } else if text.unicodeScalars.contains("\u{0}") {
                // PostgreSQL text cannot hold it; binary data goes in `body`.
                fail("text", "invalid_character", "contains U+0000 (NUL); send binary data as body with encoding binary")
            } else {
                switch request.encoding ?? .auto {
                case .binary: fail("encoding", "invalid", "binary needs body (base64), not text")
                case .auto: body = .text(text, encoding: nil)
                case .gsm7: body = .text(text, encoding: .gsm7)
                case .ucs2: body = .text(text, encoding: .ucs2)
                case .latin1: body = .text(text, encoding: .latin1)
                }
            }
        case (nil, .some(let encoded)):
            if let encoding = request.encoding, encoding != .binary {
                fail("encoding", "invalid", "body is binary data: use encoding binary, or send text")
            } else if let octets = Self.base64Decoded(encoded), !octets.isEmpty {
                body = .binary(octets, dataCoding: .binary)
            } else {
                fail("body", "invalid", "must be non-empty base64 (RFC 4648, standard alphabet)")
            }
        }

        // Options.
        if let validity = request.validity,
            !(self.policy.minimumValidity...self.policy.maximumValidity).contains(validity)
        {
            fail(
                "validity",
                "out_of_range",
                "must be \(self.policy.minimumValidity)–\(self.policy.maximumValidity) seconds"
            )
        }
        if let sendAt = request.sendAt, sendAt.timeIntervalSince(now) > Double(self.policy.maximumScheduleAhead) {
            fail("send_at", "out_of_range", "lies more than \(self.policy.maximumScheduleAhead / 86_400) days ahead")
        }
        if let clientRef = request.clientRef {
            if clientRef.count > self.policy.maximumClientRefLength {
                fail("client_ref", "too_long", "at most \(self.policy.maximumClientRefLength) characters")
            } else if Self.hasControlCharacter(clientRef) {
                fail("client_ref", "invalid_character", Self.controlCharacterDetail)
            }
        }
        let tags = request.tags ?? []
        if tags.count > self.policy.maximumTags { fail("tags", "too_many", "at most \(self.policy.maximumTags) tags") }
        for (index, tag) in tags.enumerated() {
            if tag.isEmpty || tag.count > self.policy.maximumTagLength {
                fail("tags[\(index)]", "invalid", "must be 1–\(self.policy.maximumTagLength) characters")
            } else if Self.hasControlCharacter(tag) {
                fail("tags[\(index)]", "invalid_character", Self.controlCharacterDetail)
            }
        }
        if let url = request.callbackURL, let error = self.policy.callbackURLs.check(url, field: "callback_url") {
            errors.append(error)
        }

        guard errors.isEmpty, let to, let from, let body else { return .failure(FieldErrors(errors)) }

        // Parts, with the route's connector settings.
        let connector = self.router.connector(for: to)
        guard let builder = self.builders[connector] else {
            return .failure(
                FieldErrors([FieldError(field: "to", code: "no_route", detail: "no connector serves this destination")])
            )
        }
        let requestReceipt = request.requestReceipt ?? true
        let outgoing = OutgoingMessage(
            from: from,
            to: to,
            body: body,
            registeredDelivery: requestReceipt ? .receipt : RegisteredDelivery.none,
            validity: request.validity,
            priorityFlag: request.priority == .urgent ? builder.urgentPriorityFlag : 0
        )
        let parts: [SubmitBuilder.EncodedPart]
        do {
            parts = try builder.encodedParts(for: outgoing, reference: Self.nextReference())
        } catch {
            return .failure(FieldErrors([Self.fieldError(for: error, isText: request.text != nil)]))
        }
        if case .text = body, let encoding = builder.encoding(for: outgoing) { encodingName = encoding.rawValue }

        let scheduled = request.sendAt.map { $0.timeIntervalSince(now) > 1 } ?? false
        let start = scheduled ? request.sendAt! : now
        return .success(
            AcceptedMessage(
                id: MessageID.make(at: now),
                accountID: accountID,
                status: scheduled ? .scheduled : .queued,
                to: to,
                from: from,
                text: request.text,
                binaryBody: { if case .binary(let octets, _) = body { return octets } else { return nil } }(),
                encoding: encodingName,
                parts: parts.map(\.pdu),
                frames: parts.map(\.frame),
                // An empty reference is none (it is stored as none; the answer says the same).
                clientRef: request.clientRef.flatMap { $0.isEmpty ? nil : $0 },
                callbackURL: request.callbackURL,
                tags: tags,
                priority: request.priority ?? .normal,
                requestReceipt: requestReceipt,
                validity: request.validity,
                sendAt: scheduled ? request.sendAt : nil,
                expiresAt: request.validity.map { start.addingTimeInterval(Double($0)) },
                connector: connector,
                createdAt: now
            )
        )
    }

    private static func fieldError(for failure: SubmitBuilder.Failure, isText: Bool) -> FieldError {
        let body = isText ? "text" : "body"
        switch failure {
        case .unencodable(let error):
            return FieldError(field: body, code: "unencodable", detail: "\(error)")
        case .tooManyParts(let needed, let maximum):
            return FieldError(
                field: body,
                code: "too_many_parts",
                detail: "needs \(needed) parts; at most \(maximum) are allowed"
            )
        case .payloadTooLong(let octets, let maximum):
            return FieldError(field: body, code: "too_long", detail: "\(octets) octets; at most \(maximum)")
        case .invalidField(.sourceAddress, let reason):
            return FieldError(field: "from", code: "invalid_sender", detail: reason)
        case .invalidField(.destinationAddress, let reason):
            return FieldError(field: "to", code: "invalid_number", detail: reason)
        case .invalidField(_, let reason):
            return FieldError(field: body, code: "invalid", detail: reason)
        }
    }

    /// The text without spaces, dashes, dots and parentheses, as people write numbers. By Unicode
    /// scalar, not by Character: every request runs it, and a number is ASCII.
    static func compact(_ text: String) -> String {
        func isSeparator(_ byte: UInt8) -> Bool {
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".")
                || byte == UInt8(ascii: "(") || byte == UInt8(ascii: ")")
        }
        guard text.utf8.contains(where: isSeparator) else { return text }
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars where !(scalar.isASCII && isSeparator(UInt8(scalar.value))) {
            scalars.append(scalar)
        }
        return String(scalars)
    }

    /// The text without the white space at either end: the space separators (general category Zs)
    /// and tab — what `CharacterSet.whitespaces` holds, without building that set for every sender.
    static func trimmingWhitespace(_ text: String) -> String {
        func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == "\t" || scalar.properties.generalCategory == .spaceSeparator
        }
        let scalars = text.unicodeScalars
        var (start, end) = (scalars.startIndex, scalars.endIndex)
        while start < end, isWhitespace(scalars[start]) { start = scalars.index(after: start) }
        while end > start, isWhitespace(scalars[scalars.index(before: end)]) { end = scalars.index(before: end) }
        return start == scalars.startIndex && end == scalars.endIndex ? text : String(scalars[start..<end])
    }

    /// Strict base64 (RFC 4648 §4; the padding may be left out): nil for anything else. Foundation's
    /// decoder is lenient — it read "====" as one zero octet and "AA=A" as two.
    static func base64Decoded(_ text: String) -> [UInt8]? {
        let unpadded = text.hasSuffix("==") ? text.dropLast(2) : text.hasSuffix("=") ? text.dropLast(1) : Substring(text)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        guard unpadded.utf8.allSatisfy(alphabet.contains), unpadded.utf8.count % 4 != 1 else { return nil }
        let padded = unpadded + String(repeating: "=", count: (4 - unpadded.utf8.count % 4) % 4)
        guard text == unpadded || text == padded, let data = Data(base64Encoded: String(padded)) else { return nil }
        // Unused low bits must be zero, so that each octet string has one encoding.
        guard data.base64EncodedString() == padded else { return nil }
        return Array(data)
    }

    /// Whether `text` has a C0 control character or DEL (U+0000–U+001F, U+007F): never part of an
    /// identifier (client_ref, tags, senders), and U+0000 cannot be stored at all.
    public static func hasControlCharacter(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    public static let controlCharacterDetail = "must not contain control characters (U+0000–U+001F, U+007F)"

    /// The compacted form of a sender that is a number (a `+`, or digits only, once separators are
    /// gone); nil for a name.
    static func numericSender(_ text: String) -> String? {
        let compact = self.compact(text)
        return compact.hasPrefix("+") || (!compact.isEmpty && compact.allSatisfy(\.isNumber)) ? compact : nil
    }

    /// E.164 with `+` (7–15 digits), without (3–15 digits: international or a short code).
    static func isNumber(_ text: String) -> Bool {
        let digits = text.hasPrefix("+") ? text.dropFirst() : Substring(text)
        guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else {
            return false
        }
        // No country code starts with 0.
        if text.hasPrefix("+") && digits.first == "0" { return false }
        return text.hasPrefix("+") ? (7...15).contains(digits.count) : (3...15).contains(digits.count)
    }

    /// Why a sender is not acceptable: a number as for recipients, or a name of 1–11 GSM-7 characters.
    static func senderProblem(_ text: String) -> String? {
        if let compact = self.numericSender(text) {
            return self.isNumber(compact) ? nil : "a numeric sender must be an E.164 number or a short code"
        }
        guard !text.isEmpty, text.count <= 11 else { return "an alphanumeric sender has 1–11 characters" }
        guard !self.hasControlCharacter(text) else { return "an alphanumeric sender has no control characters" }
        guard let septets = GSM7.septetCount(of: text), septets == text.count else {
            return "an alphanumeric sender uses GSM characters without extension characters"
        }
        return nil
    }
}

/// Every invalid field of a request.
public struct FieldErrors: Error, Hashable, Sendable, CustomStringConvertible {
    public var errors: [FieldError]

    public init(_ errors: [FieldError]) {
        self.errors = errors
    }

    public var description: String { self.errors.map(\.description).joined(separator: "; ") }
}

extension MessageValidator {
    private static let references = Atomic<UInt16>(UInt16.random(in: 0...UInt16.max))

    /// The concatenation reference of the next long message: one counter for all (from a random
    /// start), not a random draw. A handset tells long messages apart by sender and reference; with
    /// a counter, two long messages share a reference only when 256 others went between them (an
    /// 8-bit reference), while random draws collide once in 256 pairs — among 20 messages to one
    /// phone, more often than not.
    static func nextReference() -> UInt16 {
        self.references.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
