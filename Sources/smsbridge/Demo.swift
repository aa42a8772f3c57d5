import ArgumentParser
import BridgeService
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import LocalPostgres
import Logging
import PostgresNIO
import SMSCSimulator
import ServiceLifecycle

/// `smsbridge demo`: the whole system on this machine with nothing configured — a private
/// PostgreSQL cluster, an in-process SMSC simulator, the bridge with a demo account, and a webhook
/// receiver that prints what it gets. Ctrl-C stops everything; the data folder is kept.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run everything locally: private PostgreSQL, SMSC simulator, the bridge, a webhook receiver.",
        discussion: """
            Needs PostgreSQL's server binaries (Debian: apt-get install postgresql); when run as root,
            the database runs as the postgres user. Data (database, demo API key) stays in --data.
            """
    )

    @Option(help: "Folder for the demo's database and API key, kept between runs.") var data = ".smsbridge-demo"
    @Option(help: "Port of the HTTP API.") var httpPort = 8080
    @Option(help: "Port of the simulated SMSC (SMPP).") var smppPort = 2775
    @Option(help: "Port of the simulator's control API (inject inbound messages).") var simulatorPort = 8775
    @Option(help: "Port of the local webhook receiver.") var webhookPort = 8090
    @Option(help: "Seconds before the simulator sends a delivery receipt.") var dlrDelay = 1.0
    @Option(help: "Log level of the services (logs go to standard error).") var logLevel = "warning"

    func run() async throws {
        var logging = BridgeConfiguration.Logging()
        logging.level = self.logLevel
        bootstrapLogging(logging)
        let logger = Logger(label: "demo")
        let folder = URL(fileURLWithPath: self.data).standardizedFileURL.path

        // 1. The database: a cluster of our own in the data folder.
        let cluster = try LocalPostgres(directory: folder + "/postgres")
        let firstRun = !cluster.isInitialized
        try cluster.initialize()
        let databasePort = try LocalPostgres.freePort()
        try await cluster.start(port: databasePort, settings: ["max_connections=100"])
        do {
            try await self.runSystem(folder: folder, databasePort: databasePort, firstRun: firstRun, logger: logger)
        } catch {
            await cluster.stop()
            throw error
        }
        await cluster.stop()
        say("demo stopped; data kept in \(folder)")
    }

    private func runSystem(folder: String, databasePort: Int, firstRun: Bool, logger: Logger) async throws {
        let databaseURL = "postgres://postgres@127.0.0.1:\(databasePort)/postgres?sslmode=disable"

        // 2. The SMSC.
        var simulatorConfiguration = SimulatorConfiguration()
        simulatorConfiguration.port = self.smppPort
        simulatorConfiguration.control = .init(host: "127.0.0.1", port: self.simulatorPort)
        simulatorConfiguration.receipts.delay = self.dlrDelay
        let simulator = SMSCSimulator(configuration: simulatorConfiguration, logger: Logger(label: "smsc-sim"))
        try await simulator.start()

        // 3. The bridge's configuration, the schema and the demo account.
        var configuration = BridgeConfiguration()
        configuration.database.url = databaseURL
        configuration.http.port = self.httpPort
        configuration.connectors["sim"] = .init(
            endpoints: ["127.0.0.1:\(self.smppPort)"],
            systemID: "demo",
            password: "demo"
        )
        configuration.inbound.defaultAccount = "demo"
        // The receiver below is on loopback, which webhooks refuse by default.
        configuration.messages.allowPrivateCallbackURLs = true
        configuration.webhooks.allowPrivateDestinations = true
        configuration.logging.level = self.logLevel
        let hook = "http://127.0.0.1:\(self.webhookPort)/webhooks"
        let account: DemoAccount
        do {
            account = try await DemoAccount.prepare(
                databaseURL: databaseURL,
                folder: folder,
                webhookURL: hook,
                logger: logger
            )
        } catch {
            await simulator.stop()
            throw error
        }

        // 4. The webhook receiver, and the bridge.
        let receiver = WebhookEcho(
            port: self.webhookPort,
            secret: account.webhookSecret,
            logger: Logger(label: "webhooks")
        )
        let banner = self.banner(key: account.apiKey, databasePort: databasePort, folder: folder, firstRun: firstRun)
        do {
            try await runBridge(configuration, logger: Logger(label: "smsbridge"), alongside: [receiver]) { _ in
                say(banner)
            }
        } catch {
            await simulator.stop()
            throw error
        }
        await simulator.stop()
    }

    private func banner(key: String, databasePort: Int, folder: String, firstRun: Bool) -> String {
        let api = "http://127.0.0.1:\(self.httpPort)"
        let hook = "http://127.0.0.1:\(self.webhookPort)/webhooks"
        return """

            SMSBridge demo is running\(firstRun ? " (first run: a new database and demo account)" : "").

              API        \(api)            /healthz /readyz /metrics
              SMSC       smsc-sim on 127.0.0.1:\(self.smppPort), receipts after \(self.dlrDelay) s; control API http://127.0.0.1:\(self.simulatorPort)
              Webhooks   \(hook)   the demo account's status and inbound URL: callbacks are printed below, signatures checked
              Database   PostgreSQL on 127.0.0.1:\(databasePort), data in \(folder)/postgres (kept)

            Paste into another terminal:

              export SMSBRIDGE_KEY=\(key)

              # Send an SMS; its signed status callbacks (sent, delivered) appear here:
              curl -s \(api)/v1/messages -H "Authorization: Bearer $SMSBRIDGE_KEY" -H 'Content-Type: application/json' \\
                -d '{"to": "+447700900123", "from": "SMSBridge", "text": "Hello from the demo"}'

              # Follow it (the id is in the answer): queued → sent → delivered
              curl -s \(api)/v1/messages/ID -H "Authorization: Bearer $SMSBRIDGE_KEY"

              # A reply from the phone (an inbound message through the simulated SMSC: a message.inbound
              # callback appears here), then list them:
              curl -s http://127.0.0.1:\(self.simulatorPort)/mo -d '{"from": "447700900123", "to": "12345", "text": "Hi back"}'
              curl -s \(api)/v1/inbound -H "Authorization: Bearer $SMSBRIDGE_KEY"

            Ctrl-C stops everything.

            """
    }
}

/// The demo account `demo`: its API key, kept in the data folder (mode 0600) so that a second run
/// prints it again (only a hash of it is in the database), and its webhook secret; its status and
/// inbound webhooks go to the demo's receiver.
struct DemoAccount {
    var apiKey: String
    var webhookSecret: String

    struct Saved: Codable {
        var account: String
        var apiKey: String
    }

    /// Migrates the database and returns the demo account, creating it when missing.
    static func prepare(databaseURL: String, folder: String, webhookURL: String, logger: Logger) async throws -> Self {
        let pool = PostgresPool(
            PostgresClient(configuration: try DatabaseURL(databaseURL).clientConfiguration, backgroundLogger: logger)
        )
        let client = pool.client
        return try await pool.whileRunning {
            try await MigrationRunner.bundled().apply(on: client, logger: logger)
            let store = PostgresStore(client: client, logger: logger)
            let key = try await self.apiKey(store: store, file: folder + "/demo-account.json")
            guard let account = try await store.account(named: "demo") else {
                throw CommandFailure("the demo account is missing")
            }
            let settings = try await store.setWebhookURLs(
                accountID: account.id,
                statusURL: webhookURL,
                inboundURL: webhookURL
            )
            return DemoAccount(apiKey: key, webhookSecret: settings.secret)
        }
    }

    private static func apiKey(store: PostgresStore, file: String) async throws -> String {
        if let data = FileManager.default.contents(atPath: file),
            let saved = try? JSONDecoder().decode(Saved.self, from: data),
            try await store.account(named: saved.account) != nil
        {
            return saved.apiKey
        }
        let key: String
        if let account = try await store.account(named: "demo") {
            key = try await store.createAPIKey(accountID: account.id).apiKey
        } else {
            key = try await store.createAccount(name: "demo").apiKey
        }
        let data = try JSONEncoder().encode(Saved(account: "demo", apiKey: key))
        guard FileManager.default.createFile(atPath: file, contents: data, attributes: [.posixPermissions: 0o600])
        else {
            throw CommandFailure("cannot write \(file)")
        }
        return key
    }
}

/// A webhook receiver for the demo: checks each callback's signature and prints a summary line
/// (`webhook message.status sequence=3 status=delivered signature=valid`) and the JSON body, then
/// answers 204.
struct WebhookEcho: Service {
    let port: Int
    let secret: String
    let logger: Logger

    func run() async throws {
        let router = Router()
        router.post("/webhooks") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            let bytes = Array(body.readableBytesView)
            say(self.describe(bytes, headers: request.headers))
            return .noContent
        }
        let app = Application(
            router: router,
            configuration: .init(
                address: .hostname("127.0.0.1", port: self.port),
                serverName: "smsbridge-demo-webhooks"
            ),
            logger: self.logger
        )
        try await app.run()
    }

    func describe(_ body: [UInt8], headers: HTTPFields) -> String {
        let timestamp = headers[HTTPField.Name(WebhookSignature.timestampHeader)!].flatMap { Int($0) }
        let presented = headers[HTTPField.Name(WebhookSignature.signatureHeader)!] ?? ""
        let valid =
            timestamp.map { timestamp in
                let expected = "v1=" + WebhookSignature.sign(secret: self.secret, timestamp: timestamp, body: body)
                return presented.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == expected }
            } ?? false
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        let data = object?["data"] as? [String: Any]
        var summary = "webhook \(object?["type"] as? String ?? "?")"
        if let sequence = object?["sequence"] { summary += " sequence=\(sequence)" }
        if let status = data?["status"] as? String { summary += " status=\(status)" }
        if let text = data?["text"] as? String { summary += " text=\(text)" }
        summary += " signature=\(valid ? "valid" : "INVALID")"
        let pretty = object.flatMap {
            try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys])
        }
        return summary + "\n"
            + (pretty.map { String(decoding: $0, as: UTF8.self) } ?? String(decoding: body, as: UTF8.self))
    }
}

/// Writes a line to standard output at once (unbuffered, so a pipe sees it immediately).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
