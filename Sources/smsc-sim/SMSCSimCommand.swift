public import ArgumentParser
import Foundation
import Logging
import SMSCSimulator
import ServiceLifecycle
import UnixSignals

/// `smsc-sim`: an SMSC on your machine. Compatible with the common fake-SMSC invocation
/// (`--host`, `--port`, `--dlr-delay`), with many more knobs; see README, "Simulator".
@main
struct SMSCSimCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smsc-sim",
        abstract:
            "An SMPP 3.4 SMSC simulator: receipts, failures, throttling, inbound messages, and an HTTP control API.",
        discussion: """
            Flags override the YAML file given with --config (same names, with _ for -).
            Control API (default http://127.0.0.1:8775): GET /messages, /sessions, /counters; POST /mo, /reset.
            """
    )

    @Option(help: "YAML settings file (keys as the flags, e.g. dlr_delay: 0).") var config: String?
    @Option(help: "Listen address (default 127.0.0.1: local only; 0.0.0.0 for every interface).") var host: String?
    @Option(help: "SMPP port (default 2775; 0 picks a free one).") var port: Int?
    @Option(help: "Seconds from submit to receipt (default 5; 0 = immediately).") var dlrDelay: Double?
    @Option(name: .customLong("system-id"), help: "system_id announced in bind responses (default smsc-sim).")
    var systemID: String?
    @Option(help: "YAML users file: a list of {system_id, password, bind_types, max_sessions}. Default: any login.")
    var users: String?
    @Option(help: "Receipt outcome mix, e.g. DELIVRD=90,UNDELIV=5,EXPIRED=3,REJECTD=2 (default DELIVRD=100).")
    var outcomes: String?
    @Option(help: "Intermediate notification state (sent when registered_delivery asks): ENROUTE (default) or ACCEPTD.")
    var intermediateState: String?
    @Option(help: "per-part (default): one id and receipt per part; whole: the same id for every part, one receipt.")
    var receiptMode: ReceiptMode?
    @Option(help: "Digits of receipt dates: 10 (YYMMDDhhmm, default) or 12 (with seconds).") var receiptDateDigits: Int?
    @Option(name: .customLong("message-id-format"), help: "hex (default), decimal or uuid.")
    var messageIDFormat: MessageIDFormat?
    @Option(
        name: .customLong("receipt-id-format"),
        help: "How receipts write the id: same (default), decimal (hex→decimal) or hex (decimal→hex)."
    )
    var receiptIDFormat: ReceiptIDFormat?
    @Option(name: .customLong("receipt-id-width"), help: "Zero-pad receipt ids to this width.") var receiptIDWidth: Int?
    @Option(help: "Port of a second, TLS-wrapped listener (needs --tls-cert and --tls-key).") var tlsPort: Int?
    @Option(help: "PEM certificate chain for TLS.") var tlsCert: String?
    @Option(help: "PEM private key for TLS.") var tlsKey: String?
    @Option(help: "Control API address (default 127.0.0.1).") var controlHost: String?
    // Unconditional parsing, so that `--control-port -1` reads -1 as the value, not as a flag.
    @Option(parsing: .unconditional, help: "Control API port (default 8775; 0 picks a free one; -1 turns it off).")
    var controlPort: Int?
    @Flag(help: "One session per login: a new bind closes the login's older session.") var singleSession = false
    @Option(help: "Refuse a submit identical to one the same login had accepted within this many seconds.")
    var duplicateWindow: Double?
    @Option(help: "Flood guard: block a destination after this many messages each less than --flood-interval apart.")
    var floodLimit: Int?
    @Option(help: "Flood guard interval in seconds (default 30).") var floodInterval: Double?
    @Option(help: "Submits per second per session; above it they get ESME_RTHROTTLED.") var maxRate: Double?
    @Option(
        help: "Most unanswered requests per session (delayed or never answered); beyond it submits get ESME_RMSGQFUL."
    )
    var window: Int?
    @Option(help: "Seconds added before every submit response.") var respDelay: Double?
    @Option(help: "Fraction (0…1) of submits answered with --fail-status.") var failRate: Double?
    @Option(help: "Status for --fail-rate: a name (ESME_RSYSERR, default) or a number (0x08).") var failStatus: String?
    @Option(help: "Fraction of submits never answered.") var noResponseRate: Double?
    @Option(help: "Close each connection once it has received (and answered) this many PDUs.") var dropAfter: Int?
    @Option(help: "Fraction of receipted submits whose receipt is sent before the submit_sm_resp.")
    var earlyReceiptRate: Double?
    @Option(help: "Seconds of silence before the simulator sends enquire_link (default 30; 0 = never).")
    var enquireLinkInterval: Double?
    @Option(help: "Seconds a connection may stay open without a bind before it is closed (default 60; 0 = never).")
    var sessionInitTimeout: Double?
    @Option(help: "Seconds to wait for deliver_sm_resp before redelivering (default 10).") var deliveryTimeout: Double?
    @Option(help: "Seconds between redeliveries of refused or unanswered deliver_sm (default 1).")
    var deliveryRetryInterval: Double?
    @Option(help: "Attempts per deliver_sm before it is dropped (default 10).") var deliveryAttempts: Int?
    @Option(help: "Messages kept for query_sm and the control API (default 100000).") var storeCapacity: Int?
    @Option(help: "Seed for outcomes and faults, for reproducible runs.") var seed: UInt64?
    @Option(help: "MO script file: lines 'DELAY FROM TO TEXT'.") var moScript: String?
    @Option(help: "trace, debug, info (default), notice, warning, error or critical.") var logLevel: String = "info"
    @Flag(help: "Check the settings (the --config file with the flags over it), print them as YAML, and exit.")
    var printSettings = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: self.logLevel) else {
            throw ValidationError(
                "log-level: '\(self.logLevel)' is not one of trace, debug, info, notice, warning, error, critical"
            )
        }
        // StreamLogHandler stamps each line with localtime_r; with TZ unset, glibc then stats
        // /etc/localtime for every line (a sixth of the CPU at info level under load). Naming the
        // same zone explicitly keeps the time and avoids the system call.
        if getenv("TZ") == nil { setenv("TZ", ":/etc/localtime", 0) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardOutput(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "smsc-sim")

        var configuration = SimulatorConfiguration()
        let settings: SimulatorSettings
        let script: MOScript?
        do {
            var merged = SimulatorSettings()
            if let path = self.config { merged = try SimulatorSettings(yaml: try Self.read(path, key: "config")) }
            settings = merged.overriding(with: try self.flags())
            try settings.apply(to: &configuration)
            if let path = settings.moScript {
                script = try MOScript(parsing: try Self.read(path, key: "mo_script"))
            } else {
                script = nil
            }
        } catch {
            throw ValidationError("\(error)")
        }
        if self.printSettings {
            // In the settings file's format, so the output can serve as a --config file.
            print(try settings.yaml(), terminator: "")
            return
        }

        let simulator = SMSCSimulator(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [simulator], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        if let script {
            Task {
                // Let the listeners bind before the script starts.
                try await Task.sleep(for: .milliseconds(200))
                simulator.play(script)
            }
        }
        try await group.run()
    }

    private func flags() throws(SimulatorConfigurationError) -> SimulatorSettings {
        var settings = SimulatorSettings()
        settings.host = self.host
        settings.port = self.port
        settings.systemID = self.systemID
        settings.dlrDelay = self.dlrDelay
        settings.outcomes = self.outcomes
        settings.intermediateState = self.intermediateState
        settings.receiptMode = self.receiptMode
        settings.receiptDateDigits = self.receiptDateDigits
        settings.messageIDFormat = self.messageIDFormat
        settings.receiptIDFormat = self.receiptIDFormat
        settings.receiptIDWidth = self.receiptIDWidth
        settings.tlsPort = self.tlsPort
        settings.tlsCert = self.tlsCert
        settings.tlsKey = self.tlsKey
        settings.controlHost = self.controlHost
        settings.controlPort = self.controlPort
        if let path = self.users {
            settings.users = try SimulatorSettings.users(yaml: try Self.read(path, key: "users"))
        }
        settings.singleSession = self.singleSession ? true : nil
        settings.duplicateWindow = self.duplicateWindow
        settings.floodLimit = self.floodLimit
        settings.floodInterval = self.floodInterval
        settings.maxRate = self.maxRate
        settings.window = self.window
        settings.respDelay = self.respDelay
        settings.failRate = self.failRate
        settings.failStatus = self.failStatus
        settings.noResponseRate = self.noResponseRate
        settings.dropAfter = self.dropAfter
        settings.earlyReceiptRate = self.earlyReceiptRate
        settings.enquireLinkInterval = self.enquireLinkInterval
        settings.sessionInitTimeout = self.sessionInitTimeout
        settings.deliveryTimeout = self.deliveryTimeout
        settings.deliveryRetryInterval = self.deliveryRetryInterval
        settings.deliveryAttempts = self.deliveryAttempts
        settings.storeCapacity = self.storeCapacity
        settings.seed = self.seed
        settings.moScript = self.moScript
        return settings
    }

    private static func read(_ path: String, key: String) throws(SimulatorConfigurationError) -> String {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw SimulatorConfigurationError(key: key, problem: "cannot read \(path)")
        }
        return text
    }
}

extension ReceiptMode: ExpressibleByArgument {}
extension MessageIDFormat: ExpressibleByArgument {}
extension ReceiptIDFormat: ExpressibleByArgument {}
