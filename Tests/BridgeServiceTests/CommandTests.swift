import BridgeStore
import BridgeTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The `smsbridge` commands an operator runs by hand or from cron.
@Suite(.timeLimit(.minutes(3))) struct CommandTests {
    /// Runs `smsbridge arguments…` to the end: exit status, standard output and error.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try ChildProcess(try smsbridgeExecutable(), arguments)
        let status = try await process.wait(timeout: .seconds(30))
        return (status, process.stdout, process.stderr)
    }

    /// A temporary file holding `text`; its path.
    static func file(_ text: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("smsbridge-\(UUID()).yaml")
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// A configuration file as the README writes it, on the database at `url`; its path.
    static func configurationFile(databaseURL url: String, extra: String = "") throws -> String {
        try Self.file(
            """
            database:
              url: \(url)
            \(extra)
            connectors:
              main:
                endpoints: ["127.0.0.1:2775"]
                system_id: bridge
                password: secret
            """
        )
    }

    @Test func accountsAndPurgeFromTheCommandLine() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        let created = try await Self.run(["accounts", "create", "shop", "--database-url", url])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("api key sbk_"))
        let listed = try await Self.run(["accounts", "list", "--database-url", url])
        #expect(listed.stdout.contains("shop"))
        // A command that ran and failed is not a misuse of its arguments: no usage, status 1 (not 64).
        let again = try await Self.run(["accounts", "create", "shop", "--database-url", url])
        #expect(again.status == 1)
        #expect(again.stderr.contains("an account named shop exists already"), "\(again.stderr)")
        #expect(!again.stderr.contains("Usage:"), "\(again.stderr)")
        // An empty or unwieldy name, and a rate no send could meet, are refused before anything is stored.
        for arguments in [[""], ["x y;--"], ["ok", "--rate-limit=0"], ["ok", "--rate-limit=nan"]] {
            let refused = try await Self.run(["accounts", "create"] + arguments + ["--database-url", url])
            #expect(refused.status == 64, "\(arguments): \(refused.stderr)")
        }
        #expect(
            try await Self.run(["accounts", "list", "--database-url", url]).stdout.split(separator: "\n").count == 2
        )

        let dryRun = try await Self.run(["purge", "--older-than", "90d", "--dry-run", "--database-url", url])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(
            dryRun.stdout.hasPrefix(
                "would delete 0 messages, 0 inbound messages and 0 webhook deliveries older than 90d"
            )
        )
        let purged = try await Self.run(["purge", "--older-than", "90d", "--database-url", url])
        #expect(purged.stdout.hasPrefix("deleted 0 messages"))
    }

    /// A statement the database refuses is named with PostgreSQL's code and message, not with
    /// PostgresNIO's placeholder: here a role that may not create tables runs the migrations.
    @Test func aStatementTheDatabaseRefusesIsNamedWithItsCause() async throws {
        let url = try await makeEmptyDatabase("refused")
        let role = "reader_\(UInt32.random(in: 0...UInt32.max))"
        try await TestPostgres.shared.administer("CREATE ROLE \(role) LOGIN PASSWORD 'reader'")
        var components = try #require(URLComponents(string: url))
        components.user = role
        components.password = "reader"
        let refused = try await Self.run(["migrate", "--database-url", try #require(components.string)])
        #expect(refused.status == 1)
        #expect(refused.stderr == "Error: database: 42501: permission denied for schema public\n")
    }

    /// A database that cannot be reached is named at once, with why (the pool retried for a minute,
    /// then named only its circuit breaker).
    @Test func anUnreachableDatabaseIsNamedAtOnceWithWhy() async throws {
        // `run` gives each command 30 s: the pool's minute of retries would fail it.
        let refused = try await Self.run(["migrate", "--database-url", "postgres://x@127.0.0.1:1/x?sslmode=disable"])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot reach the database postgres://x@127.0.0.1:1/x"), "\(refused.stderr)")
        #expect(refused.stderr.contains("connection refused (127.0.0.1:1)"), "\(refused.stderr)")
        let (url, _) = try await prepareDatabase(accounts: [])
        var stranger = try #require(URLComponents(string: url))
        stranger.user = "nobody"
        let unknown = try await Self.run(["accounts", "list", "--database-url", try #require(stranger.string)])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains(#"role "nobody" does not exist"#), "\(unknown.stderr)")
    }

    /// `serve` waits for a database that is not there yet, saying why at every attempt (the pool
    /// logged only info lines for a minute, then named its circuit breaker), and a signal ends the
    /// wait at once.
    @Test(arguments: [SIGTERM, SIGINT])
    func serveWaitsForTheDatabaseSayingWhyAndStopsAtOnce(signal: Int32) async throws {
        try await Self.serveWithoutADatabase(extra: "http:\n  port: 0") { process, port in
            try await waitUntil("two attempts logged", timeout: .seconds(10)) {
                process.stderr.contains("attempt=2/30")
            }
            let attempts = process.stderr.split(separator: "\n").filter { $0.contains("database not reachable") }
            #expect(attempts.count >= 2)
            for line in attempts {
                #expect(line.contains(" warning "), "\(line)")
                #expect(line.contains("error=connection refused (127.0.0.1:\(port))"), "\(line)")
            }
            // Well before the 30 attempts run out; that the wait between two attempts ends at once
            // is DatabaseWaitTests' (a timed bound here fails on a loaded machine).
            process.kill(signal)
            #expect(try await process.wait(timeout: .seconds(10)) == 0, "\(process.stderr)")
            #expect(process.stderr.contains("stopped while waiting for the database"), "\(process.stderr)")
        }
    }

    /// `smsbridge serve` on a database nobody listens for (a port free a moment ago), with `extra`
    /// in its configuration; `body` gets the process and that port.
    static func serveWithoutADatabase(
        extra: String,
        _ body: (ChildProcess, Int) async throws -> Void
    ) async throws {
        let port = try freePort()
        let file = try Self.configurationFile(
            databaseURL: "postgres://x@127.0.0.1:\(port)/x?sslmode=disable",
            extra: extra
        )
        defer { try? FileManager.default.removeItem(atPath: file) }
        let process = try ChildProcess(try smsbridgeExecutable(), ["serve", "--config", file])
        defer { process.kill(SIGKILL) }
        try await body(process, port)
    }

    /// A port in use is named by its setting and address (it was only `bind(descriptor:ptr:bytes:):
    /// Address already in use`).
    @Test func servePortInUseNamesTheSetting() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        // PostgreSQL listens there.
        let taken = try #require(URLComponents(string: url)?.port)
        let file = try Self.configurationFile(databaseURL: url, extra: "http:\n  port: \(taken)")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let refused = try await Self.run(["serve", "--config", file])
        #expect(refused.status == 1)
        #expect(
            refused.stderr.hasSuffix("Error: http.port: cannot listen on 127.0.0.1:\(taken): address already in use\n"),
            "\(refused.stderr)"
        )
    }

    /// JSON log lines carry RFC 3339 timestamps in UTC to the millisecond (they had no time zone).
    @Test func jsonLogLinesCarryUTCTimestamps() async throws {
        try await Self.serveWithoutADatabase(extra: "logging:\n  format: json") { process, _ in
            let before = Date()
            try await waitUntil("an attempt logged", timeout: .seconds(10)) { process.stderr.contains("attempt") }
            process.kill(SIGTERM)
            _ = try await process.wait(timeout: .seconds(10))
            let lines = process.stderr.split(separator: "\n")
            #expect(!lines.isEmpty)
            for line in lines {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
                let ts = try #require(object["ts"])
                #expect(ts.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/) != nil, "\(ts)")
                let time = try Date(ts, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
                #expect(abs(time.timeIntervalSince(before)) < 60, "\(ts) is not the time in UTC")
            }
        }
    }

    /// A one-shot command starts its pool before its first call: PostgresNIO warns ("run() hasn't
    /// been called yet") at calls made before, which a child task started just before it often let happen.
    @Test func oneShotCommandsStartTheirPoolBeforeUsingIt() async throws {
        let (url, _) = try await prepareDatabase(accounts: ["shop"])
        let commands =
            Array(repeating: ["accounts", "list"], count: 6) + [["migrate"], ["purge", "--older-than", "90d"]]
        for command in commands {
            let ran = try await Self.run(command + ["--database-url", url])
            #expect(ran.status == 0, "\(command): \(ran.stderr)")
            #expect(!ran.stderr.contains("hasn't been called yet"), "\(command): \(ran.stderr)")
        }
    }

    /// The database commands name where a bad URL came from: the environment's variable, the
    /// file's key, or the option (a misused argument: 64 with the usage).
    @Test func aBadDatabaseURLIsNamedByWhereItCameFrom() async throws {
        var environment = ProcessInfo.processInfo.environment
        environment["SMSBRIDGE_CONFIG"] = nil
        environment["SMSBRIDGE_DATABASE_URL"] = "mysql://db/x"
        let process = try ChildProcess(try smsbridgeExecutable(), ["accounts", "list"], environment: environment)
        #expect(try await process.wait(timeout: .seconds(30)) == 78)
        #expect(
            process.stderr
                == "Error: database.url (from SMSBRIDGE_DATABASE_URL): scheme must be postgres:// or postgresql://, not mysql://\n"
        )

        let file = try Self.configurationFile(databaseURL: "mysql://db/x")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try await Self.run(["accounts", "list", "--config", file])
        #expect(fromFile.status == 78)
        #expect(
            fromFile.stderr
                == "Error: \(file): database.url: scheme must be postgres:// or postgresql://, not mysql://\n"
        )

        let fromOption = try await Self.run(["accounts", "list", "--database-url", "mysql://db/x"])
        #expect(fromOption.status == 64)
        #expect(
            fromOption.stderr.hasPrefix("Error: --database-url: scheme must be postgres://"),
            "\(fromOption.stderr)"
        )
    }

    @Test func purgeRefusesAgesThatWouldEmptyTheTables() async throws {
        for age in ["5m", "soon"] {
            let refused = try await Self.run([
                "purge", "--older-than", age, "--database-url", "postgres://x@127.0.0.1:1/x",
            ])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("--older-than"), "\(refused.stderr)")
        }
    }

    /// The README's steps on a database just created: `config check`, then `accounts create` before
    /// `serve` ever ran.
    @Test func theReadmeStepsWorkOnAFreshDatabase() async throws {
        let url = try await makeEmptyDatabase("readme")
        let file = try Self.configurationFile(databaseURL: url)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let checked = try await Self.run(["config", "check", file])
        #expect(checked.status == 0)
        #expect(checked.stdout == "\(file): ok (connectors: main)\n")

        let created = try await Self.run(["accounts", "create", "shop", "--config", file])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("api key sbk_"))
        #expect(created.stderr.contains("applied migration initial"), "\(created.stderr)")
        #expect(try await pendingMigrations(url).isEmpty)

        // purge too, here with the URL alone (no file: database.migrate's default, true).
        let other = try await makeEmptyDatabase("readme")
        let purged = try await Self.run(["purge", "--older-than", "90d", "--database-url", other])
        #expect(purged.status == 0, "\(purged.stderr)")
        #expect(purged.stdout.hasPrefix("deleted 0 messages"))
        #expect(try await pendingMigrations(other).isEmpty)
    }

    @Test func withMigrateFalseTheCommandsWaitForSmsbridgeMigrate() async throws {
        let url = try await makeEmptyDatabase("nomigrate")
        let file = try Self.configurationFile(databaseURL: url, extra: "  migrate: false")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let bundled = try MigrationRunner.bundled().migrations
        for command in [["accounts", "create", "shop"], ["accounts", "list"], ["purge", "--older-than", "90d"]] {
            let refused = try await Self.run(command + ["--config", file])
            #expect(refused.status != 0, "\(command)")
            #expect(
                refused.stderr.contains(
                    "database.migrate: is false and \(bundled.count) migrations are pending: run `smsbridge migrate`"
                ),
                "\(refused.stderr)"
            )
        }
        #expect(try await pendingMigrations(url).count == bundled.count, "nothing was applied")

        let dryRun = try await Self.run(["migrate", "--dry-run", "--config", file])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(dryRun.stdout == bundled.map { "\($0.name)\n" }.joined())
        let migrated = try await Self.run(["migrate", "--config", file])
        #expect(migrated.status == 0, "\(migrated.stderr)")
        #expect(migrated.stdout == bundled.map { "applied \($0.name)\n" }.joined())
        #expect(try await Self.run(["migrate", "--config", file]).stdout == "database up to date\n")
        #expect(try await Self.run(["migrate", "--dry-run", "--config", file]).stdout == "no pending migrations\n")

        let created = try await Self.run(["accounts", "create", "shop", "--config", file])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("api key sbk_"))
    }

    @Test func anOlderBuildRefusesADatabaseMigratedByANewerOne() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        try await withDatabase(url) { database in
            try await database.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, 'from_the_future', 'x')"
            )
        }
        let refused = try await Self.run(["accounts", "list", "--database-url", url])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("the database has migration 9999"), "\(refused.stderr)")
    }

    /// A header over the table; `--json` an array with the HTTP API's field names; ids in lower
    /// case, as the HTTP API writes them.
    @Test func accountsAreListedAsATableOrJSON() async throws {
        let (url, keys) = try await prepareDatabase(accounts: ["shop"])
        let id = try #require(keys["shop"]?.0).uuidString.lowercased()
        let created = try await Self.run(["accounts", "create", "acme", "--rate-limit", "2.5", "--database-url", url])
        let acme = try #require(created.stdout.split(separator: "\n").first)
        #expect(
            acme.wholeMatch(of: /account acme [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/) != nil,
            "\(acme)"
        )

        let table = try await Self.run(["accounts", "list", "--database-url", url])
        #expect(table.status == 0, "\(table.stderr)")
        let rows = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.count == 3)
        #expect(rows.first == ["NAME", "ID", "RATE", "CREATED"])
        #expect(
            rows.dropFirst().map { Array($0.prefix(3)) } == [
                ["acme", String(acme.suffix(36)), "2.5/s"], ["shop", id, "default"],
            ]
        )

        let json = try await Self.run(["accounts", "list", "--json", "--database-url", url])
        #expect(json.status == 0, "\(json.stderr)")
        let objects = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(objects.map { Set($0.keys) } == Array(repeating: ["id", "name", "rate_limit", "created_at"], count: 2))
        #expect(objects.map { $0["name"] as? String } == ["acme", "shop"])
        #expect(objects.map { $0["id"] as? String } == [String(acme.suffix(36)), id])
        #expect(objects[0]["rate_limit"] as? Double == 2.5)
        #expect(objects[1]["rate_limit"] is NSNull)
        for object in objects {
            let createdAt = try #require(object["created_at"] as? String)
            #expect(try Date(createdAt, strategy: .iso8601).timeIntervalSinceNow > -600, "\(createdAt)")
        }
    }

    @Test func keysAreListedAddedAndRevoked() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        func key(_ output: String) throws -> String {
            try #require(output.split(separator: "\n").first { $0.hasPrefix("api key ") }?.dropFirst(8)).description
        }
        // `accounts keys shop`: prefix → active or revoked, read from the table and from the JSON alike.
        func keys() async throws -> [String: String] {
            let listed = try await Self.run(["accounts", "keys", "shop", "--database-url", url])
            #expect(listed.status == 0, "\(listed.stderr)")
            let lines = listed.stdout.split(separator: "\n")
            #expect(lines.first?.split(separator: " ") == ["PREFIX", "STATE", "CREATED", "REVOKED"])
            var keys: [String: String] = [:]
            for line in lines.dropFirst() {
                let fields = line.split(separator: " ")
                keys[String(fields[0].dropLast())] = String(fields[1])
            }
            let json = try await Self.run(["accounts", "keys", "shop", "--json", "--database-url", url])
            let objects = try #require(
                try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]]
            )
            #expect(objects.allSatisfy { Set($0.keys) == ["prefix", "created_at", "revoked_at"] }, "\(objects)")
            var fromJSON: [String: String] = [:]
            for object in objects {
                fromJSON[try #require(object["prefix"] as? String)] =
                    object["revoked_at"] is NSNull ? "active" : "revoked"
            }
            #expect(fromJSON == keys)
            return keys
        }
        let first = try key(try await Self.run(["accounts", "create", "shop", "--database-url", url]).stdout)
        let second = try key(try await Self.run(["accounts", "add-key", "shop", "--database-url", url]).stdout)
        let listed = try await keys()
        #expect(listed.count == 2)
        let firstPrefix = try #require(listed.keys.first { first.hasPrefix($0) })
        let secondPrefix = try #require(listed.keys.first { second.hasPrefix($0) })
        #expect(listed[firstPrefix] == "active" && listed[secondPrefix] == "active")

        // As `keys` prints it, with the ellipsis.
        let revoked = try await Self.run(["accounts", "revoke", "\(firstPrefix)…", "--database-url", url])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        #expect(revoked.stdout == "revoked \(firstPrefix)\n")
        #expect(try await keys() == [firstPrefix: "revoked", secondPrefix: "active"])
        let (revokedKey, activeKey) = try await withDatabase(url) { store in
            (try await store.account(forAPIKey: first), try await store.account(forAPIKey: second))
        }
        #expect(revokedKey == nil, "the revoked key no longer authenticates")
        #expect(activeKey?.name == "shop")

        // Revoked twice: as asked, not a failure. An unknown prefix is one.
        let again = try await Self.run(["accounts", "revoke", firstPrefix, "--database-url", url])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.hasPrefix("\(firstPrefix) was already revoked ("), "\(again.stdout)")
        let unknown = try await Self.run(["accounts", "revoke", "sbk_00000000", "--database-url", url])
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "Error: no key with prefix sbk_00000000\n")
        let nobody = try await Self.run(["accounts", "keys", "nobody", "--database-url", url])
        #expect(nobody.status != 0)
        #expect(nobody.stderr.contains("no account named nobody"), "\(nobody.stderr)")
    }

    /// Errors on standard error, exit status 78 (EX_CONFIG); "ok" on standard output.
    @Test func configCheckNamesTheKeyAtFault() async throws {
        let file = try Self.configurationFile(
            databaseURL: "postgres://smsbridge@localhost:5432/smsbridge",
            extra: "http:\n  port: 70000"
        )
        defer { try? FileManager.default.removeItem(atPath: file) }
        let refused = try await Self.run(["config", "check", file])
        #expect(refused.status == 78)
        #expect(refused.stdout.isEmpty)
        #expect(refused.stderr == "Error: \(file): http.port: must be 0…65535\n")

        let misspelt = try Self.file(
            "connectors:\n  main:\n    endpoints: [\"127.0.0.1:2775\"]\n    system_id: bridge\n    windw: 5\n"
        )
        defer { try? FileManager.default.removeItem(atPath: misspelt) }
        let unknown = try await Self.run(["config", "check", misspelt])
        #expect(unknown.status == 78)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.hasPrefix("Error: \(misspelt): connectors.main.windw: unknown key"), "\(unknown.stderr)")

        let missing = try await Self.run(["config", "check", "/nonexistent/smsbridge.yaml"])
        #expect(missing.status == 78)
        #expect(
            missing.stderr == "Error: /nonexistent/smsbridge.yaml: cannot read the file: No such file or directory\n",
            "the path once, the system's reason"
        )
    }

    /// `serve` says of a bad file what `config check` says: one line naming the file and the key,
    /// no usage text, exit status 78 (it was 64, the status of a misused argument, with the usage).
    @Test func serveRefusesABadConfigurationAsConfigCheckDoes() async throws {
        let cases = [
            ("http:\n  port: abc\n", "http.port: must be a whole number"),
            (
                "connectors:\n  main:\n    endpoints: []\n    system_id: bridge\n    windw: 5\n",
                "connectors.main.windw: unknown key"
            ),
        ]
        for (yaml, problem) in cases {
            let file = try Self.file(yaml)
            defer { try? FileManager.default.removeItem(atPath: file) }
            let served = try await Self.run(["serve", "--config", file])
            #expect(served.status == 78)
            #expect(served.stderr.hasPrefix("Error: \(file): \(problem)"), "\(served.stderr)")
            #expect(served.stderr.split(separator: "\n").count == 1, "\(served.stderr)")
            let checked = try await Self.run(["config", "check", file])
            #expect(checked.status == served.status)
            #expect(checked.stderr == served.stderr)
        }
    }
}
