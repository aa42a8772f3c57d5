import Foundation
public import NIOCore
public import NIOSSL
public import SMPP

/// Everything that defines one connector: an SMSC account reached through a pool of sessions.
///
/// Required values are in `init`; every other setting has the default written in its doc comment.
/// ``validate()`` checks the values once and names the key of any problem.
public struct ConnectorConfiguration: Sendable {
    /// A name for logs, metrics and events, e.g. `"main-smsc"`.
    public var name: String
    /// SMSC addresses tried in order: primary first, then backups.
    public var endpoints: [Endpoint]
    public var systemID: String
    public var password: String
    /// Default empty. Some providers read options from it (e.g. `"MCON2"`).
    public var systemType: String = ""
    /// Default 3.4.
    public var interfaceVersion: InterfaceVersion = .v34
    /// Default NULL.
    public var addressRange: Address = .null
    /// Default one transceiver per session.
    public var bindMode: BindMode = .transceiver
    /// Sessions (binds) kept open. Default 1.
    public var sessions: Int = 1
    /// Requests awaiting a response per session (max pending submits). Default 10.
    public var window: Int = 10
    /// Messages per second across all sessions of the connector; `nil` is unlimited. Default `nil`.
    public var throughput: Double?
    /// Default 10 s.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// Default 10 s.
    public var bindTimeout: TimeAmount = .seconds(10)
    /// Time allowed for each response. Default 30 s.
    public var responseTimeout: TimeAmount = .seconds(30)
    /// enquire_link after this much silence; `nil` never. Default 30 s (operators cut idle links after ~2 min).
    public var enquireLinkInterval: TimeAmount? = .seconds(30)
    /// Time allowed for enquire_link_resp before the link is declared dead. Default 10 s.
    public var enquireLinkTimeout: TimeAmount = .seconds(10)
    /// Time a graceful unbind may wait for in-flight responses. Default 5 s.
    public var unbindTimeout: TimeAmount = .seconds(5)
    /// Delays between reconnect rounds (every endpoint tried once per round). Default 1 s doubling to 60 s, ±20 %.
    public var reconnectBackoff = Backoff(initial: .seconds(1), maximum: .seconds(60), multiplier: 2, jitter: 0.2)
    /// Pause of a session answered ESME_RTHROTTLED or ESME_RMSGQFUL, growing while it repeats. Default 1 s doubling to 30 s.
    public var throttleBackoff = Backoff(initial: .seconds(1), maximum: .seconds(30), multiplier: 2, jitter: 0)
    /// Times a throttled message is resent before the caller gets the error. Default 20.
    public var maxThrottleRetries: Int = 20
    /// How long a submit may wait for a bound session with window space. Default 30 s.
    public var queueTimeout: TimeAmount = .seconds(30)
    /// Submits waiting at most; beyond it a submit fails at once (retryable). Default 100 000.
    public var maxQueued: Int = 100_000
    /// Time the application has to acknowledge an inbound deliver_sm / data_sm before the connector
    /// answers ESME_RX_T_APPN (so the SMSC delivers it again). Default 30 s.
    public var inboundAcknowledgementTimeout: TimeAmount = .seconds(30)
    /// TON/NPI of source addresses. Default detected from the text.
    public var sourceAddress: AddressPolicy = .detect
    /// TON/NPI of destination addresses. Default detected from the text.
    public var destinationAddress: AddressPolicy = .detect
    /// data_coding values used for each alphabet, and how data_coding 0 is read. Defaults per ``DataCodings``.
    public var dataCodings = DataCodings()
    /// How long texts are split. Default UDH with an 8-bit reference.
    public var longMessages: ConcatenationMethod = .udh8
    /// The most parts a text may need; longer texts are refused, never cut. Default 10.
    public var maximumParts: Int = 10
    /// priority_flag of the application's urgent messages (0–3; GSM reads 1–3 as priority).
    /// Default 1; 0 for an SMSC that refuses a priority.
    public var urgentPriorityFlag: UInt8 = 1
    /// registered_delivery of messages that do not say. Default a receipt on the final outcome.
    public var registeredDelivery: RegisteredDelivery = .receipt
    /// How message ids of submit responses and receipts are matched. Default `auto`.
    public var messageIDs: MessageIDNormalizer.Mode = .auto
    /// TLS for endpoints that use it. Default: system trust roots, full verification.
    public var tls: TLSConfiguration = .makeClientConfiguration()
    /// The largest PDU accepted. Default 66 560 octets.
    public var maximumPDULength: Int = SMPPFrame.defaultMaximumLength

    public init(name: String, endpoints: [Endpoint], systemID: String, password: String) {
        self.name = name
        self.endpoints = endpoints
        self.systemID = systemID
        self.password = password
    }

    /// One SMSC address.
    public struct Endpoint: Sendable, Hashable, CustomStringConvertible {
        public var host: String
        public var port: Int
        /// TLS from the first byte (SMPP has no STARTTLS). Default false.
        public var useTLS: Bool

        public init(host: String, port: Int, useTLS: Bool = false) {
            self.host = host
            self.port = port
            self.useTLS = useTLS
        }

        public var description: String { "\(self.useTLS ? "tls" : "tcp")://\(self.host):\(self.port)" }
    }

    /// Which binds make up the pool.
    public enum BindMode: String, Sendable, Hashable, CaseIterable, Codable {
        /// `sessions` transceivers.
        case transceiver
        /// `sessions` transmitters and `sessions` receivers.
        case transmitterAndReceiver = "transmitter+receiver"
        /// `sessions` transmitters only (no receipts or MO on this connector).
        case transmitter
        /// `sessions` receivers only.
        case receiver

        /// The bind type of each slot.
        func slots(sessions: Int) -> [BindType] {
            switch self {
            case .transceiver: Array(repeating: .transceiver, count: sessions)
            case .transmitter: Array(repeating: .transmitter, count: sessions)
            case .receiver: Array(repeating: .receiver, count: sessions)
            case .transmitterAndReceiver:
                Array(repeating: .transmitter, count: sessions) + Array(repeating: .receiver, count: sessions)
            }
        }
    }

    /// How TON and NPI of an address are chosen (see ``SMPP/AddressPolicy``).
    public typealias AddressPolicy = SMPP.AddressPolicy
    /// data_coding values per alphabet (see ``SMPP/DataCodings``).
    public typealias DataCodings = SMPP.DataCodings

    /// The part builder these settings describe (addresses, data_coding, long messages, maximum
    /// parts, registered_delivery).
    public var submitBuilder: SubmitBuilder {
        var builder = SubmitBuilder()
        builder.sourceAddress = self.sourceAddress
        builder.destinationAddress = self.destinationAddress
        builder.dataCodings = self.dataCodings
        builder.longMessages = self.longMessages
        builder.maximumParts = self.maximumParts
        builder.urgentPriorityFlag = self.urgentPriorityFlag
        builder.registeredDelivery = self.registeredDelivery
        return builder
    }

    /// Checks every value once; the error names the key.
    public func validate() throws(ConfigurationError) {
        func fail(_ key: String, _ problem: String) -> ConfigurationError {
            ConfigurationError(connector: self.name, key: key, problem: problem)
        }
        guard !self.name.isEmpty else { throw fail("name", "must not be empty") }
        guard !self.endpoints.isEmpty else { throw fail("endpoints", "needs at least one host") }
        for (index, endpoint) in self.endpoints.enumerated() {
            guard !endpoint.host.isEmpty else { throw fail("endpoints[\(index)].host", "must not be empty") }
            guard (1...65535).contains(endpoint.port) else { throw fail("endpoints[\(index)].port", "must be 1…65535") }
        }
        guard self.systemID.utf8.count <= 15 else { throw fail("system_id", "at most 15 characters") }
        guard self.password.utf8.count <= 8 else { throw fail("password", "at most 8 characters (SMPP 3.4)") }
        guard self.systemType.utf8.count <= 12 else { throw fail("system_type", "at most 12 characters") }
        guard (1...64).contains(self.sessions) else { throw fail("sessions", "must be 1…64") }
        guard (1...10_000).contains(self.window) else { throw fail("window", "must be 1…10000") }
        if let throughput = self.throughput, !(throughput > 0) {
            throw fail("throughput", "must be > 0 messages per second")
        }
        for (key, value) in [
            ("connect_timeout", self.connectTimeout), ("bind_timeout", self.bindTimeout),
            ("response_timeout", self.responseTimeout), ("enquire_link_timeout", self.enquireLinkTimeout),
            ("unbind_timeout", self.unbindTimeout), ("queue_timeout", self.queueTimeout),
            ("inbound_ack_timeout", self.inboundAcknowledgementTimeout),
        ] where value.nanoseconds <= 0 {
            throw fail(key, "must be > 0")
        }
        if let interval = self.enquireLinkInterval, interval < .seconds(1) {
            throw fail("enquire_link_interval", "must be at least 1 s (operators refuse faster)")
        }
        guard self.maxThrottleRetries >= 0 else { throw fail("max_throttle_retries", "must be ≥ 0") }
        guard self.maxQueued > 0 else { throw fail("max_queued", "must be > 0") }
        guard (1...255).contains(self.maximumParts) else { throw fail("maximum_parts", "must be 1…255") }
        guard self.urgentPriorityFlag <= 3 else { throw fail("urgent_priority_flag", "must be 0…3") }
        do {
            try self.reconnectBackoff.validate()
        } catch {
            throw fail("reconnect_backoff", error.problem)
        }
        do {
            try self.throttleBackoff.validate()
        } catch {
            throw fail("throttle_backoff", error.problem)
        }
    }
}

/// A configuration value that cannot be used.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var connector: String
    public var key: String
    public var problem: String

    public var description: String { "connector \(self.connector): \(self.key): \(self.problem)" }
}

/// Exponential back-off with jitter: `initial`, then × `multiplier` per step, at most `maximum`,
/// each delay spread by ± `jitter` (a fraction).
public struct Backoff: Sendable, Hashable {
    public var initial: TimeAmount
    public var maximum: TimeAmount
    public var multiplier: Double
    public var jitter: Double

    public init(initial: TimeAmount, maximum: TimeAmount, multiplier: Double = 2, jitter: Double = 0.2) {
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.jitter = jitter
    }

    /// The delay before attempt `step` (0 = the first retry). `unit` is a random value in 0…1.
    public func delay(step: Int, unit: Double) -> TimeAmount {
        let base = Double(self.initial.nanoseconds) * pow(self.multiplier, Double(min(step, 62)))
        let capped = min(base, Double(self.maximum.nanoseconds))
        let spread = capped * self.jitter * (unit * 2 - 1)
        return .nanoseconds(Int64(max(0, capped + spread)))
    }

    struct Invalid: Error {
        var problem: String
    }

    func validate() throws(Invalid) {
        guard self.initial.nanoseconds > 0 else { throw Invalid(problem: "initial must be > 0") }
        guard self.maximum >= self.initial else { throw Invalid(problem: "maximum must be ≥ initial") }
        guard self.multiplier >= 1 else { throw Invalid(problem: "multiplier must be ≥ 1") }
        guard (0...1).contains(self.jitter) else { throw Invalid(problem: "jitter must be 0…1") }
    }
}
