import Foundation
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
                try await Self.execute("CREATE DATABASE \"\(template)\"", on: server)
                try await prepare(Self.configuration(server, database: template))
            }
        }
        try await self.templates[template]!.value
        return try await self.makeDatabase(prefix, copying: template)
    }

    /// A configuration for a new, empty database named after `prefix`.
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
        // One at a time: PostgreSQL refuses to copy a template another CREATE DATABASE is reading.
        let previous = self.creations
        let creation = Task {
            _ = await previous?.result
            try await Self.execute("CREATE DATABASE \"\(name)\"\(copy)", on: server)
        }
        self.creations = Task { _ = await creation.result }
        try await creation.value
        return Self.configuration(server, database: name)
    }

    private var creations: Task<Void, Never>?

    /// Runs one statement on the server's `postgres` database, e.g. to take a test database away
    /// (`ALTER DATABASE … ALLOW_CONNECTIONS false`) and give it back.
    public func administer(_ sql: String) async throws {
        try await Self.execute(sql, on: try await self.start())
    }

    private static func execute(_ sql: String, on server: Server) async throws {
        let admin = PostgresClient(
            configuration: Self.configuration(server, database: "postgres"),
            backgroundLogger: Logger(label: "test-postgres")
        )
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await admin.run() }
            // Drain the result: the command is complete only then.
            for try await _ in try await admin.query(PostgresQuery(unsafeSQL: sql)) {}
            group.cancelAll()
        }
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
        let binaries = try self.binaryDirectory()
        self.sweepStaleClusters()
        var lastError = "no attempt"
        for _ in 0..<3 {
            let directory = try self.makeDirectory()
            try self.run(
                binaries + "/initdb",
                [
                    "-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
                    "--no-sync", "--no-instructions",
                ]
            )
            let port = try self.freePort()
            try self.launch(binaries: binaries, directory: directory, port: port)
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while clock.now < deadline {
                if (try? self.run(
                    binaries + "/pg_isready",
                    ["-q", "-h", "127.0.0.1", "-p", "\(port)"],
                    asPostgres: false
                )) != nil {
                    return Server(host: "127.0.0.1", port: port, username: "postgres", password: nil)
                }
                if !FileManager.default.fileExists(atPath: directory + "/data") { break }  // the watchdog gave up
                try await Task.sleep(for: .milliseconds(50))
            }
            lastError =
                (try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8)) ?? "postgres did not start"
        }
        throw StartError(description: "could not start PostgreSQL: \(lastError)")
    }

    /// The folder of `initdb`, `postgres` and `pg_isready`.
    private static func binaryDirectory() throws -> String {
        let fileManager = FileManager.default
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(directory)/initdb"
            if fileManager.isExecutableFile(atPath: candidate) {
                let resolved = URL(fileURLWithPath: candidate).resolvingSymlinksInPath().deletingLastPathComponent()
                    .path
                if fileManager.isExecutableFile(atPath: resolved + "/postgres") { return resolved }
            }
        }
        let versions = (try? fileManager.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            let directory = "/usr/lib/postgresql/\(version)/bin"
            if fileManager.isExecutableFile(atPath: directory + "/initdb") { return directory }
        }
        throw StartError(
            description:
                "PostgreSQL server binaries not found (initdb, postgres). Install them (Debian: apt-get install postgresql) or set SMSBRIDGE_TEST_DATABASE_URL."
        )
    }

    private static var isRoot: Bool { getuid() == 0 }

    private static func makeDirectory() throws -> String {
        var template = Array("/tmp/pgtest.XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw StartError(description: "mkdtemp failed") }
        let path = String(cString: made)
        if self.isRoot, let user = getpwnam("postgres") {
            guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
                throw StartError(description: "cannot give \(path) to the postgres user")
            }
        }
        return path
    }

    /// Removes folders of clusters whose watchdog is gone (test runs that were killed).
    private static func sweepStaleClusters() {
        let fileManager = FileManager.default
        guard let entries = try? fileManager.contentsOfDirectory(atPath: "/tmp") else { return }
        func alive(_ file: String) -> Bool {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let pid = Int32(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "")
            else { return false }
            return kill(pid, 0) == 0
        }
        for entry in entries where entry.hasPrefix("pgtest.") {
            let path = "/tmp/" + entry
            // Leave clusters in use (a live watchdog or postmaster) and very new folders alone.
            if alive(path + "/watchdog.pid") || alive(path + "/data/postmaster.pid") { continue }
            let created = (try? fileManager.attributesOfItem(atPath: path)[.modificationDate] as? Date) ?? Date()
            if Date().timeIntervalSince(created) > 60 { try? fileManager.removeItem(atPath: path) }
        }
    }

    private static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0
            }
        }
        guard bound else { throw StartError(description: "cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program to completion (as `postgres` when we are root) and throws on failure.
    @discardableResult
    private static func run(_ program: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
        let process = Process()
        let output = Pipe()
        if asPostgres && self.isRoot {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
            process.arguments = ["--reuid=postgres", "--regid=postgres", "--init-groups", program] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: program)
            process.arguments = arguments
        }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        try? output.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        while process.isRunning { usleep(1_000) }
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw StartError(description: "\(program) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    /// Starts `postgres` under a watchdog shell that stops it (and removes the folder) once this
    /// process has exited. Returns at once.
    private static func launch(binaries: String, directory: String, port: Int) throws {
        let asPostgres = self.isRoot ? "/usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups " : ""
        let settings = [
            "listen_addresses=127.0.0.1", "fsync=off", "synchronous_commit=off", "full_page_writes=off",
            "max_connections=300", "shared_buffers=64MB",
        ].map { "-c \($0)" }.joined(separator: " ")
        // The watchdog runs in its own session and ignores terminal and termination signals, so that
        // whatever ends the test process (and its process group) cannot stop it halfway.
        let script = """
            trap '' INT TERM HUP
            echo $$ > '\(directory)/watchdog.pid'
            \(asPostgres)'\(binaries)/postgres' -D '\(directory)/data' -p \(port) -k '\(directory)' -F \(settings) \
              > '\(directory)/postgres.log' 2>&1 &
            PG=$!
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $PG 2>/dev/null; do sleep 0.5; done
            kill -INT $PG 2>/dev/null
            wait $PG 2>/dev/null
            # Remove the folder once the tests are gone (keep it for diagnosis if postgres died first).
            kill -0 \(getpid()) 2>/dev/null || rm -rf '\(directory)'
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setsid")
        process.arguments = ["/bin/sh", "-c", script]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }
}
