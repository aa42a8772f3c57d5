public import BridgeCore
public import BridgeStore
public import Foundation

/// The messages the API sends, reads and cancels, with idempotency records and queue statistics.
public protocol MessageRepository: Sendable {
    /// Inserts the messages and the idempotency record in one transaction; returns once committed.
    /// Throws ``StoreError/idempotencyKeyTaken`` when a concurrent request committed the key first,
    /// and ``DatabaseDeadlineExceeded`` when nothing could be written within `timeout`.
    func insert(
        _ messages: [AcceptedMessage],
        idempotency: IdempotencyRecord?,
        accountID: UUID?,
        timeout: Duration?
    ) async throws
    func idempotencyRecord(accountID: UUID, key: String) async throws -> IdempotencyRecord?
    func message(id: UUID, accountID: UUID) async throws -> MessageRecord?
    func messages(
        accountID: UUID,
        filter: MessageFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws
        -> [MessageRecord]
    func cancel(id: UUID, accountID: UUID) async throws -> CancelOutcome
    func queueStatistics() async throws -> QueueStatistics
}

/// The received (mobile-originated) messages of an account.
public protocol InboundRepository: Sendable {
    func inboundMessages(accountID: UUID, limit: Int, after cursor: ListCursor?) async throws -> [InboundRecord]
    func inboundMessage(id: UUID, accountID: UUID) async throws -> InboundRecord?
}

/// Who an API key belongs to.
public protocol AccountRepository: Sendable {
    /// The account of an active key, or `nil` for an unknown or revoked one.
    func account(forAPIKey key: String) async throws -> Account?
}

/// Webhook deliveries and an account's webhook settings.
///
/// The changes a `POST` makes (redelivering, queueing a test event, rotating the secret) record the
/// request's answer (`idempotency`, when it has a key) in their transaction, and throw
/// ``StoreError/idempotencyKeyTaken`` when a request with the same key committed first.
public protocol WebhookRepository: Sendable {
    func webhookDeliveries(
        accountID: UUID,
        filter: WebhookDeliveryFilter,
        limit: Int,
        after cursor: ListCursor?
    ) async throws -> [WebhookDeliveryRecord]
    func webhookDelivery(id: UUID, accountID: UUID) async throws -> WebhookDeliveryRecord?
    func webhookAttempts(deliveryID: UUID) async throws -> [WebhookAttemptRecord]
    func redeliverWebhook(
        id: UUID,
        accountID: UUID,
        url: String?,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>?
    ) async throws -> WebhookDeliveryRecord?
    func enqueueTestWebhook(
        accountID: UUID,
        url: String?,
        idempotency: IdempotencyRecording<WebhookDeliveryRecord>?
    ) async throws -> WebhookDeliveryRecord?
    func webhookSettings(accountID: UUID) async throws -> WebhookSettings
    func setWebhookURLs(accountID: UUID, statusURL: String?, inboundURL: String?) async throws -> WebhookSettings
    func rotateWebhookSecret(
        accountID: UUID,
        overlap: TimeInterval,
        idempotency: IdempotencyRecording<WebhookSecretRotation>?
    ) async throws -> WebhookSecretRotation
}

/// Everything the API needs from storage.
public typealias APIRepository = MessageRepository & InboundRepository & AccountRepository & WebhookRepository

extension PostgresStore: MessageRepository, InboundRepository, AccountRepository, WebhookRepository {}
