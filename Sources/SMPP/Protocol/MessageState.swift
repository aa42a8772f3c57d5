/// `message_state`: the state of a message in query_sm_resp and in receipts (SMPP 3.4 §5.2.28).
public struct MessageState: RawRepresentable, Hashable, Sendable {
    public var rawValue: UInt8
    @inlinable public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// SMPP 5.0.
    public static let scheduled = MessageState(rawValue: 0)
    public static let enroute = MessageState(rawValue: 1)
    public static let delivered = MessageState(rawValue: 2)
    public static let expired = MessageState(rawValue: 3)
    public static let deleted = MessageState(rawValue: 4)
    public static let undeliverable = MessageState(rawValue: 5)
    public static let accepted = MessageState(rawValue: 6)
    public static let unknown = MessageState(rawValue: 7)
    public static let rejected = MessageState(rawValue: 8)
    /// SMPP 5.0.
    public static let skipped = MessageState(rawValue: 9)

    /// The seven-letter word a receipt text uses for this state (`DELIVRD`, `UNDELIV`, …), or `nil` for an undefined value.
    public var receiptStat: String? {
        switch self.rawValue {
        case 0: "SCHEDLD"
        case 1: "ENROUTE"
        case 2: "DELIVRD"
        case 3: "EXPIRED"
        case 4: "DELETED"
        case 5: "UNDELIV"
        case 6: "ACCEPTD"
        case 7: "UNKNOWN"
        case 8: "REJECTD"
        case 9: "SKIPPED"
        default: nil
        }
    }

    /// The state a receipt's `stat:` word names, case-insensitively (also accepting the long names,
    /// e.g. `DELIVERED`, `UNDELIVERABLE`), or `nil` for a word that names no state.
    public init?(receiptStat word: some StringProtocol) {
        switch word.uppercased() {
        case "SCHEDLD", "SCHEDULED": self = .scheduled
        case "ENROUTE": self = .enroute
        case "DELIVRD", "DELIVERED": self = .delivered
        case "EXPIRED": self = .expired
        case "DELETED": self = .deleted
        case "UNDELIV", "UNDELIVERABLE": self = .undeliverable
        case "ACCEPTD", "ACCEPTED": self = .accepted
        case "UNKNOWN": self = .unknown
        case "REJECTD", "REJECTED": self = .rejected
        case "SKIPPED": self = .skipped
        default: return nil
        }
    }

    /// Whether no further state change is expected (everything except scheduled, en route and unknown).
    public var isFinal: Bool {
        switch self {
        case .scheduled, .enroute, .unknown: false
        default: self.rawValue <= 9
        }
    }
}
