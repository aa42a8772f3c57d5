import BridgeTestSupport
import Foundation
import NIOCore
import SMPP
import SMSCSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `smsc-sim` of the running test build: `swift build --build-tests` and `swift test` put the
/// executables beside the test bundle (`.build/<triple>/<configuration>/`), so the tests run the
/// binary built from the same sources in the same configuration.
let smscSimBinary: String = {
    let bundle = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
    return bundle.resolvingSymlinksInPath().deletingLastPathComponent().appendingPathComponent("smsc-sim").path
}()

/// The `smsc-sim` executable as built next to the tests: its flags, its argument validation, and
/// its log lines in the fake-SMSC compatible invocation. A missing binary fails the tests: the test
/// build always builds it.
@Suite(.timeLimit(.minutes(1)))
struct ExecutableTests {
    static func binary() throws -> String {
        try #require(
            FileManager.default.isExecutableFile(atPath: smscSimBinary),
            "smsc-sim is not built beside the tests (\(smscSimBinary))"
        )
        return smscSimBinary
    }

    /// A temporary file holding `text`, removed after `body`.
    static func withFile<T>(_ text: String, _ body: (String) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("smsc-sim-\(UUID().uuidString)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url.path)
    }

    @Test func helpNamesTheFakeSMSCFlagsAndTheSafeDefault() async throws {
        let process = try ChildProcess(try Self.binary(), ["--help"])
        #expect(try await process.wait(timeout: .seconds(20)) == 0)
        let help = process.stdout
        for flag in [
            "--host", "--port", "--dlr-delay", "--users", "--outcomes", "--max-rate", "--window", "--tls-port",
        ] {
            #expect(help.contains(flag), "\(flag) missing from --help")
        }
        #expect(help.contains("127.0.0.1"))
    }

    @Test(arguments: [
        (["--dlr-delay=-1"], "dlr_delay"),
        (["--outcomes", "DELIVRD=90,LOST=10"], "outcomes"),
        (["--fail-rate", "2"], "fail_rate"),
        (["--users", "/no/such/users.yaml"], "users"),
        (["--config", "/no/such/settings.yaml"], "config"),
        (["--log-level", "chatty"], "log-level"),
    ])
    func invalidArgumentsStopWithAMessageNamingTheKey(_ arguments: [String], _ key: String) async throws {
        let process = try ChildProcess(try Self.binary(), arguments + ["--port", "0", "--control-port=-1"])
        let status = try await process.wait(timeout: .seconds(20))
        #expect(status != 0)
        #expect(process.stderr.contains(key), "stderr: \(process.stderr)")
    }

    /// Starts `smsc-sim` on a free port without the control API, runs `body` with its SMPP port,
    /// then stops it with SIGTERM and expects a clean exit.
    static func running(_ arguments: [String], _ body: (Int, ChildProcess) async throws -> Void) async throws {
        let process = try ChildProcess(try Self.binary(), ["--port", "0", "--control-port", "-1"] + arguments)
        do {
            let port = try await process.waitForOutput(#"port=(\d+)[^\n]*\] listening\n"#)
            try await body(try #require(Int(port)), process)
        } catch {
            process.kill(SIGKILL)
            throw error
        }
        process.kill(SIGTERM)
        #expect(try await process.wait(timeout: .seconds(10)) == 0)
    }

    @Test func anMOScriptGivenOnTheCommandLineIsPlayed() async throws {
        try await Self.withFile("# two replies\n0 +447700900123 7726 YES\n0.1 447700900124 7726 STOP\n") { script in
            try await Self.running(["--mo-script", script]) { port, _ in
                try await TestESME.with(port: port) { esme in
                    try await esme.bind(.receiver, systemID: "phone")
                    // Messages played before the bind wait for it.
                    let first = try await esme.deliverSM().message
                    let second = try await esme.deliverSM().message
                    #expect(String(buffer: first.shortMessage) == "YES")
                    #expect(first.source.value == "447700900123")
                    #expect(String(buffer: second.shortMessage) == "STOP")
                }
            }
        }
    }

    @Test func aLongTextInAnMOScriptArrivesInPartsWithAUserDataHeader() async throws {
        // 2 × 153 septets < 330 septets (the € takes two) ≤ 3 × 153: three GSM-7 parts.
        let long = String(repeating: "Long reply ", count: 29) + "for €10."
        let emoji = String(repeating: "Ответ 👋 ", count: 10) + "!"  // 91 UTF-16 units: two UCS-2 parts
        try await Self.withFile("0 447700900123 7726 \(long)\n0 447700900124 7726 \(emoji)\n") { script in
            try await Self.running(["--mo-script", script]) { port, _ in
                try await TestESME.with(port: port) { esme in
                    try await esme.bind(.receiver, systemID: "phone")
                    var parts: [(info: ConcatenationInfo, message: DeliverSM)] = []
                    for _ in 0..<5 {
                        let message = try await esme.deliverSM().message
                        #expect(message.esmClass.hasUDHI)
                        parts.append((try #require(message.concatenation), message))
                    }
                    let gsm = parts.filter { $0.message.source.value == "447700900123" }
                    let ucs2 = parts.filter { $0.message.source.value == "447700900124" }
                    try #require(gsm.count == 3)
                    try #require(ucs2.count == 2)
                    for (expected, text, dataCoding) in [(gsm, long, DataCoding.smscDefault), (ucs2, emoji, .ucs2)] {
                        let sorted = expected.sorted { $0.info.sequence < $1.info.sequence }
                        #expect(Set(sorted.map(\.info.reference)).count == 1)
                        #expect(sorted.map(\.info.sequence) == Array(1...UInt8(sorted.count)))
                        #expect(sorted.allSatisfy { Int($0.info.total) == sorted.count })
                        #expect(sorted.allSatisfy { $0.message.dataCoding == dataCoding })
                        let joined = try sorted.map { try ControlAPITests.text(of: $0.message) }.joined()
                        #expect(joined == text)
                    }
                }
            }
        }
    }

    /// Every flag but --config, --log-level and --print-settings, with a value unlike any other.
    @Test func everyFlagLandsOnItsSetting() async throws {
        let users = "- system_id: shop\n  password: secret\n  bind_types: [transceiver]\n  max_sessions: 2\n"
        try await Self.withFile(users) { usersFile in
            try await Self.withFile("1 447700900123 7726 YES\n") { script in
                var expected = SimulatorSettings()
                var arguments: [String] = []
                func flag<T>(
                    _ name: String,
                    _ value: String,
                    _ setting: WritableKeyPath<SimulatorSettings, T?>,
                    _ typed: T
                ) {
                    arguments += ["--\(name)", value]
                    expected[keyPath: setting] = typed
                }
                flag("host", "0.0.0.0", \.host, "0.0.0.0")
                flag("port", "2776", \.port, 2776)
                flag("system-id", "SMSC01", \.systemID, "SMSC01")
                flag("dlr-delay", "0.5", \.dlrDelay, 0.5)
                flag("outcomes", "DELIVRD=90,UNDELIV=10", \.outcomes, "DELIVRD=90,UNDELIV=10")
                flag("intermediate-state", "ACCEPTD", \.intermediateState, "ACCEPTD")
                flag("receipt-mode", "whole", \.receiptMode, .whole)
                flag("receipt-date-digits", "12", \.receiptDateDigits, 12)
                flag("message-id-format", "decimal", \.messageIDFormat, .decimal)
                flag("receipt-id-format", "hex", \.receiptIDFormat, .hex)
                flag("receipt-id-width", "16", \.receiptIDWidth, 16)
                flag("tls-port", "3551", \.tlsPort, 3551)
                flag("tls-cert", Fixtures.path("cert.pem"), \.tlsCert, Fixtures.path("cert.pem"))
                flag("tls-key", Fixtures.path("key.pem"), \.tlsKey, Fixtures.path("key.pem"))
                flag("control-host", "127.0.0.2", \.controlHost, "127.0.0.2")
                flag("control-port", "8776", \.controlPort, 8776)
                flag(
                    "users",
                    usersFile,
                    \.users,
                    [.init(systemID: "shop", password: "secret", bindTypes: [.transceiver], maxSessions: 2)]
                )
                arguments.append("--single-session")
                expected.singleSession = true
                flag("duplicate-window", "61", \.duplicateWindow, 61)
                flag("flood-limit", "49", \.floodLimit, 49)
                flag("flood-interval", "31", \.floodInterval, 31)
                flag("max-rate", "29", \.maxRate, 29)
                flag("window", "11", \.window, 11)
                flag("resp-delay", "0.01", \.respDelay, 0.01)
                flag("fail-rate", "0.1", \.failRate, 0.1)
                flag("fail-status", "ESME_RSUBMITFAIL", \.failStatus, "ESME_RSUBMITFAIL")
                flag("no-response-rate", "0.05", \.noResponseRate, 0.05)
                flag("drop-after", "1001", \.dropAfter, 1001)
                flag("early-receipt-rate", "0.2", \.earlyReceiptRate, 0.2)
                flag("enquire-link-interval", "59", \.enquireLinkInterval, 59)
                flag("session-init-timeout", "21", \.sessionInitTimeout, 21)
                flag("delivery-timeout", "4", \.deliveryTimeout, 4)
                flag("delivery-retry-interval", "2.5", \.deliveryRetryInterval, 2.5)
                flag("delivery-attempts", "3", \.deliveryAttempts, 3)
                flag("store-capacity", "501", \.storeCapacity, 501)
                flag("seed", "18446744073709551615", \.seed, UInt64.max)
                flag("mo-script", script, \.moScript, script)

                // Every setting is given by a flag, and every flag of --help is given.
                for child in Mirror(reflecting: expected).children {
                    #expect(String(describing: child.value) != "nil", "no flag sets \(child.label ?? "?")")
                }
                let help = try ChildProcess(try Self.binary(), ["--help"])
                #expect(try await help.wait(timeout: .seconds(20)) == 0)
                let words = help.stdout.split { !($0.isLetter || $0 == "-") }
                let named = Set(words.filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) })
                let given = Set(arguments.filter { $0.hasPrefix("--") }.map { String($0.dropFirst(2)) })
                #expect(named.subtracting(given) == ["config", "log-level", "print-settings", "help"])

                let process = try ChildProcess(try Self.binary(), arguments + ["--print-settings"])
                #expect(try await process.wait(timeout: .seconds(20)) == 0, "\(process.stderr)")
                let printed = try SimulatorSettings(yaml: process.stdout)
                let actual = Dictionary(
                    uniqueKeysWithValues: Mirror(reflecting: printed).children.map { ($0.label!, "\($0.value)") }
                )
                for child in Mirror(reflecting: expected).children {
                    #expect(actual[child.label!] == "\(child.value)", "\(child.label!)")
                }
                #expect(printed == expected)
            }
        }
    }

    @Test func theSettingsFileIsReadAndFlagsWinOverIt() async throws {
        try await Self.withFile("dlr_delay: 9\nmax_rate: 30\n") { config in
            let process = try ChildProcess(
                try Self.binary(),
                ["--config", config, "--dlr-delay", "0", "--print-settings"]
            )
            #expect(try await process.wait(timeout: .seconds(20)) == 0, "\(process.stderr)")
            let printed = try SimulatorSettings(yaml: process.stdout)
            #expect(printed.dlrDelay == 0)
            #expect(printed.maxRate == 30)
        }
    }

    @Test func theFakeSMSCInvocationServesAndLogsEachStep() async throws {
        // `smsc-sim --port 2775 --dlr-delay 0`, on a free port and without the control API.
        try await Self.running(["--dlr-delay", "0"]) { port, process in
            try await TestESME.with(port: port) { esme in
                #expect(try await esme.bind(.transceiver, systemID: "cli").commandStatus == .ok)
                let id = try #require(try await esme.request(submit("Hello")).messageID)
                #expect(try await esme.deliverSM().message.deliveryReceipt?.messageID == id)
                #expect(try await esme.request(.unbind).commandStatus == .ok)
                try await esme.channel.close()
                _ = try await process.waitForOutput(#"\] (disconnect)\n"#)
                // StreamLogHandler writes `<time> info smsc-sim: key=value … [SMSCSimulator] message`.
                let lines = process.stdout.split(separator: "\n").map(String.init)
                func line(_ message: String) -> String {
                    lines.first { $0.hasSuffix("] \(message)") } ?? "(no '\(message)' line)"
                }
                #expect(line("listening").contains("host=127.0.0.1"))
                #expect(line("connect").contains("remote="))
                #expect(line("bind").contains("smpp.system_id=cli"))
                let submitted = line("submit_sm")
                #expect(submitted.contains("source=Shop"))
                #expect(submitted.contains("destination=447700900123"))
                #expect(submitted.contains("message.id=\(id)"))
                #expect(line("receipt sent").contains("message.id=\(id)"))
                #expect(line("receipt sent").contains("stat=DELIVRD"))
                #expect(line("unbind").contains("smpp.system_id=cli"))
                #expect(line("disconnect").contains("smpp.system_id=cli"))
            }
        }
    }
}
