import BridgeStore
import Foundation
import LocalPostgres
import Logging
public import PostgresNIO

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL cluster for tests, started on first use and stopped when the test process
/// ends. Each test gets its own fresh database in it.
///
/// With `SMSBRIDGE_TEST_DATABASE_URL` set (`postgres://user:password@host:port/db`), that server
/// is used instead and nothing is started.
///
/// The cluster runs as the `postgres` user when the tests run as root (PostgreSQL refuses root),
/// with a data folder under `/tmp` that the user owns; `postgres` is started by a small watchdog
/// shell, which stops it and removes the folder as soon as the test process is gone.
public actor TestPostgres {
    public static let shared = TestPostgres()

    public struct Server: Sendable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: String?
    }

    public struct StartError: Error, CustomStringConvertible {
        public var description: String
    }

    /// One start for every caller: concurrent callers await the same task (the actor is re-entered
    /// while a cluster starts, so a plain optional would start several).
    private var server: Task<Server, any Error>?
    private var databaseCounter = 0

    /// The server, starting the cluster the first time.
    public func start() async throws -> Server {
        if self.server == nil {
            self.server = Task {
                if let url = ProcessInfo.processInfo.environment["SMSBRIDGE_TEST_DATABASE_URL"],
                    let parsed = Self.parse(url)
                {
                    return parsed
                }
                return try await Self.startCluster()
            }
        }
        return try await self.server!.value
    }

    private var templates: [String: Task<Void, any Error>] = [:]

    /// A configuration for a new database named after `prefix`, a copy of `template` when given:
    /// `prepare` builds the template once per test process (it must close its connections).
    public func makeDatabase(
        _ prefix: String = "test",
        template: String,
        prepare: @escaping @Sendable (PostgresClient.Configuration) async throws -> Void
    ) async throws -> PostgresClient.Configuration {
        let server = try await self.start()
        if self.templates[template] == nil {
            self.templates[template] = Task {
                try await self.execute("CREATE DATABASE \"\(template)\"", on: server)
                try await prepare(Self.configuration(server, database: template))
            }
        }
        try await self.templates[template]!.value
        return try await self.makeDatabase(prefix, copying: template)
    }

    /// A configuration for a new, empty database named after `prefix`.
    ///
    /// Databases are created concurrently, as many at once as the administration pool has
    /// connections: a test run creates one per test, and one at a time they queued for up to a minute
    /// on a busy machine, past the tests' time limits.
    public func makeDatabase(
        _ prefix: String = "test",
        copying template: String? = nil
    ) async throws -> PostgresClient.Configuration {
        let server = try await self.start()
        self.databaseCounter += 1
        let name =
            "\(prefix)_\(ProcessInfo.processInfo.processIdentifier)_\(self.databaseCounter)_\(UInt32.random(in: 0...UInt32.max))"
            .lowercased().filter { $0.isLetter || $0.isNumber || $0 == "_" }
        let copy = template.map { " TEMPLATE \"\($0)\"" } ?? ""
        try await self.execute("CREATE DATABASE \"\(name)\"\(copy)", on: server)
        return Self.configuration(server, database: name)
    }

    /// Runs one statement on the server's `postgres` database, e.g. to take a test database away
    /// (`ALTER DATABASE … ALLOW_CONNECTIONS false`) and give it back. Returns the number of rows
    /// it gave.
    @discardableResult
    public func administer(_ sql: String) async throws -> Int {
        try await self.execute(sql, on: try await self.start())
    }

    /// The administration pool: one for the whole run, never canceled, so that no statement waits
    /// on a pool whose `run()` a canceled test ended (or had not started yet).
    private var admin: PostgresClient?

    private func execute(_ sql: String, on server: Server) async throws -> Int {
        let admin: PostgresClient
        if let existing = self.admin {
            admin = existing
        } else {
            var configuration = Self.configuration(server, database: "postgres")
            configuration.options.maximumConnections = 4
            admin = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "test-postgres"))
            self.admin = admin
            Task.detached { await admin.run() }
        }
        return try await StallWatch.watch("administer: \(sql)") {
            // A template a moment ago still in use (its last connection closing) is refused with
            // object_in_use after PostgreSQL's own 5-second wait: try again.
            var attempt = 0
            while true {
                do {
                    // Drain the result: the command is complete only then.
                    var rows = 0
                    for try await _ in try await admin.query(PostgresQuery(unsafeSQL: sql)) { rows += 1 }
                    return rows
                } catch let error as PSQLError where error.serverInfo?[.sqlState] == "55006" && attempt < 3 {
                    attempt += 1
                }
            }
        }
    }

    /// A server nobody listens for: port 1 on loopback refuses connections, and PostgresNIO's pool
    /// queues calls while it tries again (for a minute, before it fails them).
    public static var nowhere: PostgresClient.Configuration {
        PostgresClient.Configuration(
            host: "127.0.0.1",
            port: 1,
            username: "postgres",
            password: nil,
            database: "nowhere",
            tls: .disable
        )
    }

    public static func configuration(_ server: Server, database: String) -> PostgresClient.Configuration {
        var configuration = PostgresClient.Configuration(
            host: server.host,
            port: server.port,
            username: server.username,
            password: server.password,
            database: database,
            tls: .disable
        )
        configuration.options.keepAliveBehavior = nil
        configuration.options.additionalStartupParameters = PostgresStore.sessionParameters
        return configuration
    }

    static func parse(_ url: String) -> Server? {
        guard let components = URLComponents(string: url), let host = components.host else { return nil }
        return Server(
            host: host,
            port: components.port ?? 5432,
            username: components.user ?? "postgres",
            password: components.password
        )
    }

    // MARK: Starting a cluster

    private static func startCluster() async throws -> Server {
        self.sweepStaleClusters()
        var lastError = "no attempt"
        for _ in 0..<3 {
            let cluster: LocalPostgres
            do {
                cluster = try LocalPostgres(directory: try self.makeDirectory())
                try cluster.initialize(sync: false)
            } catch let failure as LocalPostgres.Failure {
                throw StartError(
                    description: failure.description + " Or set SMSBRIDGE_TEST_DATABASE_URL to use a running server."
                )
            }
            let port = try LocalPostgres.freePort()
            do {
                // Durability is not needed for throwaway data, and speed is. Every suite runs at
                // once against this one cluster, each test with pools of its own (a server's 10, a
                // store's up to 20): a full run was seen holding 253 connections on a busy 2-core
                // machine, and one ended with "too many clients already" at 300. 1000 slots cost
                // about 31 MB more shared memory (116 MB instead of 85) and only connections
                // actually opened cost processes.
                try await cluster.start(
                    port: port,
                    settings: [
                        "fsync=off", "synchronous_commit=off", "full_page_writes=off", "max_connections=1000",
                        "shared_buffers=64MB",
                    ],
                    removeWhenDone: true,
                    timeout: .seconds(20)
                )
                return Server(host: "127.0.0.1", port: port, username: "postgres", password: nil)
            } catch {
                lastError = cluster.log
            }
        }
        throw StartError(description: "could not start PostgreSQL: \(lastError)")
    }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/pgtest.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw StartError(description: "mkdtemp failed") }
        return String(cString: made)
    }

    /// Removes folders of clusters whose watchdog is gone (test runs that were killed).
    private static func sweepStaleClusters() {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: "/tmp") else { return }
        for entry in entries where entry.hasPrefix("pgtest.") {
            let path = "/tmp/" + entry
            // Leave clusters in use (a live watchdog or postmaster) and very new folders alone.
            if LocalPostgres.processAlive(pidFile: path + "/watchdog.pid")
                || LocalPostgres.processAlive(pidFile: path + "/data/postmaster.pid")
            {
                continue
            }
            let created = (try? fileManager.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
            if Date().timeIntervalSince(created) > 60 { try? fileManager.removeItem(atPath: path) }
        }
    }
}
