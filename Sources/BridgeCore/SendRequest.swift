public import Foundation

/// A request to send one message, as the API received it (decoded, not yet checked).
public struct SendRequest: Sendable, Hashable {
    /// The recipient: E.164 (`+447700900123`, or `447700900123` without its `+`) or a short code: 3–15 digits without `+`.
    public var to: String?
    /// The sender: a number, a short code, or an alphanumeric name of up to 11 GSM characters.
    public var from: String?
    /// The text (exclusive with `body`).
    public var text: String?
    /// Binary user data, base64 (with `encoding: binary`).
    public var body: String?
    public var encoding: RequestedEncoding?
    /// The customer's own reference, returned with every status.
    public var clientRef: String?
    /// Where status webhooks for this message go, instead of the account's URL.
    public var callbackURL: String?
    /// Seconds the message may take to be delivered.
    public var validity: Int?
    /// When to send (scheduled); past times send at once.
    public var sendAt: Date?
    public var priority: MessagePriority?
    /// Whether to ask for a delivery receipt. Default true.
    public var requestReceipt: Bool?
    public var tags: [String]?

    public init(
        to: String? = nil,
        from: String? = nil,
        text: String? = nil,
        body: String? = nil,
        encoding: RequestedEncoding? = nil,
        clientRef: String? = nil,
        callbackURL: String? = nil,
        validity: Int? = nil,
        sendAt: Date? = nil,
        priority: MessagePriority? = nil,
        requestReceipt: Bool? = nil,
        tags: [String]? = nil
    ) {
        self.to = to
        self.from = from
        self.text = text
        self.body = body
        self.encoding = encoding
        self.clientRef = clientRef
        self.callbackURL = callbackURL
        self.validity = validity
        self.sendAt = sendAt
        self.priority = priority
        self.requestReceipt = requestReceipt
        self.tags = tags
    }
}

/// The `encoding` a request may ask for.
public enum RequestedEncoding: String, Sendable, Hashable, CaseIterable, Codable {
    /// GSM-7 when every character fits, else UCS-2.
    case auto
    case gsm7
    case ucs2
    case latin1
    /// `body` carries base64 octets, sent as 8-bit data.
    case binary
}

/// Whether a message waits behind the bulk or goes ahead of it.
public enum MessagePriority: String, Sendable, Hashable, CaseIterable, Codable {
    case normal
    case urgent
}
