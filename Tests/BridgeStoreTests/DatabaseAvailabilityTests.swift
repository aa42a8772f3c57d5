import BridgeTestSupport
import Logging
import PostgresNIO
import Testing

@testable import BridgeStore

@Suite(.timeLimit(.minutes(1))) struct DatabaseAvailabilityTests {
    typealias Circuit = DatabaseAvailability.Circuit

    @Test func aCallThatFindsTheDatabaseUnavailableMarksItAway() {
        var circuit = Circuit()
        #expect(circuit.callRequested() == .call)
        #expect(circuit.callRequested() == .call)
        #expect(circuit.callEnded(.call, .unavailable) == .wentAway)
        #expect(circuit.isAway)
        // The other call, made before, finds it away too: no change.
        #expect(circuit.callEnded(.call, .unavailable) == nil)
    }

    @Test func whileAwayOneCallAtATimeTriesIt() {
        var circuit = Circuit()
        _ = circuit.callEnded(circuit.callRequested(), .unavailable)
        #expect(circuit.callRequested() == .trial)
        #expect(circuit.callRequested() == .refused)
        #expect(circuit.callEnded(.trial, .unavailable) == nil)
        #expect(circuit.isAway)
        #expect(circuit.callRequested() == .trial, "the trial ended: the next call tries")
        #expect(circuit.callRequested() == .refused)
    }

    @Test func anAnswerMarksItBack() {
        var circuit = Circuit()
        _ = circuit.callEnded(circuit.callRequested(), .unavailable)
        #expect(circuit.callEnded(circuit.callRequested(), .answered) == .cameBack)
        #expect(!circuit.isAway)
        #expect(circuit.callRequested() == .call)
    }

    @Test func aCanceledTrialTellsNothingAndLetsTheNextCallTry() {
        var circuit = Circuit()
        _ = circuit.callEnded(circuit.callRequested(), .unavailable)
        #expect(circuit.callEnded(circuit.callRequested(), .nothing) == nil)
        #expect(circuit.isAway)
        #expect(circuit.callRequested() == .trial)
    }

    @Test func callsToADatabaseNobodyListensForFailAtOnceWhileATrialWaits() async throws {
        var logger = Logger(label: "availability")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: TestPostgres.nowhere, backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        let database = DatabaseAvailability(timeout: .milliseconds(300), logger: logger)
        let query: @Sendable () async throws -> Void = { _ = try await client.query("SELECT 1").collect() }

        await #expect(throws: DatabaseDeadlineExceeded.self) { try await database.run(query) }
        #expect(database.isAway)
        let (started, trialStarted) = AsyncStream.makeStream(of: Void.self)
        let trial = Task {
            try await database.run {
                trialStarted.yield()
                try await query()
            }
        }
        for await _ in started { break }
        // Not queued behind the trial: refused before it is made.
        await #expect(throws: DatabaseAway.self) { try await database.run(query) }
        await #expect(throws: DatabaseDeadlineExceeded.self) { try await trial.value }
        #expect(database.isAway)
    }
}
