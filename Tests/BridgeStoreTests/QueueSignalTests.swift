import Synchronization
import Testing

@testable import BridgeStore

@Suite(.timeLimit(.minutes(1))) struct QueueSignalTests {
    final class Count: Sendable {
        let value = Mutex(0)
        var current: Int { self.value.withLock { $0 } }
    }

    @Test func aBurstCostsOneSignalNowAndOneAtTheEndOfTheInterval() async throws {
        let signal = QueueSignal(interval: .milliseconds(200))
        let sent = Count()
        for _ in 0..<50 { signal.signal { sent.value.withLock { $0 += 1 } } }
        let deadline = ContinuousClock.now + .seconds(5)
        while sent.current < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sent.current == 2, "the first at once, the trailing one for the rest of the burst")
        // Quiet for longer than the interval: the next one goes at once again.
        try await Task.sleep(for: .milliseconds(300))
        #expect(sent.current == 2)
        signal.signal { sent.value.withLock { $0 += 1 } }
        while sent.current < 3, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(sent.current == 3)
    }
}
