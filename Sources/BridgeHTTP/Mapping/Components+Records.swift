import BridgeCore
import BridgeStore
import Foundation

// Conversions between the API's schemas (generated) and the domain and store types.

/// The fields of a message to send: a `SendMessageRequest`, or a batch's `BatchItem` (the same
/// fields, whose rules the validator checks item by item).
protocol SendMessageFields {
    var to: String? { get }
    var from: String? { get }
    var text: String? { get }
    var body: String? { get }
    var encoding: Components.Schemas.RequestedEncoding? { get }
    var clientRef: String? { get }
    var callbackUrl: String? { get }
    var validity: Int? { get }
    var sendAt: Date? { get }
    var priority: Components.Schemas.MessagePriority? { get }
    var requestReceipt: Bool? { get }
    var tags: [String]? { get }
}

extension Components.Schemas.SendMessageRequest: SendMessageFields {}
extension Components.Schemas.BatchItem: SendMessageFields {}

extension SendRequest {
    /// The request as the validator takes it.
    init(_ request: some SendMessageFields) {
        self.init(
            to: request.to,
            from: request.from,
            text: request.text,
            body: request.body,
            encoding: request.encoding.map(RequestedEncoding.init),
            clientRef: request.clientRef,
            callbackURL: request.callbackUrl,
            validity: request.validity,
            sendAt: request.sendAt,
            priority: request.priority.map(MessagePriority.init),
            requestReceipt: request.requestReceipt,
            tags: request.tags
        )
    }
}

extension RequestedEncoding {
    init(_ encoding: Components.Schemas.RequestedEncoding) {
        switch encoding {
        case .auto: self = .auto
        case .gsm7: self = .gsm7
        case .ucs2: self = .ucs2
        case .latin1: self = .latin1
        case .binary: self = .binary
        }
    }
}

extension MessagePriority {
    init(_ priority: Components.Schemas.MessagePriority) {
        switch priority {
        case .normal: self = .normal
        case .urgent: self = .urgent
        }
    }
}

extension Components.Schemas.MessagePriority {
    init(_ priority: MessagePriority) {
        switch priority {
        case .normal: self = .normal
        case .urgent: self = .urgent
        }
    }
}

extension Components.Schemas.MessageStatus {
    init(_ status: MessageStatus) {
        switch status {
        case .scheduled: self = .scheduled
        case .queued: self = .queued
        case .sending: self = .sending
        case .sent: self = .sent
        case .delivered: self = .delivered
        case .undelivered: self = .undelivered
        case .expired: self = .expired
        case .rejected: self = .rejected
        case .failed: self = .failed
        case .canceled: self = .canceled
        }
    }
}

extension MessageStatus {
    init(_ status: Components.Schemas.MessageStatus) {
        switch status {
        case .scheduled: self = .scheduled
        case .queued: self = .queued
        case .sending: self = .sending
        case .sent: self = .sent
        case .delivered: self = .delivered
        case .undelivered: self = .undelivered
        case .expired: self = .expired
        case .rejected: self = .rejected
        case .failed: self = .failed
        case .canceled: self = .canceled
        }
    }
}

extension Components.Schemas.BatchMessage {
    /// A batch item just accepted: what its sender needs to follow it.
    init(_ message: AcceptedMessage) {
        self.init(
            id: message.id.lowercased,
            status: .init(message.status),
            encoding: message.encoding,
            partCount: message.parts.count,
            clientRef: message.clientRef
        )
    }
}

extension Components.Schemas.Message {
    /// A message just accepted (not yet sent): its parts are all pending.
    init(_ message: AcceptedMessage) {
        self.init(
            id: message.id.lowercased,
            status: .init(message.status),
            to: message.to,
            from: message.from,
            text: message.text,
            body: message.binaryBody.map { Data($0).base64EncodedString() },
            encoding: message.encoding,
            partCount: message.parts.count,
            parts: message.parts.indices.map { Components.Schemas.MessagePart(partNumber: $0 + 1, status: "pending") },
            receipts: [],
            clientRef: message.clientRef,
            callbackUrl: message.callbackURL,
            tags: message.tags,
            priority: .init(message.priority),
            requestReceipt: message.requestReceipt,
            validity: message.validity,
            sendAt: message.sendAt,
            expiresAt: message.expiresAt,
            createdAt: message.createdAt,
            updatedAt: message.createdAt
        )
    }

    /// A stored message; `detailed` includes its parts and receipts (which listings do not read).
    init(_ record: MessageRecord, detailed: Bool) {
        self.init(
            id: record.id.lowercased,
            status: .init(record.status),
            to: record.to,
            from: record.from,
            text: record.text,
            body: record.binaryBody.map { Data($0).base64EncodedString() },
            encoding: record.encoding,
            partCount: record.partCount,
            parts: detailed ? record.parts.map(Components.Schemas.MessagePart.init) : nil,
            receipts: detailed ? record.receipts.map(Components.Schemas.Receipt.init) : nil,
            clientRef: record.clientRef,
            callbackUrl: record.callbackURL,
            tags: record.tags,
            priority: .init(record.priority),
            requestReceipt: record.requestReceipt,
            validity: record.validity,
            sendAt: record.sendAt,
            expiresAt: record.expiresAt,
            errorCode: record.errorCode,
            errorDescription: record.errorDescription,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt,
            sentAt: record.sentAt,
            doneAt: record.doneAt
        )
    }
}

extension Components.Schemas.MessagePart {
    init(_ part: PartRecord) {
        self.init(
            partNumber: part.partNumber,
            status: part.status,
            smscMessageId: part.smscMessageID,
            submittedAt: part.submittedAt,
            doneAt: part.doneAt,
            errorCode: part.errorCode
        )
    }
}

extension Components.Schemas.Receipt {
    init(_ receipt: ReceiptRecord) {
        self.init(
            partNumber: receipt.partNumber,
            stat: receipt.stat,
            state: receipt.state,
            intermediate: receipt.intermediate,
            errorCode: receipt.errorCode,
            networkError: receipt.networkError,
            receivedAt: receipt.receivedAt
        )
    }
}

extension Components.Schemas.InboundMessage {
    init(_ record: InboundRecord) {
        self.init(
            id: record.id.lowercased,
            from: record.from,
            to: record.to,
            text: record.text,
            body: record.binaryBody.map { Data($0).base64EncodedString() },
            dataCoding: record.dataCoding,
            partCount: record.partCount,
            complete: record.complete,
            receivedAt: record.receivedAt
        )
    }
}

extension Components.Schemas.WebhookDelivery {
    init(_ record: WebhookDeliveryRecord, attempts: [WebhookAttemptRecord]? = nil) {
        self.init(
            id: record.id.lowercased,
            eventType: .init(rawValue: record.eventType.rawValue) ?? .message_status,
            messageId: record.messageID?.lowercased,
            sequence: record.sequence,
            url: record.url,
            status: .init(rawValue: record.status.rawValue) ?? .pending,
            attempts: record.attempts,
            redeliveries: record.redeliveries,
            nextAttemptAt: record.nextAttemptAt,
            lastAttemptAt: record.lastAttemptAt,
            lastStatusCode: record.lastStatusCode,
            lastError: record.lastError,
            lastResponse: record.lastResponse,
            lastLatencyMs: record.lastLatencyMilliseconds,
            createdAt: record.createdAt,
            deliveredAt: record.deliveredAt,
            payload: record.payload,
            attemptHistory: attempts.map { $0.map(Components.Schemas.WebhookAttempt.init) }
        )
    }
}

extension Components.Schemas.WebhookAttempt {
    init(_ attempt: WebhookAttemptRecord) {
        self.init(
            attemptedAt: attempt.attemptedAt,
            statusCode: attempt.statusCode,
            error: attempt.error,
            responseExcerpt: attempt.responseExcerpt,
            latencyMs: attempt.latencyMilliseconds
        )
    }
}

extension Components.Schemas.WebhookSettings {
    init(_ settings: WebhookSettings) {
        self.init(
            statusUrl: settings.statusURL,
            inboundUrl: settings.inboundURL,
            secretHint: hint(ofSecret: settings.secret),
            previousSecretExpiresAt: settings.previousSecretExpiresAt.flatMap { $0 > Date() ? $0 : nil },
            previousSecrets: settings.retiredSecrets.map(Components.Schemas.RetiredSecret.init),
            updatedAt: settings.updatedAt
        )
    }
}

/// The first characters of a secret (`whsec_3f9a…`): enough to tell secrets apart, never to sign.
private func hint(ofSecret secret: String) -> String {
    String(secret.prefix(10)) + "…"
}

extension Components.Schemas.RetiredSecret {
    init(_ retired: RetiredWebhookSecret) {
        self.init(
            secretHint: hint(ofSecret: retired.secret),
            retiredAt: retired.retiredAt,
            expiresAt: retired.expiresAt
        )
    }
}

extension Components.Schemas.WebhookSecret {
    /// The answer to a rotation: the new secret, shown this once, the old ones still signing and
    /// those it stopped.
    init(_ rotation: WebhookSecretRotation) {
        self.init(
            secret: rotation.settings.secret,
            previousSecretExpiresAt: rotation.settings.previousSecretExpiresAt,
            previousSecrets: rotation.settings.retiredSecrets.map(Components.Schemas.RetiredSecret.init),
            endedSecrets: rotation.ended.map(Components.Schemas.RetiredSecret.init)
        )
    }
}
