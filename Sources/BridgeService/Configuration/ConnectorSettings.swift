import Foundation
import NIOCore
import NIOSSL
public import SMPP
public import SMPPClient

extension BridgeConfiguration {
    /// One SMSC account, as written in `connectors.<name>`. Defaults are those of
    /// ``SMPPClient/ConnectorConfiguration``.
    public struct Connector: Sendable, Codable {
        /// `host:port`, `tls://host:port` or `[::1]:2775`; the first is the primary, the others backups.
        public var endpoints: [String]
        public var systemID: String
        /// Environment: `SMSBRIDGE_CONNECTOR_<NAME>_PASSWORD` (name upper-cased, other characters as `_`).
        public var password: String?
        public var systemType = ""
        public var bind = ConnectorConfiguration.BindMode.transceiver
        public var sessions = 1
        public var window = 10
        /// Messages per second across the connector's sessions. Default unlimited.
        public var throughput: Double?
        public var connectTimeout: ConfigDuration = .seconds(10)
        public var bindTimeout: ConfigDuration = .seconds(10)
        public var responseTimeout: ConfigDuration = .seconds(30)
        /// `null` never sends enquire_link. Default 30s.
        public var enquireLinkInterval: ConfigDuration? = .seconds(30)
        public var reconnectDelay: ConfigDuration = .seconds(1)
        public var maxReconnectDelay: ConfigDuration = .seconds(60)
        public var queueTimeout: ConfigDuration = .seconds(30)
        /// The most parts a text may need; longer texts are refused. Default 10.
        public var maxParts = 10
        /// udh8, udh16, sar, payload. Default udh8.
        public var longMessages = "udh8"
        /// priority_flag of urgent messages, 0–3. Default 1.
        public var urgentPriorityFlag: UInt8 = 1
        /// auto, exact, canonical, receipt-decimal, receipt-hex. Default auto.
        public var messageIDs = MessageIDNormalizer.Mode.auto
        /// data_coding per alphabet and how data_coding 0 is read.
        public var dataCoding = DataCodingSettings()
        /// TON/NPI of source addresses: `detect` or `{ton: 5, npi: 0}`.
        public var sourceAddress = AddressSettings.detect
        /// TON/NPI of destination addresses.
        public var destinationAddress = AddressSettings.detect
        public var tls = TLSSettings()

        public init(endpoints: [String], systemID: String, password: String?) {
            self.endpoints = endpoints
            self.systemID = systemID
            self.password = password
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case endpoints
            case systemID = "system_id"
            case password
            case systemType = "system_type"
            case bind, sessions, window, throughput
            case connectTimeout = "connect_timeout"
            case bindTimeout = "bind_timeout"
            case responseTimeout = "response_timeout"
            case enquireLinkInterval = "enquire_link_interval"
            case reconnectDelay = "reconnect_delay"
            case maxReconnectDelay = "max_reconnect_delay"
            case queueTimeout = "queue_timeout"
            case maxParts = "max_parts"
            case longMessages = "long_messages"
            case urgentPriorityFlag = "urgent_priority_flag"
            case messageIDs = "message_ids"
            case dataCoding = "data_coding"
            case sourceAddress = "source_address"
            case destinationAddress = "destination_address"
            case tls
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.endpoints = try c.decode([String].self, forKey: .endpoints)
            self.systemID = try c.decode(String.self, forKey: .systemID)
            self.password = try c.decodeIfPresent(String.self, forKey: .password)
            self.systemType = try c(.systemType, default: self.systemType)
            self.bind = try c(.bind, default: self.bind)
            self.sessions = try c(.sessions, default: self.sessions)
            self.window = try c(.window, default: self.window)
            self.throughput = try c.decodeIfPresent(Double.self, forKey: .throughput)
            self.connectTimeout = try c(.connectTimeout, default: self.connectTimeout)
            self.bindTimeout = try c(.bindTimeout, default: self.bindTimeout)
            self.responseTimeout = try c(.responseTimeout, default: self.responseTimeout)
            self.enquireLinkInterval =
                c.contains(.enquireLinkInterval)
                ? try c.decodeIfPresent(ConfigDuration.self, forKey: .enquireLinkInterval) : .seconds(30)
            self.reconnectDelay = try c(.reconnectDelay, default: self.reconnectDelay)
            self.maxReconnectDelay = try c(.maxReconnectDelay, default: self.maxReconnectDelay)
            self.queueTimeout = try c(.queueTimeout, default: self.queueTimeout)
            self.maxParts = try c(.maxParts, default: self.maxParts)
            self.longMessages = try c(.longMessages, default: self.longMessages)
            self.urgentPriorityFlag = try c(.urgentPriorityFlag, default: self.urgentPriorityFlag)
            self.messageIDs = try c(.messageIDs, default: self.messageIDs)
            self.dataCoding = try c(.dataCoding, default: self.dataCoding)
            self.sourceAddress = try c(.sourceAddress, default: self.sourceAddress)
            self.destinationAddress = try c(.destinationAddress, default: self.destinationAddress)
            self.tls = try c(.tls, default: self.tls)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(self.endpoints, forKey: .endpoints)
            try c.encode(self.systemID, forKey: .systemID)
            try c.encodeIfPresent(self.password, forKey: .password)
            try c.encode(self.systemType, forKey: .systemType)
            try c.encode(self.bind, forKey: .bind)
            try c.encode(self.sessions, forKey: .sessions)
            try c.encode(self.window, forKey: .window)
            try c.encode(self.throughput, forKey: .throughput)
            try c.encode(self.connectTimeout, forKey: .connectTimeout)
            try c.encode(self.bindTimeout, forKey: .bindTimeout)
            try c.encode(self.responseTimeout, forKey: .responseTimeout)
            // null turns enquire_link off, so it is written out.
            try c.encode(self.enquireLinkInterval, forKey: .enquireLinkInterval)
            try c.encode(self.reconnectDelay, forKey: .reconnectDelay)
            try c.encode(self.maxReconnectDelay, forKey: .maxReconnectDelay)
            try c.encode(self.queueTimeout, forKey: .queueTimeout)
            try c.encode(self.maxParts, forKey: .maxParts)
            try c.encode(self.longMessages, forKey: .longMessages)
            try c.encode(self.urgentPriorityFlag, forKey: .urgentPriorityFlag)
            try c.encode(self.messageIDs, forKey: .messageIDs)
            try c.encode(self.dataCoding, forKey: .dataCoding)
            try c.encode(self.sourceAddress, forKey: .sourceAddress)
            try c.encode(self.destinationAddress, forKey: .destinationAddress)
            try c.encode(self.tls, forKey: .tls)
        }

        /// The connector's configuration; errors name the key under `connectors.<name>`.
        public func configuration(name: String) throws(BridgeConfigurationError) -> ConnectorConfiguration {
            func fail(_ key: String, _ problem: String) -> BridgeConfigurationError {
                BridgeConfigurationError(key: "connectors.\(name).\(key)", problem: problem)
            }
            guard let password = self.password else {
                throw fail("password", "is required (or set \(Self.passwordVariable(for: name)))")
            }
            var endpoints: [ConnectorConfiguration.Endpoint] = []
            for (index, text) in self.endpoints.enumerated() {
                guard let endpoint = Self.endpoint(text) else {
                    throw fail("endpoints[\(index)]", "\"\(text)\" is not host:port or tls://host:port")
                }
                endpoints.append(endpoint)
            }
            guard let longMessages = ConcatenationMethod(rawValue: self.longMessages) else {
                let names = ConcatenationMethod.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail("long_messages", "must be one of \(names)")
            }
            var configuration = ConnectorConfiguration(
                name: name,
                endpoints: endpoints,
                systemID: self.systemID,
                password: password
            )
            configuration.systemType = self.systemType
            configuration.bindMode = self.bind
            configuration.sessions = self.sessions
            configuration.window = self.window
            configuration.throughput = self.throughput
            configuration.connectTimeout = self.connectTimeout.timeAmount
            configuration.bindTimeout = self.bindTimeout.timeAmount
            configuration.responseTimeout = self.responseTimeout.timeAmount
            configuration.enquireLinkInterval = self.enquireLinkInterval?.timeAmount
            configuration.reconnectBackoff = Backoff(
                initial: self.reconnectDelay.timeAmount,
                maximum: self.maxReconnectDelay.timeAmount
            )
            configuration.queueTimeout = self.queueTimeout.timeAmount
            configuration.maximumParts = self.maxParts
            configuration.longMessages = longMessages
            configuration.urgentPriorityFlag = self.urgentPriorityFlag
            configuration.messageIDs = self.messageIDs
            configuration.dataCodings = self.dataCoding.dataCodings
            configuration.sourceAddress = self.sourceAddress.policy
            configuration.destinationAddress = self.destinationAddress.policy
            configuration.tls = try self.tls.configuration(fail: { fail("tls.\($0)", $1) })
            do {
                try configuration.validate()
            } catch {
                throw fail(Self.settingsKey[error.key] ?? error.key, error.problem)
            }
            return configuration
        }

        /// ConnectorConfiguration's key names that differ from the file's.
        private static let settingsKey = [
            "maximum_parts": "max_parts", "reconnect_backoff": "reconnect_delay",
        ]

        /// The environment variable that may hold this connector's password.
        public static func passwordVariable(for name: String) -> String {
            let cleaned = name.uppercased().map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
            return "SMSBRIDGE_CONNECTOR_\(cleaned)_PASSWORD"
        }

        static func endpoint(_ text: String) -> ConnectorConfiguration.Endpoint? {
            var rest = Substring(text)
            var useTLS = false
            if rest.hasPrefix("tls://") {
                useTLS = true
                rest = rest.dropFirst(6)
            } else if rest.hasPrefix("tcp://") {
                rest = rest.dropFirst(6)
            }
            let host: Substring
            let portText: Substring?
            if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                host = rest[rest.index(after: rest.startIndex)..<close]
                let after = rest[rest.index(after: close)...]
                portText = after.hasPrefix(":") ? after.dropFirst() : (after.isEmpty ? nil : after)
            } else if let colon = rest.lastIndex(of: ":") {
                host = rest[..<colon]
                portText = rest[rest.index(after: colon)...]
            } else {
                host = rest
                portText = nil
            }
            guard !host.isEmpty, !host.contains(where: { $0 == "/" || $0 == " " }) else { return nil }
            let port = portText.map { Int($0) } ?? 2775
            guard let port, (1...65535).contains(port) else { return nil }
            return .init(host: String(host), port: port, useTLS: useTLS)
        }
    }

    public struct DataCodingSettings: Sendable, Codable {
        public var gsm7 = 0
        public var ascii = 1
        public var latin1 = 3
        public var ucs2 = 8
        /// How the SMSC reads data_coding 0: gsm7 (default), ascii or latin1.
        public var defaultAlphabet = "gsm7"

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case gsm7, ascii, latin1, ucs2
            case defaultAlphabet = "default_alphabet"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            for key in [CodingKeys.gsm7, .ascii, .latin1, .ucs2] {
                if let value = try c.decodeIfPresent(Int.self, forKey: key), !(0...255).contains(value) {
                    throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "must be 0…255")
                }
            }
            self.gsm7 = try c(.gsm7, default: self.gsm7)
            self.ascii = try c(.ascii, default: self.ascii)
            self.latin1 = try c(.latin1, default: self.latin1)
            self.ucs2 = try c(.ucs2, default: self.ucs2)
            self.defaultAlphabet = try c(.defaultAlphabet, default: self.defaultAlphabet)
            guard ["gsm7", "ascii", "latin1"].contains(self.defaultAlphabet) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .defaultAlphabet,
                    in: c,
                    debugDescription: "must be gsm7, ascii or latin1"
                )
            }
        }

        var dataCodings: DataCodings {
            var codings = DataCodings()
            codings.gsm7 = DataCoding(rawValue: UInt8(self.gsm7))
            codings.ascii = DataCoding(rawValue: UInt8(self.ascii))
            codings.latin1 = DataCoding(rawValue: UInt8(self.latin1))
            codings.ucs2 = DataCoding(rawValue: UInt8(self.ucs2))
            codings.smscDefaultAlphabet = TextEncoding(rawValue: self.defaultAlphabet) ?? .gsm7
            return codings
        }
    }

    /// `detect`, or fixed TON and NPI: `{ton: 1, npi: 1}`.
    public enum AddressSettings: Sendable, Codable, Hashable {
        case detect
        case fixed(ton: UInt8, npi: UInt8)

        enum CodingKeys: String, CodingKey, CaseIterable {
            case ton, npi
        }

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                guard text == "detect" else {
                    throw DecodingError.dataCorrupted(
                        .init(codingPath: decoder.codingPath, debugDescription: "must be detect or {ton: …, npi: …}")
                    )
                }
                self = .detect
                return
            }
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self = .fixed(ton: try c.decode(UInt8.self, forKey: .ton), npi: try c.decode(UInt8.self, forKey: .npi))
        }

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .detect:
                var c = encoder.singleValueContainer()
                try c.encode("detect")
            case .fixed(let ton, let npi):
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(ton, forKey: .ton)
                try c.encode(npi, forKey: .npi)
            }
        }

        var policy: AddressPolicy {
            switch self {
            case .detect: .detect
            case .fixed(let ton, let npi): .fixed(TypeOfNumber(rawValue: ton), NumberingPlan(rawValue: npi))
            }
        }
    }

    /// TLS for `tls://` endpoints.
    public struct TLSSettings: Sendable, Codable {
        /// Check the SMSC's certificate and host name. Default true.
        public var verify = true
        /// PEM file of the authorities to trust instead of the system's.
        public var caFile: String?
        /// PEM files of a client certificate and its key, for SMSCs that ask for one.
        public var certificateFile: String?
        public var keyFile: String?

        public init() {}

        enum CodingKeys: String, CodingKey, CaseIterable {
            case verify
            case caFile = "ca_file"
            case certificateFile = "certificate_file"
            case keyFile = "key_file"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            self.verify = try c(.verify, default: self.verify)
            self.caFile = try c.decodeIfPresent(String.self, forKey: .caFile)
            self.certificateFile = try c.decodeIfPresent(String.self, forKey: .certificateFile)
            self.keyFile = try c.decodeIfPresent(String.self, forKey: .keyFile)
        }

        func configuration(
            fail: (String, String) -> BridgeConfigurationError
        ) throws(BridgeConfigurationError) -> TLSConfiguration {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.certificateVerification = self.verify ? .fullVerification : .none
            if let caFile {
                guard let roots = try? NIOSSLCertificate.fromPEMFile(caFile), !roots.isEmpty else {
                    throw fail("ca_file", "cannot read PEM certificates from \(caFile)")
                }
                configuration.trustRoots = .certificates(roots)
            }
            switch (self.certificateFile, self.keyFile) {
            case (nil, nil):
                break
            case (let certificateFile?, let keyFile?):
                guard let chain = try? NIOSSLCertificate.fromPEMFile(certificateFile), !chain.isEmpty else {
                    throw fail("certificate_file", "cannot read PEM certificates from \(certificateFile)")
                }
                guard let key = try? NIOSSLPrivateKey(file: keyFile, format: .pem) else {
                    throw fail("key_file", "cannot read a PEM private key from \(keyFile)")
                }
                configuration.certificateChain = chain.map { .certificate($0) }
                configuration.privateKey = .privateKey(key)
            case (nil, _):
                throw fail("certificate_file", "is required with key_file")
            case (_, nil):
                throw fail("key_file", "is required with certificate_file")
            }
            return configuration
        }
    }
}

extension ConfigDuration {
    var timeAmount: TimeAmount { .milliseconds(Int64((self.seconds * 1_000).rounded())) }
}
