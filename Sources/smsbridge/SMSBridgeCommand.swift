import ArgumentParser
import BridgeCore
import BridgeService
import BridgeStore
import Foundation
import Logging
import Metrics
import PostgresNIO
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `smsbridge`: the HTTP ⇄ SMPP bridge.
@main
struct SMSBridgeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smsbridge",
        abstract: "HTTP REST ⇄ SMPP bridge: send SMS with one POST, follow them by id, receive receipts and replies.",
        subcommands: [Demo.self, Serve.self, Migrate.self, Accounts.self, Config.self, Purge.self]
    )

    /// As ArgumentParser's, but a ``ConfigurationFailure`` exits 78 (`EX_CONFIG`), and a database
    /// error is printed as its cause (`Error: database: 42501: permission denied for schema
    /// public`), not as PostgresNIO's placeholder.
    static func main() async {
        do {
            var command = try await Self.asyncParseAsRoot()
            if var command = command as? any AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch let failure as ConfigurationFailure {
            FileHandle.standardError.write(Data("Error: \(failure)\n".utf8))
            Self.exit(withError: ExitCode(ConfigurationFailure.exitStatus))
        } catch let error where error is PSQLError || error is PostgresTransactionError {
            FileHandle.standardError.write(Data("Error: database: \(describeDatabaseError(error))\n".utf8))
            Self.exit(withError: ExitCode.failure)
        } catch {
            Self.exit(withError: error)
        }
    }
}

/// A configuration that cannot be used: the file, the key and why (`smsbridge.yaml:
/// connectors.main.windw: unknown key …`). Printed as `Error: …` without the usage, exit status 78
/// (`EX_CONFIG` of sysexits.h): not a misuse of the arguments (64), and not a failure that a
/// restart could mend (1), so a service manager can be told not to restart on it.
struct ConfigurationFailure: Error, CustomStringConvertible {
    static let exitStatus: Int32 = 78

    var description: String

    /// `path: error`, or the error alone for a configuration without a file (the environment's).
    init(_ path: String?, _ error: BridgeConfigurationError) {
        self.description = path.map { "\($0): \(error)" } ?? "\(error)"
    }
}

/// Where the configuration file is: `--config`, else `SMSBRIDGE_CONFIG`, else `smsbridge.yaml`.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "Configuration file (default: $SMSBRIDGE_CONFIG, else ./smsbridge.yaml).")
    var config: String?

    var path: String {
        self.config ?? ProcessInfo.processInfo.environment["SMSBRIDGE_CONFIG"] ?? "smsbridge.yaml"
    }

    func load() throws(ConfigurationFailure) -> BridgeConfiguration {
        try Self.load(self.path)
    }

    /// The configuration in `path`, as `serve` and `config check` read it.
    static func load(_ path: String) throws(ConfigurationFailure) -> BridgeConfiguration {
        do {
            return try BridgeConfiguration.load(from: path)
        } catch {
            throw ConfigurationFailure(path, error)
        }
    }
}

/// A command that ran and failed — not a misuse of its arguments: ArgumentParser prints it as
/// `Error: …` without the usage, and the exit status is 1 (a `ValidationError` gets the usage and 64).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String

    init(_ description: String) {
        self.description = description
    }
}

/// The database alone, for the commands that use nothing else (`migrate`, `accounts`, `purge`): the
/// configuration file's `database` section (its other sections are not read), `SMSBRIDGE_DATABASE_URL`
/// over it, `--database-url` over both. Without a file (none named, no `./smsbridge.yaml`) the
/// section's defaults, so a URL from the option or the environment is enough.
struct DatabaseOption: ParsableArguments {
    @OptionGroup var config: ConfigOption
    @Option(help: "postgres://user:password@host:5432/database (default: $SMSBRIDGE_DATABASE_URL, else the file's).")
    var databaseURL: String?

    func validate() throws {
        guard let databaseURL else { return }
        do {
            _ = try DatabaseURL(databaseURL)
        } catch {
            throw ValidationError("--database-url: \(error.problem)")
        }
    }

    /// The database settings, and the URL checked: an invalid one is named by where it came from
    /// (`--database-url`, `SMSBRIDGE_DATABASE_URL`, or the file's `database.url`).
    func settings() throws -> (BridgeConfiguration.Database, DatabaseURL) {
        let environment = ProcessInfo.processInfo.environment
        let path = self.config.path
        let named = self.config.config != nil || environment["SMSBRIDGE_CONFIG"] != nil
        let fromEnvironment = environment[BridgeConfiguration.Database.urlVariable].map { !$0.isEmpty } ?? false
        var settings = BridgeConfiguration.Database()
        var file: String?
        if named || FileManager.default.fileExists(atPath: path) {
            do {
                settings = try BridgeConfiguration.loadDatabase(from: path, environment: environment)
            } catch {
                throw ConfigurationFailure(path, error)
            }
            file = path
        } else if fromEnvironment {
            settings.url = environment[BridgeConfiguration.Database.urlVariable]!
        } else if self.databaseURL == nil {
            throw ValidationError(
                "which database? \(path) does not exist: give --config FILE, --database-url or SMSBRIDGE_DATABASE_URL"
            )
        }
        if let databaseURL { settings.url = databaseURL }
        do {
            return (settings, try DatabaseURL(settings.url))
        } catch {
            // Not the option's (validate() checked it): the environment's or the file's.
            throw ConfigurationFailure(
                file,
                BridgeConfigurationError(
                    key: "database.url",
                    problem: error.problem,
                    variable: fromEnvironment ? BridgeConfiguration.Database.urlVariable : nil
                )
            )
        }
    }

    /// Runs `body` with a client on this database, as it is (for `migrate`).
    func withClient<T: Sendable>(
        _ body: (PostgresClient, BridgeConfiguration.Database, Logger) async throws -> T
    ) async throws -> T {
        let (settings, url) = try self.settings()
        var logger = Logger(label: "smsbridge")
        logger.logLevel = .warning
        // One connection first: a database that cannot be reached is named at once, with why.
        try await url.probe(logger: logger)
        let pool = PostgresPool(PostgresClient(configuration: url.clientConfiguration, backgroundLogger: logger))
        return try await pool.whileRunning { try await body(pool.client, settings, logger) }
    }

    /// Runs `body` with a store on this database, prepared as `serve` prepares it: pending
    /// migrations applied first when `database.migrate` is true (the default), refused otherwise.
    func withStore<T: Sendable>(_ body: (PostgresStore) async throws -> T) async throws -> T {
        try await self.withClient { client, settings, logger in
            let applied = try await MigrationRunner.bundled().prepare(
                migrate: settings.migrate,
                on: client,
                logger: logger
            )
            for migration in applied {
                // Standard error: standard output is the command's answer (an API key, …).
                FileHandle.standardError.write(Data("applied migration \(migration.name)\n".utf8))
            }
            return try await body(PostgresStore(client: client, logger: logger))
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the bridge: HTTP API, dispatcher, connectors.")

    @OptionGroup var config: ConfigOption

    func run() async throws {
        let configuration = try self.config.load()
        bootstrapLogging(configuration.logging)
        let logger = Logger(label: "smsbridge")
        try await runBridge(configuration, logger: logger) { ready in
            logger.notice(
                "ready",
                metadata: [
                    "http": "http://\(configuration.http.host):\(ready.httpPort)",
                    "instance": "\(ready.instanceID.lowercased)",
                ]
            )
        }
    }
}

/// Sends logs to standard error, as text or JSON lines, from `logging.level` up.
func bootstrapLogging(_ settings: BridgeConfiguration.Logging) {
    let level = Logger.Level(rawValue: settings.level) ?? .info
    switch settings.format {
    case .text:
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    case .json:
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, logLevel: level) }
    }
}

/// Runs the bridge (and `alongside` services, started before it and stopped after it) until SIGTERM or SIGINT, then
/// shuts down gracefully within `shutdown.deadline`. Metrics go to a Prometheus registry served on
/// `/metrics`.
func runBridge(
    _ configuration: BridgeConfiguration,
    logger: Logger,
    alongside: [any Service] = [],
    onReady: @escaping @Sendable (BridgeServer.Ready) async -> Void
) async throws {
    let registry = PrometheusCollectorRegistry()
    MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    let server = try BridgeServer(configuration: configuration, logger: logger, metrics: registry, onReady: onReady)
    var groupConfiguration = ServiceGroupConfiguration(
        services: (alongside + [server]).map { .init(service: $0) },
        gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger
    )
    // Past the deadline what still runs is cancelled: leases not given back expire, and those
    // messages are sent again by whichever instance claims them (at least once, never lost).
    groupConfiguration.maximumGracefulShutdownDuration = configuration.shutdown.deadline.duration
    groupConfiguration.maximumCancellationDuration = .seconds(5)
    try await ServiceGroup(configuration: groupConfiguration).run()
}

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, then exit.")

    @OptionGroup var database: DatabaseOption
    @Flag(help: "Only list the pending migrations.") var dryRun = false

    func run() async throws {
        try await self.database.withClient { client, _, logger in
            let runner = try MigrationRunner.bundled()
            if self.dryRun {
                let pending = try await runner.pending(on: client, logger: logger)
                print(pending.isEmpty ? "no pending migrations" : pending.map(\.name).joined(separator: "\n"))
            } else {
                let applied = try await runner.apply(on: client, logger: logger)
                print(
                    applied.isEmpty
                        ? "database up to date" : applied.map { "applied \($0.name)" }.joined(separator: "\n")
                )
            }
        }
    }
}

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Configuration tools.",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a configuration file: ok, or the key at fault on standard error and exit status 78."
        )

        @Argument(help: "The file.") var file: String

        func run() async throws {
            // As `serve` reads it, so that both say the same of the same file.
            let configuration = try ConfigOption.load(self.file)
            let names = configuration.connectors.keys.sorted().joined(separator: ", ")
            print("\(self.file): ok (connectors: \(names))")
        }
    }
}
