import NIOPosix
import Synchronization
import Testing

@testable import BridgeStore

@Suite(.timeLimit(.minutes(1))) struct DeadlineTimerTests {
    /// When each action ran, by name.
    final class Fired: Sendable {
        private let times = Mutex<[String: ContinuousClock.Instant]>([:])
        func record(_ name: String) { self.times.withLock { $0[name] = .now } }
        subscript(name: String) -> ContinuousClock.Instant? { self.times.withLock { $0[name] } }
        var names: Set<String> { self.times.withLock { Set($0.keys) } }

        func wait(for name: String, atMost limit: Duration) async throws {
            let deadline = ContinuousClock.now + limit
            while self[name] == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    let timer = DeadlineTimer(eventLoop: MultiThreadedEventLoopGroup.singleton.next())

    @Test func anEntryFiresOnceItsDelayHasPassed() async throws {
        let fired = Fired()
        let start = ContinuousClock.now
        _ = self.timer.schedule(after: .milliseconds(100)) { fired.record("a") }
        try await fired.wait(for: "a", atMost: .seconds(10))
        let at = try #require(fired["a"])
        #expect(at - start >= .milliseconds(100))
    }

    @Test func anEarlierEntryIsNotKeptWaitingForALaterOne() async throws {
        let fired = Fired()
        let start = ContinuousClock.now
        let late = self.timer.schedule(after: .seconds(30)) { fired.record("late") }
        _ = self.timer.schedule(after: .milliseconds(50)) { fired.record("early") }
        try await fired.wait(for: "early", atMost: .seconds(10))
        let at = try #require(fired["early"])
        #expect(at - start < .seconds(10), "armed for its own deadline, not the later one's")
        #expect(fired.names == ["early"])
        self.timer.cancel(late)
    }

    @Test func aCancelledEntryNeverFiresAndTheOnesAfterItStill() async throws {
        let fired = Fired()
        let cancelled = self.timer.schedule(after: .milliseconds(30)) { fired.record("cancelled") }
        _ = self.timer.schedule(after: .milliseconds(150)) { fired.record("kept") }
        self.timer.cancel(cancelled)
        try await fired.wait(for: "kept", atMost: .seconds(10))
        #expect(fired.names == ["kept"], "the timer armed for the cancelled one re-arms for the next")
    }
}
