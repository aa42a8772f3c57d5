import BridgeCore
import BridgeService
import BridgeStore
import Foundation
import NIOCore
import SMPP
import SMPPClient
import Testing

struct ConfigurationTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    let minimal = """
        connectors:
          main:
            endpoints: [smsc.example.com]
            system_id: bridge
            password: secret
        """

    @Test func theExampleFileIsValidAndMeansWhatItSays() throws {
        let path = Self.repository.appendingPathComponent("smsbridge.example.yaml").path
        let configuration = try BridgeConfiguration.load(from: path, environment: [:])
        let validated = try configuration.validated()
        #expect(validated.connectors.map(\.name) == ["main"])
        let main = validated.connectors[0]
        #expect(main.endpoints == [.init(host: "127.0.0.1", port: 2775)])
        #expect(main.window == 10)
        #expect(main.enquireLinkInterval == .seconds(30))
        #expect(validated.router.connector(for: "447700900123") == "main")
        #expect(configuration.inbound.routes == ["12345": "acme"])
        #expect(configuration.http.maxQueueAge == .minutes(10))
        #expect(configuration.dispatcher.configuration.lease == 120)
    }

    @Test func aConfigurationWrittenAsYAMLReadsBackTheSame() throws {
        let path = Self.repository.appendingPathComponent("smsbridge.example.yaml").path
        var configuration = try BridgeConfiguration.load(from: path, environment: [:])
        configuration.http.maxQueueDepth = nil
        configuration.connectors["main"]?.enquireLinkInterval = nil
        configuration.connectors["main"]?.sourceAddress = .fixed(ton: 5, npi: 0)
        configuration.dispatcher.retryDelay = .seconds(0.25)
        configuration.connectors["main"]?.urgentPriorityFlag = 0
        let written = try configuration.yaml
        let read = try BridgeConfiguration.parse(written)
        #expect(try read.yaml == written)
        #expect(try read.validated().connectors[0].submitBuilder.urgentPriorityFlag == 0)
        #expect(read.http.maxQueueDepth == nil)
        #expect(read.connectors["main"]?.enquireLinkInterval == nil)
        #expect(read.connectors["main"]?.sourceAddress == .fixed(ton: 5, npi: 0))
        #expect(read.dispatcher.retryDelay == .seconds(0.25))
    }

    @Test func everyKeyIsDocumentedAndInTheExample() throws {
        let example = try String(
            contentsOf: Self.repository.appendingPathComponent("smsbridge.example.yaml"),
            encoding: .utf8
        )
        let reference = try String(
            contentsOf: Self.repository.appendingPathComponent("docs/CONFIGURATION.md"),
            encoding: .utf8
        )
        // Every key the configuration type writes (a connector, an inbound route and TLS files set,
        // so that their sections have keys).
        var configuration = try BridgeConfiguration.parse(example)
        configuration.connectors["main"]?.tls.caFile = "ca.pem"
        configuration.connectors["main"]?.tls.certificateFile = "client.pem"
        configuration.connectors["main"]?.tls.keyFile = "client.key"
        let written = try configuration.yaml
        let keys = Set(
            written.split(separator: "\n").compactMap { line -> String? in
                let trimmed = line.drop { $0 == " " || $0 == "-" }
                guard let colon = trimmed.firstIndex(of: ":") else { return nil }
                return String(trimmed[..<colon])
            }
        ).subtracting(["main", "12345", "4477"])
        #expect(keys.count > 50)
        for key in keys {
            #expect(reference.contains("`\(key)`"), "docs/CONFIGURATION.md does not document \(key)")
            #expect(example.contains("\(key):"), "smsbridge.example.yaml does not show \(key)")
        }
    }

    @Test func aMinimalFileTakesTheDefaults() throws {
        let configuration = try BridgeConfiguration.parse(self.minimal)
        let defaults = BridgeConfiguration()
        #expect(configuration.http.port == defaults.http.port)
        #expect(configuration.database.url == defaults.database.url)
        let validated = try configuration.validated()
        #expect(validated.connectors[0].endpoints == [.init(host: "smsc.example.com", port: 2775)])
        #expect(validated.router.defaultConnector == "main", "the only connector is the default")
    }

    @Test(arguments: [
        ("30", 30.0), ("0.5", 0.5), ("250ms", 0.25), ("30s", 30), ("5m", 300), ("2h", 7_200), ("7d", 604_800),
    ])
    func durations(text: String, seconds: Double) throws {
        let configuration = try BridgeConfiguration.parse(self.minimal + "\ndispatcher:\n  retry_delay: \(text)\n")
        #expect(configuration.dispatcher.retryDelay.seconds == seconds)
    }

    @Test(arguments: [
        ("http:\n  prot: 8080\n", "http.prot", "unknown key"),
        ("http:\n  port: eighty\n", "http.port", "must be a whole number"),
        ("http:\n  port: 70000\n", "http.port", "must be 0…65535"),
        ("dispatcher:\n  lease: soon\n", "dispatcher.lease", "is not a duration"),
        ("dispatcher:\n  report_gathering: 2s\n", "dispatcher.report_gathering", "at most 1s"),
        ("inbound:\n  receipt_gathering: 1500ms\n", "inbound.receipt_gathering", "at most 1s"),
        ("inbound:\n  database_timeout: 0\n", "inbound.database_timeout", "must be > 0"),
        ("database:\n  url: mysql://x@y/z\n", "database.url", "scheme must be postgres"),
        ("routes:\n  default: other\n", "routes.default", "no connector named other"),
        ("routes:\n  prefixes:\n    \"+44\": main\n", "routes.prefixes.+44", "a prefix is digits"),
        ("logging:\n  level: loud\n", "logging.level", "must be trace"),
        ("logging:\n  format: xml\n", "logging.format", "xml"),
    ])
    func errorsNameTheKey(extra: String, key: String, problem: String) throws {
        do {
            _ = try BridgeConfiguration.parse(self.minimal + "\n" + extra)
            Issue.record("accepted \(extra)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
        }
    }

    @Test(arguments: [
        ("window: 0", "connectors.main.window", "must be 1…10000"),
        ("password: toolongpassword", "connectors.main.password", "at most 8"),
        ("endpoints: [\"host:99999\"]", "connectors.main.endpoints[0]", "not host:port"),
        ("long_messages: smoke", "connectors.main.long_messages", "must be one of"),
        ("bind: sideways", "connectors.main.bind", "sideways"),
        ("max_parts: 0", "connectors.main.max_parts", "must be 1…255"),
        ("urgent_priority_flag: 4", "connectors.main.urgent_priority_flag", "must be 0…3"),
        ("source_address: {ton: 5}", "connectors.main.source_address.npi", "is required"),
        ("tls: {ca_file: /nonexistent.pem}", "connectors.main.tls.ca_file", "cannot read"),
        ("data_coding: {ucs2: 300}", "connectors.main.data_coding.ucs2", "0…255"),
        ("queue_timeout: 2m", "connectors.main.queue_timeout", "shorter than dispatcher.lease"),
    ])
    func connectorErrorsNameTheKey(line: String, key: String, problem: String) throws {
        do {
            // The line replaces the minimal connector's line with the same key, or is added.
            let key = line.prefix { $0 != ":" }
            var lines = self.minimal.split(separator: "\n").filter { !$0.hasPrefix("    \(key):") }.map(String.init)
            lines.append("    " + line)
            _ = try BridgeConfiguration.parse(lines.joined(separator: "\n"))
            Issue.record("accepted \(line)")
        } catch {
            #expect(error.key == key, "\(error)")
            #expect(error.problem.contains(problem), "\(error)")
        }
    }

    @Test func aMissingRequiredKeyIsNamed() throws {
        do {
            _ = try BridgeConfiguration.parse("connectors:\n  main:\n    endpoints: [a]\n    password: x\n")
            Issue.record("accepted a connector without system_id")
        } catch {
            #expect(error == BridgeConfigurationError(key: "connectors.main.system_id", problem: "is required"))
        }
    }

    /// A value the environment gave is named by its variable too: the file does not hold it.
    @Test func anInvalidValueFromTheEnvironmentNamesItsVariable() throws {
        let yaml = """
            connectors:
              main:
                endpoints: ["127.0.0.1:2775"]
                system_id: bridge
                password: secret
            """
        let cases = [
            (
                "SMSBRIDGE_CONNECTOR_MAIN_PASSWORD", "muchtoolong", "connectors.main.password",
                "at most 8 characters (SMPP 3.4)"
            ),
            (
                "SMSBRIDGE_DATABASE_URL", "mysql://db/x", "database.url",
                "scheme must be postgres:// or postgresql://, not mysql://"
            ),
            (
                "SMSBRIDGE_ADMIN_TOKEN", "short", "admin.token",
                "must be at least 16 characters (or null to turn the admin API off)"
            ),
        ]
        for (variable, value, key, problem) in cases {
            #expect(throws: BridgeConfigurationError(key: key, problem: problem, variable: variable)) {
                _ = try BridgeConfiguration.parse(yaml, environment: [variable: value])
            }
        }
        let error = BridgeConfigurationError(
            key: "connectors.main.password",
            problem: "at most 8 characters (SMPP 3.4)",
            variable: "SMSBRIDGE_CONNECTOR_MAIN_PASSWORD"
        )
        #expect(
            "\(error)"
                == "connectors.main.password (from SMSBRIDGE_CONNECTOR_MAIN_PASSWORD): at most 8 characters (SMPP 3.4)"
        )
        // The same value in the file is the file's.
        #expect(
            throws: BridgeConfigurationError(
                key: "connectors.main.password",
                problem: "at most 8 characters (SMPP 3.4)"
            )
        ) {
            _ = try BridgeConfiguration.parse(yaml.replacingOccurrences(of: "secret", with: "muchtoolong"))
        }
    }

    @Test func secretsComeFromTheEnvironment() throws {
        let withoutPassword = """
            connectors:
              uk-smsc:
                endpoints: ["tls://smsc.example.com:3550", "backup.example.com:2775"]
                system_id: bridge
            routes:
              default: uk-smsc
            """
        #expect(
            throws: BridgeConfigurationError(
                key: "connectors.uk-smsc.password",
                problem: "is required (or set SMSBRIDGE_CONNECTOR_UK_SMSC_PASSWORD)"
            )
        ) {
            _ = try BridgeConfiguration.parse(withoutPassword)
        }
        let configuration = try BridgeConfiguration.parse(
            withoutPassword,
            environment: [
                "SMSBRIDGE_CONNECTOR_UK_SMSC_PASSWORD": "fromenv",
                "SMSBRIDGE_DATABASE_URL": "postgres://app:pw@db.internal:6432/sms?sslmode=require",
            ]
        )
        let validated = try configuration.validated()
        #expect(validated.connectors[0].password == "fromenv")
        #expect(
            validated.connectors[0].endpoints == [
                .init(host: "smsc.example.com", port: 3550, useTLS: true),
                .init(host: "backup.example.com", port: 2775),
            ]
        )
        #expect(validated.database.host == "db.internal")
        #expect(validated.database.port == 6432)
        #expect(validated.database.tlsMode == .require)
        #expect("\(validated.database)".contains("pw") == false, "the password never shows in logs")
    }

    @Test func nullLiftsAQueueBoundAndAMissingKeyKeepsTheDefault() throws {
        let lifted = try BridgeConfiguration.parse(
            self.minimal + "\nhttp:\n  max_queue_depth: null\n  max_queue_age: null\n"
        )
        #expect(lifted.http.maxQueueDepth == nil)
        #expect(lifted.http.maxQueueAge == nil)
        let kept = try BridgeConfiguration.parse(self.minimal + "\nhttp:\n  port: 9000\n")
        #expect(kept.http.maxQueueDepth == 100_000)
    }

    @Test func databaseURLs() throws {
        let socket = try DatabaseURL("postgresql:///smsbridge?host=/var/run/postgresql&user=app")
        #expect(socket.socketPath == "/var/run/postgresql/.s.PGSQL.5432")
        #expect(socket.user == "app")
        #expect(socket.database == "smsbridge")
        let escaped = try DatabaseURL("postgres://us%40er:p%3Ass@localhost/db")
        #expect(escaped.user == "us@er")
        #expect(escaped.password == "p:ss")
        #expect(throws: (any Error).self) { _ = try DatabaseURL("postgres://localhost/db?sslmode=sometimes") }
        // An IPv6 address in brackets: the host is the address (with the brackets it did not resolve).
        let v6 = try DatabaseURL("postgres://app@[::1]:6432/db")
        #expect(v6.host == "::1")
        #expect(v6.port == 6432)
        #expect("\(v6)" == "postgres://app@[::1]:6432/db?sslmode=prefer")
    }
}
