public import BridgeCore
public import Foundation

/// An account: who owns messages, keys and webhook settings.
public struct Account: Sendable, Hashable {
    public var id: UUID
    public var name: String
    public var createdAt: Date
    /// Messages per second over HTTP; `nil` uses the service default.
    public var rateLimit: Double?
}

/// An API key as listed: never the key itself.
public struct APIKeyInfo: Sendable, Hashable {
    public var id: UUID
    public var accountID: UUID
    /// The start of the key, e.g. `sbk_3f9a1c2e`.
    public var prefix: String
    public var createdAt: Date
    public var revokedAt: Date?
}

/// What revoking an API key did.
public enum APIKeyRevocation: Sendable, Hashable {
    /// Revoked now.
    case revoked
    /// Revoked before, at this time: nothing changed.
    case alreadyRevoked(at: Date)
    /// No key has this prefix.
    case unknown
}

/// A stored message with its parts and receipt history.
public struct MessageRecord: Sendable, Hashable {
    public var id: UUID
    public var accountID: UUID
    public var status: MessageStatus
    public var to: String
    public var from: String
    public var text: String?
    public var binaryBody: [UInt8]?
    public var encoding: String
    public var partCount: Int
    public var clientRef: String?
    public var callbackURL: String?
    public var tags: [String]
    public var priority: MessagePriority
    public var requestReceipt: Bool
    public var validity: Int?
    public var sendAt: Date?
    public var expiresAt: Date?
    public var connector: String
    public var createdAt: Date
    public var updatedAt: Date
    public var sentAt: Date?
    public var doneAt: Date?
    public var errorCode: Int?
    public var errorDescription: String?
    public var statusSequence: Int
    public var attempts: Int
    public var parts: [PartRecord]
    public var receipts: [ReceiptRecord]
}

/// One part of a message.
public struct PartRecord: Sendable, Hashable {
    public var partNumber: Int
    /// pending, submitted, delivered, undelivered, expired, rejected, failed.
    public var status: String
    public var smscMessageID: String?
    public var submittedAt: Date?
    public var doneAt: Date?
    public var errorCode: Int?
}

/// One receipt received for a message.
public struct ReceiptRecord: Sendable, Hashable {
    public var partNumber: Int?
    /// The receipt's `stat:` word, e.g. DELIVRD.
    public var stat: String?
    /// Our status for it: delivered, undelivered, … (or enroute for intermediate notifications).
    public var state: String
    public var intermediate: Bool
    public var errorCode: String?
    public var networkError: Int?
    public var receivedAt: Date
}

/// Filters of a message listing.
public struct MessageFilter: Sendable, Hashable {
    public var status: MessageStatus?
    public var to: String?
    public var clientRef: String?
    public var createdSince: Date?
    public var createdUntil: Date?

    public init(
        status: MessageStatus? = nil,
        to: String? = nil,
        clientRef: String? = nil,
        createdSince: Date? = nil,
        createdUntil: Date? = nil
    ) {
        self.status = status
        self.to = to
        self.clientRef = clientRef
        self.createdSince = createdSince
        self.createdUntil = createdUntil
    }
}

/// A position in a listing (newest first): the last row seen.
public struct ListCursor: Sendable, Hashable {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) {
        self.createdAt = createdAt
        self.id = id
    }

    /// `createdAt` in whole microseconds since 1970, as PostgreSQL keeps it.
    var microseconds: Int64 { Int64((self.createdAt.timeIntervalSince1970 * 1_000_000).rounded()) }

    /// An opaque token: base64url of microseconds and id.
    public var token: String {
        Data("\(self.microseconds):\(self.id.uuidString)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(
                of: "=",
                with: ""
            )
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { return nil }
        let pieces = text.split(separator: ":")
        guard pieces.count == 2, let micros = Int64(pieces[0]), let id = UUID(uuidString: String(pieces[1])) else {
            return nil
        }
        self.createdAt = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        self.id = id
    }
}

/// What a cancel request did.
public enum CancelOutcome: Sendable, Hashable {
    case canceled(MessageRecord)
    /// The message exists but was already handed to an SMSC (or finished).
    case notCancelable(MessageStatus)
    case notFound
}

/// A stored response to replay for a repeated `Idempotency-Key`.
public struct IdempotencyRecord: Sendable, Hashable {
    public var key: String
    /// The method and path of the request that used the key (`POST /v1/messages`); `nil` for a
    /// record written by a version before migration 0013, which recorded only sends.
    public var endpoint: String?
    /// SHA-256 of the request body.
    public var requestHash: [UInt8]
    public var statusCode: Int
    public var response: [UInt8]

    public init(key: String, endpoint: String?, requestHash: [UInt8], statusCode: Int, response: [UInt8]) {
        self.key = key
        self.endpoint = endpoint
        self.requestHash = requestHash
        self.statusCode = statusCode
        self.response = response
    }
}

/// The `Idempotency-Key` of a request that changes something, and how to make the answer to
/// record from the change's result: the store records it in the transaction of the change (see
/// ``PostgresStore/rotateWebhookSecret(accountID:overlap:idempotency:)``).
public struct IdempotencyRecording<Result>: Sendable {
    public var key: String
    /// The method and path of the request (`POST /v1/webhooks/test`).
    public var endpoint: String
    /// SHA-256 of the request body.
    public var requestHash: [UInt8]
    public var statusCode: Int
    /// The body of the answer to a result.
    public var response: @Sendable (Result) throws -> [UInt8]

    public init(
        key: String,
        endpoint: String,
        requestHash: [UInt8],
        statusCode: Int,
        response: @escaping @Sendable (Result) throws -> [UInt8]
    ) {
        self.key = key
        self.endpoint = endpoint
        self.requestHash = requestHash
        self.statusCode = statusCode
        self.response = response
    }

    /// The record of the answer to `result`.
    func record(for result: Result) throws -> IdempotencyRecord {
        IdempotencyRecord(
            key: self.key,
            endpoint: self.endpoint,
            requestHash: self.requestHash,
            statusCode: self.statusCode,
            response: try self.response(result)
        )
    }
}

/// The depth and age of the queue per connector, for back-pressure and metrics (see
/// ``PostgresStore/queueStatistics()``).
public struct QueueStatistics: Sendable, Hashable {
    public struct Load: Sendable, Hashable {
        /// Messages waiting for the SMSC.
        public var depth: Int
        /// How long the oldest of them has waited.
        public var oldestAge: TimeInterval

        public init(depth: Int, oldestAge: TimeInterval) {
            self.depth = depth
            self.oldestAge = oldestAge
        }
    }

    /// Connectors with messages waiting.
    public var connectors: [String: Load]

    public init(connectors: [String: Load] = [:]) {
        self.connectors = connectors
    }

    /// Messages waiting, over every connector.
    public var depth: Int { self.connectors.values.reduce(0) { $0 + $1.depth } }
    /// How long the oldest waiting message, of any connector, has waited.
    public var oldestAge: TimeInterval { self.connectors.values.map(\.oldestAge).max() ?? 0 }
}

/// A received (mobile-originated) message.
public struct InboundRecord: Sendable, Hashable {
    public var id: UUID
    public var accountID: UUID?
    public var connector: String
    public var from: String
    public var to: String
    public var text: String?
    public var binaryBody: [UInt8]?
    public var dataCoding: Int
    public var partCount: Int
    /// False when parts were missing after the reassembly timeout.
    public var complete: Bool
    public var receivedAt: Date
}

/// Errors the store reports in its own terms.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Another request with the same Idempotency-Key committed first: look it up again.
    case idempotencyKeyTaken
    case notFound(String)

    public var description: String {
        switch self {
        case .idempotencyKeyTaken: "the idempotency key was just used by a concurrent request"
        case .notFound(let what): "\(what) not found"
        }
    }
}
