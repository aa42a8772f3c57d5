import Synchronization
import Testing

@testable import BridgeService

@Suite(.timeLimit(.minutes(1))) struct SendTrackerTests {
    /// Shutdown waits for the sends under way, and none starts once it began.
    @Test func closingRefusesNewSendsAndFinishesWithTheLast() async throws {
        let tracker = SendTracker()
        #expect(tracker.begin())
        #expect(tracker.begin())
        tracker.close()
        #expect(!tracker.begin(), "closed: nothing starts")

        let finished = Flag()
        async let waited: Void = {
            await tracker.finished()
            finished.set()
        }()
        try await Task.sleep(for: .milliseconds(100))
        tracker.end()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!finished.isSet, "one send still runs")
        tracker.end()
        await waited
        #expect(finished.isSet)
    }

    /// With nothing under way, finishing returns at once; while open it waits for the close.
    @Test func anIdleTrackerFinishesOnceClosed() async throws {
        let tracker = SendTracker()
        #expect(tracker.begin())
        tracker.end()  // idle but open: not finished
        let finished = Flag()
        async let waited: Void = {
            await tracker.finished()
            finished.set()
        }()
        try await Task.sleep(for: .milliseconds(100))
        #expect(!finished.isSet)
        tracker.close()
        await waited
        #expect(finished.isSet)
    }
}

/// Whether something happened, seen from another task.
private final class Flag: Sendable {
    private let value = Atomic<Bool>(false)

    var isSet: Bool { self.value.load(ordering: .relaxed) }

    func set() { self.value.store(true, ordering: .relaxed) }
}
