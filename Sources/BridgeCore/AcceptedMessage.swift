public import Foundation
public import NIOCore
public import SMPP

/// A message that passed validation, with its parts built: what the store inserts.
public struct AcceptedMessage: Sendable {
    public var id: UUID
    public var accountID: UUID
    /// `queued`, or `scheduled` when `sendAt` lies ahead.
    public var status: MessageStatus
    /// The recipient and sender as given, without spaces.
    public var to: String
    public var from: String
    public var text: String?
    public var binaryBody: [UInt8]?
    /// The encoding used: gsm7, ucs2, latin1, ascii or binary.
    public var encoding: String
    /// The submit_sm body of each part, in order.
    public var parts: [SubmitSM]
    /// Each part encoded as a frame (sequence number 1), as the store keeps it: encoded once, by the
    /// builder's check.
    public var frames: [ByteBuffer]
    public var clientRef: String?
    public var callbackURL: String?
    public var tags: [String]
    public var priority: MessagePriority
    public var requestReceipt: Bool
    public var validity: Int?
    public var sendAt: Date?
    /// When validity runs out (`createdAt` + validity).
    public var expiresAt: Date?
    /// The connector that will carry it.
    public var connector: String
    public var createdAt: Date
    /// Set when the instance accepting the message sends it itself, without a trip through the
    /// queue: it is stored `sending`, leased to that instance, and handed to its dispatcher after
    /// the commit. `nil`: stored `queued` (or `scheduled`) for any dispatcher to claim.
    public var lease: DispatchLease? = nil
}

/// The lease under which an accepting instance sends a message itself.
public struct DispatchLease: Sendable, Hashable {
    /// The instance (its dispatcher's id).
    public var owner: UUID
    /// How long the lease holds; past it, another instance may send the message.
    public var duration: TimeInterval

    public init(owner: UUID, duration: TimeInterval) {
        self.owner = owner
        self.duration = duration
    }
}
