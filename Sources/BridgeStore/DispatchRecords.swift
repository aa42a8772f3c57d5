public import BridgeCore
public import Foundation
public import SMPP

/// A message a dispatcher claimed: it holds the lease until it reports.
public struct ClaimedMessage: Sendable {
    public var id: UUID
    public var accountID: UUID
    public var connector: String
    public var priority: MessagePriority
    public var expiresAt: Date?
    /// Attempts including this one.
    public var attempts: Int
    /// Every part, in order; those already submitted in an earlier attempt have `submitted` set.
    public var parts: [ClaimedPart]

    /// A message its accepting instance sends itself (``AcceptedMessage/lease``): the first attempt.
    public init(handedOff message: AcceptedMessage) {
        self.id = message.id
        self.accountID = message.accountID
        self.connector = message.connector
        self.priority = message.priority
        self.expiresAt = message.expiresAt
        self.attempts = 1
        self.parts = message.parts.enumerated().map {
            ClaimedPart(number: $0.offset + 1, submitSM: $0.element, submitted: false)
        }
    }

    init(
        id: UUID,
        accountID: UUID,
        connector: String,
        priority: MessagePriority,
        expiresAt: Date?,
        attempts: Int,
        parts: [ClaimedPart]
    ) {
        self.id = id
        self.accountID = accountID
        self.connector = connector
        self.priority = priority
        self.expiresAt = expiresAt
        self.attempts = attempts
        self.parts = parts
    }
}

public struct ClaimedPart: Sendable {
    public var number: Int
    public var submitSM: SubmitSM
    /// Already accepted by the SMSC in an earlier attempt: do not send again.
    public var submitted: Bool
}

/// What became of a claimed message.
public struct SubmissionReport: Sendable {
    public struct Part: Sendable, Hashable {
        public var number: Int
        /// As the SMSC wrote it.
        public var smscMessageID: String
        /// Normalised for receipt matching.
        public var key: String

        public init(number: Int, smscMessageID: String, key: String) {
            self.number = number
            self.smscMessageID = smscMessageID
            self.key = key
        }
    }

    public enum Outcome: Sendable, Hashable {
        /// Every part is with the SMSC.
        case sent
        /// Try again after this many seconds (parts accepted so far stay accepted). `counted: false`
        /// gives back the attempt the claim counted: the message never reached the SMSC.
        case retry(after: TimeInterval, errorCode: Int?, description: String, counted: Bool = true)
        /// Finished without being sent (failed, rejected, expired).
        case finished(MessageStatus, errorCode: Int?, description: String)
    }

    public var messageID: UUID
    public var connector: String
    /// Parts the SMSC accepted in this attempt.
    public var submitted: [Part]
    public var outcome: Outcome

    public init(messageID: UUID, connector: String, submitted: [Part], outcome: Outcome) {
        self.messageID = messageID
        self.connector = connector
        self.submitted = submitted
        self.outcome = outcome
    }
}

/// A delivery receipt as received from a connector.
public struct IncomingReceipt: Sendable, Hashable {
    public var connector: String
    /// The id as the receipt wrote it.
    public var smscMessageID: String
    /// Normalised keys to look the part up under, most likely first.
    public var candidates: [String]
    /// The `stat:` word.
    public var stat: String?
    public var state: MessageState?
    public var intermediate: Bool
    /// The `err:` value.
    public var errorCode: String?
    public var networkError: NetworkErrorCode?
    /// The receipt text.
    public var raw: String?

    /// The status this receipt gives its part: nil for an intermediate notification or a state
    /// that is not final (ENROUTE). A final receipt whose `stat:` word names no state (`NOROUTE`,
    /// a gateway's own word) is a failure: left as it was, the message would wait for good.
    public var finalStatus: MessageStatus? {
        guard !self.intermediate else { return nil }
        if let state = self.state { return MessageStatus(receiptState: state) }
        return self.stat == nil ? nil : .undelivered
    }

    public init(
        connector: String,
        smscMessageID: String,
        candidates: [String],
        stat: String?,
        state: MessageState?,
        intermediate: Bool,
        errorCode: String?,
        networkError: NetworkErrorCode?,
        raw: String?
    ) {
        self.connector = connector
        self.smscMessageID = smscMessageID
        self.candidates = candidates
        self.stat = stat
        self.state = state
        self.intermediate = intermediate
        self.errorCode = errorCode
        self.networkError = networkError
        self.raw = raw
    }
}

/// What a receipt did.
public enum ReceiptOutcome: Sendable, Hashable {
    /// Matched a part; `messageStatus` is the message's new final status, if it changed;
    /// `candidate` is the position, in the receipt's ``IncomingReceipt/candidates``, of the id that
    /// found it (0 when it was matched otherwise: by its submit response, or later).
    case matched(messageID: UUID, partNumber: Int, messageStatus: MessageStatus?, candidate: Int = 0)
    /// No part (yet): kept, and matched when the submit response's id is stored.
    case unmatched
}
