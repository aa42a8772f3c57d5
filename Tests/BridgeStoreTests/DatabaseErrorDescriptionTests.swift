import BridgeTestSupport
import Logging
import NIOCore
import PostgresNIO
import Testing

import BridgeStore

/// Database errors in log lines say what happened, in words, and never the statement's values.
@Suite(.timeLimit(.minutes(1))) struct DatabaseErrorDescriptionTests {
    /// The error a real call throws, as it was thrown.
    private func failure(_ call: () async throws -> Void) async -> (any Error)? {
        do {
            try await call()
            return nil
        } catch {
            return error
        }
    }

    @Test func aServerErrorIsItsSQLStateAndMessageWithoutTheStatement() async throws {
        try await withStore("describe") { store in
            let error = try #require(
                await self.failure {
                    _ = try await store.client.query("SELECT \("a message's text")::int", logger: Logger(label: "test"))
                        .collect()
                }
            )
            // The server's message quotes the value it refused; the statement is left out.
            #expect(describeDatabaseError(error) == #"22P02: invalid input syntax for type integer: "a message's text""#)
            #expect("\(error)".contains("Generic description"), "what the description replaces")
        }
    }

    @Test func aTransactionSaysWhichStepFailed() async throws {
        try await withStore("describe") { store in
            let error = try #require(
                await self.failure {
                    try await store.client.withTransaction(logger: Logger(label: "test")) { connection in
                        _ = try await connection.query("SELECT 1 / \(0)", logger: Logger(label: "test")).collect()
                    }
                }
            )
            #expect(error is PostgresTransactionError)
            #expect(describeDatabaseError(error) == "22012: division by zero")
        }
    }

    @Test func anEndedConnectionSaysWhy() async throws {
        try await withStore("describe") { store in
            let error = try #require(
                await self.failure {
                    try await store.client.withConnection { connection in
                        _ = try await connection.query("SELECT pg_terminate_backend(pg_backend_pid())", logger: Logger(label: "test"))
                            .collect()
                    }
                }
            )
            #expect(describeDatabaseError(error) == "57P01: terminating connection due to administrator command")
        }
    }

    @Test func aRefusedConnectionSaysWhereAndOtherErrorsDescribeThemselves() async throws {
        var logger = Logger(label: "describe")
        logger.logLevel = .critical
        let error = try #require(
            await self.failure {
                let connection = try await PostgresConnection.connect(
                    configuration: .init(host: "127.0.0.1", port: 1, username: "x", password: nil, database: "x", tls: .disable),
                    id: 1,
                    logger: logger
                )
                try await connection.close()
            }
        )
        #expect(describeDatabaseError(error).hasPrefix("connection refused ("), "\(describeDatabaseError(error))")
        #expect(describeDatabaseError(DatabaseDeadlineExceeded(timeout: .seconds(3))) == "no answer from the database within 3.0 seconds")
    }
}
