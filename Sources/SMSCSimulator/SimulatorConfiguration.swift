public import SMPP

/// Everything that shapes how the simulator behaves. Defaults imitate a well-behaved SMSC that
/// accepts every bind and delivers every message five seconds later.
public struct SimulatorConfiguration: Sendable {
    /// Listen address for SMPP. Default `127.0.0.1`: the simulator is a development tool and should
    /// not be reachable from other machines unless asked (`0.0.0.0`).
    public var host: String = "127.0.0.1"
    /// SMPP port. Default 2775 (0 picks a free port).
    public var port: Int = 2775
    /// A second listener wrapped in TLS (for testing TLS clients), when set.
    public var tls: TLS?
    /// The HTTP control API (MO injection, inspection). Default on `127.0.0.1:8775`; `nil` disables it.
    public var control: Control? = Control()
    /// The `system_id` the simulator announces in bind responses. Default `smsc-sim`.
    public var systemID: String = "smsc-sim"

    /// Who may bind. `nil` (default) accepts any system_id and password.
    public var users: [User]?
    /// Receipts, their timing and their outcomes.
    public var receipts: Receipts = Receipts()
    /// The format of message ids in submit_sm_resp. Default hex.
    public var messageIDFormat: MessageIDFormat = .hex
    /// How receipts write the message id relative to submit_sm_resp (the carrier quirk). Default the same.
    public var receiptIDFormat: ReceiptIDFormat = .same
    /// Zero-pad receipt ids to this many characters (another carrier quirk). Default none.
    public var receiptIDWidth: Int?
    /// Provider conventions (SMPP.md §14).
    public var conventions: Conventions = Conventions()
    /// Throughput limits.
    public var throttling: Throttling = Throttling()
    /// Fault injection.
    public var faults: Faults = Faults()
    /// Seconds of silence after which the simulator sends its own enquire_link. Default 30; 0 turns it off.
    public var enquireLinkInterval: Double = 30
    /// Seconds a connection may stay open without a bind before the simulator closes it (SMPP 3.4
    /// §7.2, session_init_timer). Default 60; 0 turns it off.
    public var sessionInitTimeout: Double = 60
    /// Seconds to wait for a deliver_sm_resp before redelivering. Default 10.
    public var deliveryResponseTimeout: Double = 10
    /// Seconds between redeliveries of a deliver_sm answered with a temporary error or not answered. Default 1.
    public var deliveryRetryInterval: Double = 1
    /// How many times a deliver_sm is attempted before it is dropped. Default 10.
    public var deliveryAttempts: Int = 10
    /// How many submitted messages are kept for query_sm and the control API (oldest evicted). Default 100 000.
    public var storeCapacity: Int = 100_000
    /// The largest PDU accepted. Default 66 560 octets.
    public var maximumPDULength: Int = SMPPFrame.defaultMaximumLength
    /// Seed for the outcome mix and fault fractions, for reproducible runs. Default random.
    public var seed: UInt64?

    public init() {}

    /// A user of the users file.
    public struct User: Sendable, Hashable, Codable {
        public var systemID: String
        public var password: String
        /// Allowed bind types; empty allows all.
        public var bindTypes: Set<BindType>
        /// How many sessions may be bound at once with this login; `nil` is unlimited.
        public var maxSessions: Int?

        public init(systemID: String, password: String, bindTypes: Set<BindType> = [], maxSessions: Int? = nil) {
            self.systemID = systemID
            self.password = password
            self.bindTypes = bindTypes
            self.maxSessions = maxSessions
        }

        enum CodingKeys: String, CodingKey {
            case systemID = "system_id"
            case password
            case bindTypes = "bind_types"
            case maxSessions = "max_sessions"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.systemID = try container.decode(String.self, forKey: .systemID)
            self.password = try container.decode(String.self, forKey: .password)
            self.bindTypes = try container.decodeIfPresent(Set<BindType>.self, forKey: .bindTypes) ?? []
            self.maxSessions = try container.decodeIfPresent(Int.self, forKey: .maxSessions)
        }
    }

    /// The TLS listener.
    public struct TLS: Sendable, Hashable {
        public var port: Int
        /// PEM certificate chain file.
        public var certificatePath: String
        /// PEM private key file.
        public var privateKeyPath: String

        public init(port: Int, certificatePath: String, privateKeyPath: String) {
            self.port = port
            self.certificatePath = certificatePath
            self.privateKeyPath = privateKeyPath
        }
    }

    /// The HTTP control API listener.
    public struct Control: Sendable, Hashable {
        public var host: String
        public var port: Int

        public init(host: String = "127.0.0.1", port: Int = 8775) {
            self.host = host
            self.port = port
        }
    }

    /// Receipt behaviour.
    public struct Receipts: Sendable, Hashable {
        /// Seconds between a submit and its receipt. Default 5; 0 sends it right after the response.
        public var delay: Double = 5
        /// Weighted outcomes. Default every message delivered.
        public var outcomes: OutcomeMix = OutcomeMix()
        /// When set, an intermediate notification with this state (ENROUTE or ACCEPTD) precedes the
        /// final receipt for messages that ask for one (registered_delivery bit 4). Default ENROUTE.
        public var intermediateState: MessageState = .enroute
        /// One receipt per part (default) or one per whole concatenated message with the same id in every part.
        public var mode: ReceiptMode = .perPart
        /// Date format in receipt texts: 10 digits (`YYMMDDhhmm`, the specification) or 12 (with seconds).
        public var dateDigits: Int = 10

        public init() {}
    }

    /// Provider conventions of SMPP.md §14.
    public struct Conventions: Sendable, Hashable {
        /// A new bind with a login closes that login's older session. Default off.
        public var singleSessionPerLogin: Bool = false
        /// Refuse a submit identical (same source, destination and text) to one the same login had
        /// accepted within this many seconds; refused and unanswered submits do not count. Default off.
        public var duplicateWindow: Double?
        /// Status for refused duplicates. Default ESME_RSUBMITFAIL.
        public var duplicateStatus: CommandStatus = .submitFailed
        /// Block a destination that receives more than `limit` messages each less than `interval` seconds apart.
        public var floodGuard: FloodGuard?

        public init() {}
    }

    /// The flood guard: more than `limit` messages to one destination, each less than `interval` apart.
    public struct FloodGuard: Sendable, Hashable {
        public var limit: Int
        public var interval: Double
        /// Status for blocked messages. Default ESME_RMSGQFUL.
        public var status: CommandStatus

        public init(limit: Int = 50, interval: Double = 30, status: CommandStatus = .messageQueueFull) {
            self.limit = limit
            self.interval = interval
            self.status = status
        }
    }

    /// Throughput limits per session.
    public struct Throttling: Sendable, Hashable {
        /// Submits (submit_sm, data_sm, submit_multi: one each) per second per session; above it they
        /// get ESME_RTHROTTLED. Default unlimited.
        public var maxRate: Double?
        /// The most requests a session may have unanswered: responses held back (``responseDelay``, a
        /// receipt sent first) and submits never answered (``Faults/noResponseRate``), which hold
        /// their place until the session ends. A submit_sm, data_sm or submit_multi beyond it gets
        /// `windowStatus`. Default unlimited.
        public var window: Int?
        /// Status for requests beyond the window. Default ESME_RMSGQFUL.
        public var windowStatus: CommandStatus = .messageQueueFull
        /// Seconds added before every submit_sm, data_sm and submit_multi response. Default 0.
        public var responseDelay: Double = 0

        public init() {}
    }

    /// Fault injection.
    public struct Faults: Sendable, Hashable {
        /// Fraction (0…1) of submits answered with `errorStatus`. Default 0.
        public var errorRate: Double = 0
        /// Default ESME_RSYSERR.
        public var errorStatus: CommandStatus = .systemError
        /// Fraction of submits never answered. Default 0.
        public var noResponseRate: Double = 0
        /// Close each connection once it has received (and answered) this many PDUs. Default never.
        public var dropAfterPDUs: Int?
        /// Fraction of receipted submits whose receipt is sent before the submit_sm_resp. Default 0.
        public var earlyReceiptRate: Double = 0

        public init() {}
    }
}

/// How message ids are written.
public enum MessageIDFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// Upper-case hexadecimal, e.g. `3B9ACA2F`.
    case hex
    /// Decimal digits, e.g. `1000000047`.
    case decimal
    /// UUID-like, e.g. `0f8e2a61-5b2c-4d1e-9a3b-6c7d8e9f0a1b`.
    case uuid
}

/// How a receipt writes the message id relative to submit_sm_resp.
public enum ReceiptIDFormat: String, Sendable, Hashable, CaseIterable, Codable {
    /// As in submit_sm_resp.
    case same
    /// Decimal, converting a hex id (`3B9ACA2F` → `1000000047`).
    case decimal
    /// Hexadecimal, converting a decimal id (`1000000047` → `3B9ACA2F`).
    case hex
}

/// Receipts per part or per whole concatenated message.
public enum ReceiptMode: String, Sendable, Hashable, CaseIterable, Codable {
    /// Each part has its own id and its own receipt.
    case perPart = "per-part"
    /// Every part gets the id of the first; one receipt follows once the last part arrived.
    case whole
}
