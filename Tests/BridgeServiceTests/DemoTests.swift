import AsyncHTTPClient
import BridgeTestSupport
import Foundation
import LocalPostgres
import NIOCore
import NIOHTTP1
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `smsbridge demo` as a newcomer runs it: its own PostgreSQL, simulator and webhook receiver.
@Suite(.timeLimit(.minutes(2)))
struct DemoTests {
    struct Demo {
        let process: ChildProcess
        let apiURL: String
        let simulatorURL: String
        let key: String
    }

    static func start(data: String) async throws -> Demo {
        // Ports free a moment ago may be taken by another test before the demo binds them: try again.
        let existed = FileManager.default.fileExists(atPath: data)
        for attempt in 1...3 {
            let (http, smpp, simulator, webhooks) = (try freePort(), try freePort(), try freePort(), try freePort())
            let process = try ChildProcess(
                try smsbridgeExecutable(),
                [
                    "demo", "--data", data, "--http-port", "\(http)", "--smpp-port", "\(smpp)",
                    "--simulator-port", "\(simulator)", "--webhook-port", "\(webhooks)", "--dlr-delay", "0.2",
                ]
            )
            do {
                let key = try await process.waitForOutput("export SMSBRIDGE_KEY=(sbk_[0-9a-f]+)", timeout: .seconds(60))
                return Demo(
                    process: process,
                    apiURL: "http://127.0.0.1:\(http)",
                    simulatorURL: "http://127.0.0.1:\(simulator)",
                    key: key
                )
            } catch where attempt < 3 && process.stderr.contains("Address already in use") {
                // It stops its database before it exits. What it made of a new data folder goes,
                // so that the next attempt is a first run too, as the caller expects.
                _ = try? await process.wait(timeout: .seconds(30))
                if !existed { try? FileManager.default.removeItem(atPath: data) }
            }
        }
        throw HarnessError(description: "the demo could not bind its ports")
    }

    static func call(
        _ client: HTTPClient,
        _ method: HTTPMethod,
        _ url: String,
        key: String?,
        json: String? = nil
    ) async throws -> (status: Int, body: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let object = (try? JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8))) as? [String: Any]
        return (Int(response.status.code), object ?? [:])
    }

    @Test func aMessageSentThroughTheDemoIsDeliveredAndTheDataIsKept() async throws {
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("smsbridge-demo-\(UUID())").path
        defer { try? FileManager.default.removeItem(atPath: data) }
        let client = HTTPClient.shared

        let first = try await Self.start(data: data)
        let id: String
        do {
            #expect(first.process.stdout.contains("first run"))
            // What the banner tells a newcomer to paste, in the same shape.
            let accepted = try await Self.call(
                client,
                .POST,
                first.apiURL + "/v1/messages",
                key: first.key,
                json: #"{"to": "+447700900123", "from": "SMSBridge", "text": "Hello from the demo"}"#
            )
            #expect(accepted.status == 202, "\(accepted.body)")
            id = try #require(accepted.body["id"] as? String)
            try await waitUntil("delivered", timeout: .seconds(20)) {
                try await Self.call(client, .GET, first.apiURL + "/v1/messages/\(id)", key: first.key).body["status"]
                    as? String == "delivered"
            }
            // Its receipt arrives as a signed callback, printed in the terminal.
            _ = try await first.process.waitForOutput(
                "webhook message.status sequence=\\d+ status=delivered signature=valid",
                timeout: .seconds(20)
            )
            // An inbound message through the simulator's control API reaches the demo account.
            let injected = try await Self.call(
                client,
                .POST,
                first.simulatorURL + "/mo",
                key: nil,
                json: #"{"from": "447700900123", "to": "12345", "text": "Hi back"}"#
            )
            #expect(injected.status == 202)
            try await waitUntil("inbound listed", timeout: .seconds(20)) {
                let listed = try await Self.call(client, .GET, first.apiURL + "/v1/inbound", key: first.key)
                return (listed.body["data"] as? [[String: Any]])?.first?["text"] as? String == "Hi back"
            }
            _ = try await first.process.waitForOutput(
                "webhook message.inbound .*text=Hi back signature=valid",
                timeout: .seconds(20)
            )
        } catch {
            first.process.kill(SIGKILL)
            throw error
        }
        // Ctrl-C stops everything cleanly, PostgreSQL included.
        first.process.kill(SIGINT)
        #expect(try await first.process.wait(timeout: .seconds(40)) == 0, "\(first.process.stderr)")
        #expect(first.process.stdout.contains("demo stopped"))
        #expect(!LocalPostgres.processAlive(pidFile: data + "/postgres/data/postmaster.pid"))

        // A second run keeps the database and prints the same key.
        let second = try await Self.start(data: data)
        defer { second.process.kill(SIGKILL) }
        #expect(second.key == first.key)
        #expect(!second.process.stdout.contains("first run"))
        let kept = try await Self.call(client, .GET, second.apiURL + "/v1/messages/\(id)", key: second.key)
        #expect(kept.body["status"] as? String == "delivered")
        second.process.kill(SIGINT)
        #expect(try await second.process.wait(timeout: .seconds(40)) == 0)
    }
}
