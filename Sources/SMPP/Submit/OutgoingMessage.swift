/// A message to send, before the connector turns it into submit_sm parts with its defaults
/// (TON/NPI, data_coding, long-message method, registered_delivery).
public struct OutgoingMessage: Sendable, Hashable {
    public enum Body: Sendable, Hashable {
        /// Text in an encoding; `nil` picks GSM-7 when every character fits, else UCS-2.
        case text(String, encoding: TextEncoding?)
        /// Octets as they are, with this data_coding (8-bit binary by default).
        case binary([UInt8], dataCoding: DataCoding)
    }

    /// The sender: a number (`+447700900123`) or a name (up to 11 characters).
    public var from: String
    /// The recipient.
    public var to: String
    public var body: Body
    /// `nil` uses the connector's default.
    public var registeredDelivery: RegisteredDelivery?
    /// How long the SMSC may keep trying, in seconds (sent as a relative validity period); `nil` for the SMSC's default.
    public var validity: Int?
    /// An SMPP time (`YYMMDDhhmmsstnnp`) for scheduled delivery by the SMSC, or empty.
    public var scheduleDeliveryTime: String
    /// 0–3.
    public var priorityFlag: UInt8
    public var serviceType: String
    /// Extra TLVs for every part (e.g. `user_message_reference`).
    public var tlvs: TLVs

    public init(
        from: String,
        to: String,
        body: Body,
        registeredDelivery: RegisteredDelivery? = nil,
        validity: Int? = nil,
        scheduleDeliveryTime: String = "",
        priorityFlag: UInt8 = 0,
        serviceType: String = "",
        tlvs: TLVs = []
    ) {
        self.from = from
        self.to = to
        self.body = body
        self.registeredDelivery = registeredDelivery
        self.validity = validity
        self.scheduleDeliveryTime = scheduleDeliveryTime
        self.priorityFlag = priorityFlag
        self.serviceType = serviceType
        self.tlvs = tlvs
    }

    /// A text message.
    public static func text(_ text: String, from: String, to: String, encoding: TextEncoding? = nil) -> OutgoingMessage
    {
        OutgoingMessage(from: from, to: to, body: .text(text, encoding: encoding))
    }

    /// The validity as a relative SMPP time (`YYMMDDhhmmss000R`), capped at 99 days.
    public static func relativeValidity(seconds: Int) -> String {
        var remaining = max(0, min(seconds, 99 * 86_400 + 86_399))
        let days = remaining / 86_400
        remaining %= 86_400
        let hours = remaining / 3_600
        remaining %= 3_600
        let minutes = remaining / 60
        let secs = remaining % 60
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "0000\(two(days))\(two(hours))\(two(minutes))\(two(secs))000R"
    }
}
