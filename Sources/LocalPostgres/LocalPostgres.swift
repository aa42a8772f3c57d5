import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster of this machine's server binaries in a folder of ours, started as a child
/// that cannot outlive us: the test harness's throwaway cluster and `smsbridge demo`'s private one.
///
/// PostgreSQL refuses to run as root; when we are root, `initdb` and `postgres` run as the
/// `postgres` user (through `setpriv`) and the folder is given to that user. `postgres` is started
/// by a small watchdog shell in its own session, which stops it once this process is gone — however
/// it ended — so that no cluster is left running. (`pg_ctl start` is not used: started from
/// Foundation's `Process` it waits for output that never closes.)
public struct LocalPostgres: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// The cluster's folder: `data/` (the cluster), `postgres.log`, the socket, `watchdog.pid`.
    public let directory: String
    /// The folder of `initdb`, `postgres` and `pg_isready`.
    public let binaries: String

    /// - Throws: ``Failure`` when the server binaries are not installed.
    public init(directory: String) throws {
        self.directory = directory
        self.binaries = try Self.binaryDirectory()
    }

    public var isInitialized: Bool { FileManager.default.fileExists(atPath: self.directory + "/data/PG_VERSION") }

    /// Creates the folder (owned by `postgres` when we are root) and the cluster in it, with trust
    /// authentication for the superuser `postgres`; nothing when it exists already.
    public func initialize(sync: Bool = true) throws {
        try FileManager.default.createDirectory(atPath: self.directory, withIntermediateDirectories: true)
        try Self.giveToPostgres(self.directory)
        guard !self.isInitialized else { return }
        var arguments = [
            "-D", self.directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C",
            "--no-instructions",
        ]
        if !sync { arguments.append("--no-sync") }
        try Self.run(self.binaries + "/initdb", arguments)
    }

    /// Starts `postgres` on 127.0.0.1:`port` and waits (up to `timeout`) until it accepts
    /// connections. The watchdog stops it when this process exits, and then removes the folder when
    /// `removeWhenDone` (throwaway clusters). `settings` are extra `-c` options.
    public func start(
        port: Int,
        settings: [String] = [],
        removeWhenDone: Bool = false,
        timeout: Duration = .seconds(30)
    ) async throws {
        // A previous run's file would make a watchdog that has not written its own yet look dead.
        let pidFile = self.directory + "/watchdog.pid"
        try? FileManager.default.removeItem(atPath: pidFile)
        try self.launch(port: port, settings: settings, removeWhenDone: removeWhenDone)
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while clock.now < deadline {
            if self.isReady(port: port) { return }
            if FileManager.default.fileExists(atPath: pidFile) && !self.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("PostgreSQL did not start: \(self.log)")
    }

    /// What the server wrote to its log.
    public var log: String {
        (try? String(contentsOfFile: self.directory + "/postgres.log", encoding: .utf8)) ?? "(no log)"
    }

    /// Whether the watchdog (and so the server) is alive.
    public var isRunning: Bool { Self.processAlive(pidFile: self.directory + "/watchdog.pid") }

    /// Asks the server to stop (a fast shutdown: sessions are closed, everything committed is kept)
    /// and waits up to `timeout` for the watchdog to see it gone.
    public func stop(timeout: Duration = .seconds(20)) async {
        guard let pid = Self.pid(in: self.directory + "/data/postmaster.pid") else { return }
        kill(pid, SIGINT)
        let deadline = ContinuousClock.now + timeout
        while kill(pid, 0) == 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    public func isReady(port: Int) -> Bool {
        (try? Self.run(self.binaries + "/pg_isready", ["-q", "-h", "127.0.0.1", "-p", "\(port)"], asPostgres: false))
            != nil
    }

    // MARK: Helpers

    /// The folder of `initdb`, `postgres` and `pg_isready`: on the `PATH`, else the newest
    /// `/usr/lib/postgresql/N/bin`.
    public static func binaryDirectory() throws -> String {
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
        throw Failure(
            "PostgreSQL server binaries not found (initdb, postgres). Install them (Debian: apt-get install postgresql)."
        )
    }

    static var isRoot: Bool { getuid() == 0 }

    /// Gives a folder to the `postgres` user when we are root.
    public static func giveToPostgres(_ path: String) throws {
        guard self.isRoot, let user = getpwnam("postgres") else { return }
        guard chown(path, user.pointee.pw_uid, user.pointee.pw_gid) == 0 else {
            throw Failure("cannot give \(path) to the postgres user")
        }
    }

    /// A TCP port on 127.0.0.1 that nothing listens on now.
    public static func freePort() throws -> Int {
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
        guard bound else { throw Failure("cannot find a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func pid(in file: String) -> Int32? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return Int32(text.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "")
    }

    /// Whether the process whose id the first line of `pidFile` holds is alive.
    public static func processAlive(pidFile: String) -> Bool {
        guard let pid = self.pid(in: pidFile) else { return false }
        return kill(pid, 0) == 0
    }

    /// Runs a program to completion (as `postgres` when we are root) and throws on failure.
    @discardableResult
    static func run(_ program: String, _ arguments: [String], asPostgres: Bool = true) throws -> String {
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
            throw Failure("\(program) failed (\(process.terminationStatus)): \(text)")
        }
        return text
    }

    /// Starts `postgres` under the watchdog shell. Returns at once.
    private func launch(port: Int, settings: [String], removeWhenDone: Bool) throws {
        let directory = self.directory
        let asPostgres = Self.isRoot ? "/usr/bin/setpriv --reuid=postgres --regid=postgres --init-groups " : ""
        let options = (["listen_addresses=127.0.0.1"] + settings).map { "-c \($0)" }.joined(separator: " ")
        let cleanup = removeWhenDone ? "kill -0 \(getpid()) 2>/dev/null || rm -rf '\(directory)'" : ":"
        // The watchdog runs in its own session and ignores terminal and termination signals, so that
        // whatever ends this process (and its process group) cannot stop it halfway.
        let script = """
            trap '' INT TERM HUP
            echo $$ > '\(directory)/watchdog.pid'
            \(asPostgres)'\(self.binaries)/postgres' -D '\(directory)/data' -p \(port) -k '\(directory)' \(options) \
              > '\(directory)/postgres.log' 2>&1 &
            PG=$!
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $PG 2>/dev/null; do sleep 0.5; done
            kill -INT $PG 2>/dev/null
            wait $PG 2>/dev/null
            # A throwaway cluster's folder goes once its user is gone (kept for diagnosis if postgres died first).
            \(cleanup)
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
