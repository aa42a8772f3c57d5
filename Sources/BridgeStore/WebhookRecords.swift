public import Foundation

/// The kinds of webhook events.
public enum WebhookEventType: String, Sendable, Hashable, CaseIterable {
    /// A status change of a sent (MT) message.
    case messageStatus = "message.status"
    /// A received (MO) message, reassembled.
    case messageInbound = "message.inbound"
    /// Sent on request (`POST /v1/webhooks/test`) to check an endpoint and its signature check.
    case webhookTest = "webhook.test"
}

/// Where a webhook delivery stands.
public enum WebhookDeliveryStatus: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its first or next attempt (or being posted now).
    case pending
    /// An attempt got a 2xx answer.
    case delivered
    /// The retry budget ran out; ``PostgresStore/redeliverWebhook(id:accountID:)`` tries again.
    case dead
}

/// An account's webhook settings. The secrets are for signing only; the API never shows them.
public struct WebhookSettings: Sendable, Hashable {
    public var accountID: UUID
    /// Default destination of `message.status` events (a message's `callback_url` wins).
    public var statusURL: String?
    /// Destination of `message.inbound` events.
    public var inboundURL: String?
    public var secret: String
    /// Secrets rotated out whose overlap had not ended when read, in the order they sign: the most
    /// recently retired first. Each signs beside ``secret`` until its own expiry, unless a later
    /// rotation makes it one too many: at most ``PostgresStore/maximumRetiredWebhookSecrets`` sign
    /// beside the current one. The store states which sign, and in what order, in one place
    /// (`PostgresStore.signingRetiredSecrets`); the settings only keep what it read.
    public var retiredSecrets: [RetiredWebhookSecret]
    public var updatedAt: Date

    /// When the last retired secret stops signing (`nil` when none overlaps).
    public var previousSecretExpiresAt: Date? { self.retiredSecrets.map(\.expiresAt).max() }

    /// The secrets that sign at `now` (at or after the read): the current one first, then those of
    /// ``retiredSecrets`` whose overlap has not ended by then, in their order.
    public func signingSecrets(at now: Date) -> [String] {
        [self.secret] + self.retiredSecrets.filter { $0.expiresAt > now }.map(\.secret)
    }
}

/// What a secret rotation did: the settings with the new secret, and the old secrets it stopped
/// before their overlaps ended (see ``PostgresStore/maximumRetiredWebhookSecrets``).
public struct WebhookSecretRotation: Sendable, Hashable {
    /// The settings after the rotation: the new ``WebhookSettings/secret``, the old ones still signing.
    public var settings: WebhookSettings
    /// Old secrets whose overlaps this rotation ended early, each with ``RetiredWebhookSecret/expiresAt``
    /// the time it stopped signing (now), the most recently retired first. Empty when none.
    public var ended: [RetiredWebhookSecret]

    public init(settings: WebhookSettings, ended: [RetiredWebhookSecret]) {
        self.settings = settings
        self.ended = ended
    }

    /// The new secret.
    public var secret: String { self.settings.secret }
}

/// A webhook secret replaced by a rotation, signing until the end of the overlap it was promised.
public struct RetiredWebhookSecret: Sendable, Hashable {
    public var secret: String
    /// When the rotation replaced it.
    public var retiredAt: Date
    /// When it stops signing.
    public var expiresAt: Date
}

/// One webhook event in the outbox, as listed.
public struct WebhookDeliveryRecord: Sendable, Hashable {
    /// The event id (also in the payload).
    public var id: UUID
    public var accountID: UUID
    public var eventType: WebhookEventType
    public var messageID: UUID?
    public var sequence: Int
    public var url: String
    public var status: WebhookDeliveryStatus
    /// Every attempt of the event, redeliveries' included.
    public var attempts: Int
    /// How many times it was redelivered (`POST …/redeliver`).
    public var redeliveries: Int
    public var nextAttemptAt: Date?
    public var lastAttemptAt: Date?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var lastResponse: String?
    public var lastLatencyMilliseconds: Int?
    public var createdAt: Date
    public var deliveredAt: Date?
    /// The JSON body, as sent.
    public var payload: String
}

/// One attempt to post a webhook.
public struct WebhookAttemptRecord: Sendable, Hashable {
    public var attemptedAt: Date
    /// `nil` when no response came (connection refused, timeout, refused destination).
    public var statusCode: Int?
    public var error: String?
    public var responseExcerpt: String?
    public var latencyMilliseconds: Int
}

/// Filters of a delivery listing.
public struct WebhookDeliveryFilter: Sendable, Hashable {
    public var status: WebhookDeliveryStatus?
    public var eventType: WebhookEventType?
    public var messageID: UUID?

    public init(status: WebhookDeliveryStatus? = nil, eventType: WebhookEventType? = nil, messageID: UUID? = nil) {
        self.status = status
        self.eventType = eventType
        self.messageID = messageID
    }
}

/// A delivery a worker claimed: it holds the lease (a token) until it records the attempt.
public struct ClaimedWebhook: Sendable, Hashable {
    public var id: UUID
    public var accountID: UUID
    public var eventType: WebhookEventType
    public var url: String
    /// `host[:port]` of the URL.
    public var destination: String
    public var payload: String
    /// Attempts before this one, of every delivery and redelivery (`SMSBridge-Attempt` is one more).
    public var attempts: Int
    /// Attempts before this one since created or last redelivered: the retry schedule's count.
    public var attemptsSinceRedelivery: Int
    /// How many times it was redelivered (`SMSBridge-Redelivery`).
    public var redeliveries: Int
    /// When the retry budget started (created or redelivered).
    public var retrySince: Date
    /// The secrets to sign with, current first.
    public var secrets: [String]
    public var leaseToken: UUID
}

/// What one attempt came to, as recorded.
public struct WebhookAttemptResult: Sendable, Hashable {
    /// Delivered, pending (with ``nextAttemptAt``), or dead.
    public var status: WebhookDeliveryStatus
    public var nextAttemptAt: Date
    public var attemptedAt: Date
    public var statusCode: Int?
    public var error: String?
    public var responseExcerpt: String?
    public var latencyMilliseconds: Int

    public init(
        status: WebhookDeliveryStatus,
        nextAttemptAt: Date,
        attemptedAt: Date,
        statusCode: Int?,
        error: String?,
        responseExcerpt: String?,
        latencyMilliseconds: Int
    ) {
        self.status = status
        self.nextAttemptAt = nextAttemptAt
        self.attemptedAt = attemptedAt
        self.statusCode = statusCode
        self.error = error
        self.responseExcerpt = responseExcerpt
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// How much one destination may still take in a claim.
public struct DestinationRoom: Sendable, Hashable {
    public var destination: String
    /// Deliveries it may still take now (0: none, e.g. its circuit is open).
    public var room: Int

    public init(destination: String, room: Int) {
        self.destination = destination
        self.room = room
    }
}

/// One account's deliveries to one destination, as a claim sees them: how many this instance holds
/// already, and how many more the claim may take.
public struct AccountRoom: Sendable, Hashable {
    public var accountID: UUID
    public var destination: String
    /// How many more it may take: 0 while its circuit breaker is open or its trial is out, or while
    /// the destination asked it to slow down; 1 for a trial (the earliest due); `nil` when only the
    /// destination's room limits it.
    public var room: Int?
    /// Deliveries of it this instance holds (claimed, not yet recorded): the destination's room goes
    /// to the accounts holding the fewest first.
    public var held: Int

    public init(accountID: UUID, destination: String, room: Int?, held: Int = 0) {
        self.accountID = accountID
        self.destination = destination
        self.room = room
        self.held = held
    }
}
