import BridgeTestSupport
import Testing

@testable import BridgeStore

@Suite(.timeLimit(.minutes(1))) struct DatabaseWaitTests {
    /// Cancellation ends the wait between attempts at once: with a minute between attempts, a
    /// wait that ran to its end would take that minute.
    @Test func cancellationEndsTheWaitBetweenAttemptsAtOnce() async throws {
        // Nobody listens on port 1: each attempt is refused at once.
        let url = try DatabaseURL("postgres://x@127.0.0.1:1/x?sslmode=disable")
        let logs = CapturedLogs()
        let logger = logs.logger(label: "wait")
        let waiting = Task {
            try await url.waitUntilReachable(attempts: 3, interval: .seconds(60), timeout: .seconds(5), logger: logger)
        }
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(20)
        while logs.all.isEmpty, clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(logs.records("database not reachable; retrying").count == 1, "the first attempt failed")
        let canceled = clock.now
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        #expect(clock.now - canceled < .seconds(30), "the wait ran on after the cancellation")
        #expect(logs.all.count == 1, "no attempt after the cancellation")
    }
}
