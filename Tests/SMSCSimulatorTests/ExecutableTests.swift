import BridgeTestSupport
import Foundation
import NIOCore
import SMPP
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `.build/debug/smsc-sim` (or the release one), found from this file's path.
let smscSimBinary: String? = {
    for configuration in ["debug", "release"] {
        let path = Fixtures.repository.appendingPathComponent(".build/\(configuration)/smsc-sim").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}()

/// The `smsc-sim` executable as built next to the tests (`swift build --build-tests` builds it too):
/// its flags, its argument validation, and its log lines in the fake-SMSC compatible invocation.
@Suite(.timeLimit(.minutes(1)), .enabled(if: smscSimBinary != nil, "smsc-sim is not built"))
struct ExecutableTests {
    static var binary: String? { smscSimBinary }

    @Test func helpNamesTheFakeSMSCFlagsAndTheSafeDefault() async throws {
        let process = try ChildProcess(Self.binary!, ["--help"])
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
        let process = try ChildProcess(Self.binary!, arguments + ["--port", "0", "--control-port=-1"])
        let status = try await process.wait(timeout: .seconds(20))
        #expect(status != 0)
        #expect(process.stderr.contains(key), "stderr: \(process.stderr)")
    }

    @Test func anMOScriptGivenOnTheCommandLineIsPlayed() async throws {
        let script = FileManager.default.temporaryDirectory
            .appendingPathComponent("smsc-sim-mo-\(UUID().uuidString).txt")
        try "# two replies\n0 +447700900123 7726 YES\n0.1 447700900124 7726 STOP\n"
            .write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let process = try ChildProcess(
            Self.binary!,
            ["--port", "0", "--control-port", "-1", "--mo-script", script.path]
        )
        do {
            let port = try await process.waitForOutput(#"port=(\d+)[^\n]*\] listening\n"#)
            try await TestESME.with(port: try #require(Int(port))) { esme in
                try await esme.bind(.receiver, systemID: "phone")
                // Messages played before the bind wait for it.
                let first = try await esme.deliverSM().message
                let second = try await esme.deliverSM().message
                #expect(String(buffer: first.shortMessage) == "YES")
                #expect(first.source.value == "447700900123")
                #expect(String(buffer: second.shortMessage) == "STOP")
            }
        } catch {
            process.kill(SIGKILL)
            throw error
        }
        process.kill(SIGTERM)
        #expect(try await process.wait(timeout: .seconds(10)) == 0)
    }

    @Test func theFakeSMSCInvocationServesAndLogsEachStep() async throws {
        // `smsc-sim --port 2775 --dlr-delay 0`, on a free port and without the control API.
        let process = try ChildProcess(Self.binary!, ["--port", "0", "--dlr-delay", "0", "--control-port", "-1"])
        do {
            let port = try await process.waitForOutput(#"port=(\d+)[^\n]*\] listening\n"#)
            try await TestESME.with(port: try #require(Int(port))) { esme in
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
        } catch {
            process.kill(SIGKILL)
            throw error
        }
        process.kill(SIGTERM)
        #expect(try await process.wait(timeout: .seconds(10)) == 0)
    }
}
