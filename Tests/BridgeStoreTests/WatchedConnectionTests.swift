@testable import BridgeStore
import BridgeTestSupport
import Logging
import PostgresNIO
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct WatchedConnectionTests {
    /// How many transactions each worker finished, and how many failed.
    private final class Progress: Sendable {
        let finished = Mutex<[Int]>([])
        let failed = Mutex(0)

        init(workers: Int) { self.finished.withLock { $0 = Array(repeating: 0, count: workers) } }
    }

    /// Workers run transactions of two statements back to back while the server ends every session
    /// of the database, five times: as at a restart, some sessions are ended between two statements
    /// of a transaction. Each worker goes on afterwards — with PostgresNIO's `withTransaction`
    /// alone, every one of them waited for ever on the statement it sent after the end.
    @Test func transactionsGoOnWhileTheServerEndsTheirSessions() async throws {
        let logger = Logger(label: "watched")
        let configuration = try await TestPostgres.shared.makeDatabase("watched")
        let database = try #require(configuration.database)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let workers = 8
        let progress = Progress(workers: workers)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            for worker in 0..<workers {
                group.addTask {
                    while !Task.isCancelled {
                        do {
                            try await client.withWatchedTransaction(logger: logger) { connection in
                                for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                                for try await _ in try await connection.query("SELECT 2", logger: logger) {}
                            }
                            progress.finished.withLock { $0[worker] += 1 }
                        } catch {
                            progress.failed.withLock { $0 += 1 }
                        }
                    }
                }
            }
            var ended = 0
            for _ in 0..<5 {
                try await Task.sleep(for: .milliseconds(250))
                ended += try await TestPostgres.shared.administer(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(database)'"
                )
            }
            #expect(ended >= workers)
            let afterwards = progress.finished.withLock { $0 }
            let deadline = ContinuousClock.now + .seconds(20)
            var stuck = Array(0..<workers)
            while !stuck.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                let now = progress.finished.withLock { $0 }
                stuck = (0..<workers).filter { now[$0] == afterwards[$0] }
            }
            #expect(stuck.isEmpty, "workers that finished no transaction after the last end: \(stuck)")
            #expect(progress.failed.withLock { $0 } > 0, "some transactions lost their session")
        }
    }

    /// Work on a connection that has closed already ends within the grace, not never.
    @Test func workOnAClosedConnectionEnds() async throws {
        let logger = Logger(label: "watched")
        let configuration = try await TestPostgres.shared.makeDatabase("watched")
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            await #expect(throws: ConnectionClosedUnderWork.self) {
                try await client.withWatchedConnection(grace: .milliseconds(200)) { connection in
                    var pid: Int32 = 0
                    for try await row in try await connection.query("SELECT pg_backend_pid()", logger: logger)
                        .decode(Int32.self) { pid = row }
                    _ = try await TestPostgres.shared.administer("SELECT pg_terminate_backend(\(pid))")
                    while !connection.isClosed { try await Task.sleep(for: .milliseconds(10)) }
                    for try await _ in try await connection.query("SELECT 1", logger: logger) {}
                }
            }
            // The pool goes on with a new connection.
            let answer = try await client.withWatchedConnection { connection in
                var value = 0
                for try await row in try await connection.query("SELECT 42", logger: logger).decode(Int.self) { value = row }
                return value
            }
            #expect(answer == 42)
        }
    }
}
