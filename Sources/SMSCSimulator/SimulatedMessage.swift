public import SMPP

/// A message the simulator accepted, as the control API and `query_sm` see it.
public struct SimulatedMessage: Sendable, Hashable {
    /// The id given in the submit response.
    public var id: String
    /// The login that submitted it.
    public var systemID: String
    /// The session it arrived on.
    public var sessionID: Int
    /// `submit_sm`, `data_sm` or `submit_multi`.
    public var command: String
    public var serviceType: String
    public var source: Address
    public var destination: Address
    public var esmClass: ESMClass
    public var protocolID: UInt8
    public var priorityFlag: UInt8
    public var scheduleDeliveryTime: String
    public var validityPeriod: String
    public var registeredDelivery: RegisteredDelivery
    public var dataCoding: DataCoding
    /// The user data without its User Data Header.
    public var userData: [UInt8]
    /// The decoded text of this part, `nil` for binary data.
    public var text: String?
    /// Set when the message is one part of a concatenated message.
    public var concatenation: ConcatenationInfo?
    /// Wall-clock time of arrival.
    public var submittedAt: UTCInstant
    /// The state now: ENROUTE until the receipt delay has passed, then the drawn outcome.
    public var state: MessageState
    /// The final outcome drawn for this message.
    public var outcome: Outcome
    /// When the final state was reached.
    public var doneAt: UTCInstant?
    /// Where its receipt stands.
    public var receipt: ReceiptProgress
}

/// Where a message's delivery receipt stands.
public enum ReceiptProgress: String, Sendable, Hashable, Codable {
    /// registered_delivery asked for none (or not for this outcome).
    case notRequested = "not_requested"
    /// Waiting for the receipt delay.
    case scheduled
    /// Sent; waiting for deliver_sm_resp.
    case sent
    /// deliver_sm_resp received with status 0.
    case acknowledged
    /// Refused permanently or out of attempts.
    case failed
    /// The message was cancelled before its receipt.
    case cancelled
}
