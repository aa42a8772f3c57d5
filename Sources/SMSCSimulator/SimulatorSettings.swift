import Foundation
internal import SMPP
import Yams

/// Simulator settings as written in a YAML file or given as command-line flags: every field is
/// optional, and ``apply(to:)`` lays the given ones over a configuration.
///
/// File keys are the flag names with `_` for `-` (`dlr_delay`, `max_rate`, …); see README, "Simulator".
public struct SimulatorSettings: Sendable, Codable, Hashable {
    public var host: String?
    public var port: Int?
    public var systemID: String?
    public var dlrDelay: Double?
    public var outcomes: String?
    public var intermediateState: String?
    public var receiptMode: ReceiptMode?
    public var receiptDateDigits: Int?
    public var messageIDFormat: MessageIDFormat?
    public var receiptIDFormat: ReceiptIDFormat?
    public var receiptIDWidth: Int?
    public var tlsPort: Int?
    public var tlsCert: String?
    public var tlsKey: String?
    public var controlHost: String?
    /// The control API port; 0 picks a free one, -1 turns the API off.
    public var controlPort: Int?
    public var users: [SimulatorConfiguration.User]?
    public var singleSession: Bool?
    public var duplicateWindow: Double?
    public var floodLimit: Int?
    public var floodInterval: Double?
    public var maxRate: Double?
    public var window: Int?
    public var respDelay: Double?
    public var failRate: Double?
    public var failStatus: String?
    public var noResponseRate: Double?
    public var dropAfter: Int?
    public var earlyReceiptRate: Double?
    public var enquireLinkInterval: Double?
    public var sessionInitTimeout: Double?
    public var deliveryTimeout: Double?
    public var deliveryRetryInterval: Double?
    public var deliveryAttempts: Int?
    public var storeCapacity: Int?
    public var seed: UInt64?
    public var moScript: String?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case host, port
        case systemID = "system_id"
        case dlrDelay = "dlr_delay"
        case outcomes
        case intermediateState = "intermediate_state"
        case receiptMode = "receipt_mode"
        case receiptDateDigits = "receipt_date_digits"
        case messageIDFormat = "message_id_format"
        case receiptIDFormat = "receipt_id_format"
        case receiptIDWidth = "receipt_id_width"
        case tlsPort = "tls_port"
        case tlsCert = "tls_cert"
        case tlsKey = "tls_key"
        case controlHost = "control_host"
        case controlPort = "control_port"
        case users
        case singleSession = "single_session"
        case duplicateWindow = "duplicate_window"
        case floodLimit = "flood_limit"
        case floodInterval = "flood_interval"
        case maxRate = "max_rate"
        case window
        case respDelay = "resp_delay"
        case failRate = "fail_rate"
        case failStatus = "fail_status"
        case noResponseRate = "no_response_rate"
        case dropAfter = "drop_after"
        case earlyReceiptRate = "early_receipt_rate"
        case enquireLinkInterval = "enquire_link_interval"
        case sessionInitTimeout = "session_init_timeout"
        case deliveryTimeout = "delivery_timeout"
        case deliveryRetryInterval = "delivery_retry_interval"
        case deliveryAttempts = "delivery_attempts"
        case storeCapacity = "store_capacity"
        case seed
        case moScript = "mo_script"
    }

    /// Reads settings from YAML; unknown keys are an error that names them.
    public init(yaml: String) throws(SimulatorConfigurationError) {
        do {
            if let node = try Yams.compose(yaml: yaml), case .mapping(let mapping) = node {
                let known = Set(CodingKeys.allKeys.map(\.stringValue))
                for key in mapping.keys {
                    guard let name = key.string, known.contains(name) else {
                        throw SimulatorConfigurationError(key: key.string ?? "?", problem: "unknown setting")
                    }
                }
            }
            self = try YAMLDecoder().decode(SimulatorSettings.self, from: yaml)
        } catch let error as SimulatorConfigurationError {
            throw error
        } catch {
            throw Self.configurationError(error, root: nil)
        }
    }

    /// The settings as YAML in the settings file's format (the keys that are set, users included):
    /// ``init(yaml:)`` reads it back to the same value.
    public func yaml() throws -> String {
        try YAMLEncoder().encode(self)
    }

    /// Reads a users file: a YAML list of `{system_id, password, bind_types?, max_sessions?}`. Errors
    /// name the entry and key, e.g. `users[1].password`.
    public static func users(yaml: String) throws(SimulatorConfigurationError) -> [SimulatorConfiguration.User] {
        do {
            return try YAMLDecoder().decode([SimulatorConfiguration.User].self, from: yaml)
        } catch {
            throw Self.configurationError(error, root: "users")
        }
    }

    /// A decoding error as a configuration error naming the key path (`users[0].max_sessions`).
    static func configurationError(_ error: any Error, root: String?) -> SimulatorConfigurationError {
        func path(_ keys: [any CodingKey]) -> String {
            var path = root ?? ""
            for key in keys {
                if let index = key.intValue {
                    path += "[\(index)]"
                } else {
                    path += path.isEmpty ? key.stringValue : ".\(key.stringValue)"
                }
            }
            return path.isEmpty ? "file" : path
        }
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            return SimulatorConfigurationError(key: path(context.codingPath), problem: context.debugDescription)
        case DecodingError.keyNotFound(let key, let context):
            return SimulatorConfigurationError(key: path(context.codingPath + [key]), problem: "missing")
        default:
            return SimulatorConfigurationError(key: root ?? "file", problem: "\(error)")
        }
    }

    /// `self` with every value of `other` that is set taking precedence.
    public func overriding(with other: SimulatorSettings) -> SimulatorSettings {
        var merged = self
        merged.host = other.host ?? self.host
        merged.port = other.port ?? self.port
        merged.systemID = other.systemID ?? self.systemID
        merged.dlrDelay = other.dlrDelay ?? self.dlrDelay
        merged.outcomes = other.outcomes ?? self.outcomes
        merged.intermediateState = other.intermediateState ?? self.intermediateState
        merged.receiptMode = other.receiptMode ?? self.receiptMode
        merged.receiptDateDigits = other.receiptDateDigits ?? self.receiptDateDigits
        merged.messageIDFormat = other.messageIDFormat ?? self.messageIDFormat
        merged.receiptIDFormat = other.receiptIDFormat ?? self.receiptIDFormat
        merged.receiptIDWidth = other.receiptIDWidth ?? self.receiptIDWidth
        merged.tlsPort = other.tlsPort ?? self.tlsPort
        merged.tlsCert = other.tlsCert ?? self.tlsCert
        merged.tlsKey = other.tlsKey ?? self.tlsKey
        merged.controlHost = other.controlHost ?? self.controlHost
        merged.controlPort = other.controlPort ?? self.controlPort
        merged.users = other.users ?? self.users
        merged.singleSession = other.singleSession ?? self.singleSession
        merged.duplicateWindow = other.duplicateWindow ?? self.duplicateWindow
        merged.floodLimit = other.floodLimit ?? self.floodLimit
        merged.floodInterval = other.floodInterval ?? self.floodInterval
        merged.maxRate = other.maxRate ?? self.maxRate
        merged.window = other.window ?? self.window
        merged.respDelay = other.respDelay ?? self.respDelay
        merged.failRate = other.failRate ?? self.failRate
        merged.failStatus = other.failStatus ?? self.failStatus
        merged.noResponseRate = other.noResponseRate ?? self.noResponseRate
        merged.dropAfter = other.dropAfter ?? self.dropAfter
        merged.earlyReceiptRate = other.earlyReceiptRate ?? self.earlyReceiptRate
        merged.enquireLinkInterval = other.enquireLinkInterval ?? self.enquireLinkInterval
        merged.sessionInitTimeout = other.sessionInitTimeout ?? self.sessionInitTimeout
        merged.deliveryTimeout = other.deliveryTimeout ?? self.deliveryTimeout
        merged.deliveryRetryInterval = other.deliveryRetryInterval ?? self.deliveryRetryInterval
        merged.deliveryAttempts = other.deliveryAttempts ?? self.deliveryAttempts
        merged.storeCapacity = other.storeCapacity ?? self.storeCapacity
        merged.seed = other.seed ?? self.seed
        merged.moScript = other.moScript ?? self.moScript
        return merged
    }

    /// Lays the set values over `configuration`, validating each; the error names the key.
    public func apply(to configuration: inout SimulatorConfiguration) throws(SimulatorConfigurationError) {
        func fraction(_ value: Double?, _ key: String) throws(SimulatorConfigurationError) -> Double? {
            guard let value else { return nil }
            guard (0...1).contains(value) else {
                throw SimulatorConfigurationError(key: key, problem: "must be between 0 and 1")
            }
            return value
        }
        func nonNegative(_ value: Double?, _ key: String) throws(SimulatorConfigurationError) -> Double? {
            guard let value else { return nil }
            guard value >= 0, value.isFinite else {
                throw SimulatorConfigurationError(key: key, problem: "must be ≥ 0")
            }
            return value
        }
        func positive(_ value: Int?, _ key: String) throws(SimulatorConfigurationError) -> Int? {
            guard let value else { return nil }
            guard value > 0 else { throw SimulatorConfigurationError(key: key, problem: "must be > 0") }
            return value
        }
        func port(_ value: Int?, _ key: String, allowingOff: Bool = false) throws(SimulatorConfigurationError) -> Int? {
            guard let value else { return nil }
            guard (allowingOff ? -1 : 0)...65535 ~= value else {
                throw SimulatorConfigurationError(key: key, problem: "must be a port number 0…65535")
            }
            return value
        }

        if let host = self.host { configuration.host = host }
        if let value = try port(self.port, "port") { configuration.port = value }
        if let systemID = self.systemID {
            guard systemID.utf8.count <= 15 else {
                throw SimulatorConfigurationError(key: "system_id", problem: "at most 15 characters")
            }
            configuration.systemID = systemID
        }
        if let delay = try nonNegative(self.dlrDelay, "dlr_delay") { configuration.receipts.delay = delay }
        if let outcomes = self.outcomes { configuration.receipts.outcomes = try OutcomeMix(parsing: outcomes) }
        if let word = self.intermediateState {
            guard let state = MessageState(receiptStat: word), state == .enroute || state == .accepted else {
                throw SimulatorConfigurationError(key: "intermediate_state", problem: "must be ENROUTE or ACCEPTD")
            }
            configuration.receipts.intermediateState = state
        }
        if let mode = self.receiptMode { configuration.receipts.mode = mode }
        if let digits = self.receiptDateDigits {
            guard digits == 10 || digits == 12 else {
                throw SimulatorConfigurationError(key: "receipt_date_digits", problem: "must be 10 or 12")
            }
            configuration.receipts.dateDigits = digits
        }
        if let format = self.messageIDFormat { configuration.messageIDFormat = format }
        if let format = self.receiptIDFormat { configuration.receiptIDFormat = format }
        if let width = try positive(self.receiptIDWidth, "receipt_id_width") {
            guard width <= 64 else { throw SimulatorConfigurationError(key: "receipt_id_width", problem: "at most 64") }
            configuration.receiptIDWidth = width
        }
        if let tlsPort = try port(self.tlsPort, "tls_port") {
            guard let cert = self.tlsCert, let key = self.tlsKey else {
                throw SimulatorConfigurationError(key: "tls_port", problem: "needs tls_cert and tls_key")
            }
            guard FileManager.default.isReadableFile(atPath: cert) else {
                throw SimulatorConfigurationError(key: "tls_cert", problem: "cannot read \(cert)")
            }
            guard FileManager.default.isReadableFile(atPath: key) else {
                throw SimulatorConfigurationError(key: "tls_key", problem: "cannot read \(key)")
            }
            configuration.tls = .init(port: tlsPort, certificatePath: cert, privateKeyPath: key)
        }
        if let controlPort = try port(self.controlPort, "control_port", allowingOff: true) {
            configuration.control =
                controlPort < 0 ? nil : .init(host: self.controlHost ?? "127.0.0.1", port: controlPort)
        } else if let controlHost = self.controlHost {
            configuration.control?.host = controlHost
        }
        if let users = self.users { configuration.users = users }
        if let single = self.singleSession { configuration.conventions.singleSessionPerLogin = single }
        if let window = try nonNegative(self.duplicateWindow, "duplicate_window") {
            configuration.conventions.duplicateWindow = window > 0 ? window : nil
        }
        if let limit = try positive(self.floodLimit, "flood_limit") {
            configuration.conventions.floodGuard = .init(
                limit: limit,
                interval: try nonNegative(self.floodInterval, "flood_interval") ?? 30
            )
        }
        if let rate = try nonNegative(self.maxRate, "max_rate") {
            guard rate > 0 else { throw SimulatorConfigurationError(key: "max_rate", problem: "must be > 0") }
            configuration.throttling.maxRate = rate
        }
        if let window = try positive(self.window, "window") { configuration.throttling.window = window }
        if let delay = try nonNegative(self.respDelay, "resp_delay") { configuration.throttling.responseDelay = delay }
        if let rate = try fraction(self.failRate, "fail_rate") { configuration.faults.errorRate = rate }
        if let status = self.failStatus {
            guard let parsed = Self.status(status) else {
                throw SimulatorConfigurationError(
                    key: "fail_status",
                    problem: "'\(status)' is neither a status name (ESME_RSYSERR) nor a number (0x08)"
                )
            }
            configuration.faults.errorStatus = parsed
        }
        if let rate = try fraction(self.noResponseRate, "no_response_rate") {
            configuration.faults.noResponseRate = rate
        }
        if let count = try positive(self.dropAfter, "drop_after") { configuration.faults.dropAfterPDUs = count }
        if let rate = try fraction(self.earlyReceiptRate, "early_receipt_rate") {
            configuration.faults.earlyReceiptRate = rate
        }
        if let interval = try nonNegative(self.enquireLinkInterval, "enquire_link_interval") {
            configuration.enquireLinkInterval = interval
        }
        if let timeout = try nonNegative(self.sessionInitTimeout, "session_init_timeout") {
            configuration.sessionInitTimeout = timeout
        }
        if let timeout = try nonNegative(self.deliveryTimeout, "delivery_timeout") {
            guard timeout > 0 else {
                throw SimulatorConfigurationError(key: "delivery_timeout", problem: "must be > 0")
            }
            configuration.deliveryResponseTimeout = timeout
        }
        if let interval = try nonNegative(self.deliveryRetryInterval, "delivery_retry_interval") {
            configuration.deliveryRetryInterval = interval
        }
        if let attempts = try positive(self.deliveryAttempts, "delivery_attempts") {
            configuration.deliveryAttempts = attempts
        }
        if let capacity = try positive(self.storeCapacity, "store_capacity") { configuration.storeCapacity = capacity }
        if let seed = self.seed { configuration.seed = seed }
    }

    /// A status from its name (`ESME_RSYSERR`) or number (`0x08`, `8`).
    static func status(_ text: String) -> CommandStatus? {
        if let status = CommandStatus(name: text) { return status }
        let lower = text.lowercased()
        if lower.hasPrefix("0x"), let value = UInt32(lower.dropFirst(2), radix: 16) {
            return CommandStatus(rawValue: value)
        }
        return UInt32(text).map(CommandStatus.init(rawValue:))
    }
}

extension SimulatorSettings.CodingKeys: CaseIterable {}

extension SimulatorSettings.CodingKeys {
    static var allKeys: [Self] { Array(allCases) }
}
