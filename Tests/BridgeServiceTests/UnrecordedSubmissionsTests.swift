import BridgeStore
import Foundation
import Synchronization
import Testing

@testable import BridgeService

@Suite struct UnrecordedSubmissionsTests {
    private func report(_ connector: String, _ keys: String...) -> SubmissionReport {
        SubmissionReport(
            messageID: UUID(),
            connector: connector,
            submitted: keys.enumerated().map { .init(number: $0.offset + 1, smscMessageID: $0.element, key: $0.element) },
            outcome: .sent
        )
    }

    /// Notes its releases.
    private final class Released: Sendable {
        private let reasons = Mutex<[UnrecordedSubmissions.Release]>([])
        func callAsFunction(_ reason: UnrecordedSubmissions.Release) { self.reasons.withLock { $0.append(reason) } }
        var value: Int { self.reasons.withLock { $0.count } }
        var all: [UnrecordedSubmissions.Release] { self.reasons.withLock { $0 } }
    }

    @Test func aReceiptForAnUnrecordedPartWaitsForItsReport() {
        let unrecorded = UnrecordedSubmissions()
        let first = self.report("main", "a1", "a2")
        let second = self.report("main", "b1")
        unrecorded.submitted(first)
        unrecorded.submitted(second)
        let released = Released()

        // Any candidate id may be the pending one; another connector's ids are others.
        #expect(unrecorded.hold(connector: "main", candidates: ["A2", "a2"]) { released($0) })
        #expect(!unrecorded.hold(connector: "other", candidates: ["a2"]) { released($0) })
        #expect(!unrecorded.hold(connector: "main", candidates: ["zz"]) { released($0) })
        #expect(unrecorded.heldCount == 1)

        unrecorded.recorded([second])
        #expect(released.value == 0, "another report does not release it")
        unrecorded.recorded([first])
        #expect(released.all == [.recorded])
        #expect(unrecorded.heldCount == 0)
        #expect(!unrecorded.hold(connector: "main", candidates: ["a2"]) { released($0) }, "recorded: nothing to wait for")
    }

    @Test func aReceiptIsHeldNoLongerThanTheMaximumWait() {
        let unrecorded = UnrecordedSubmissions(maximumWait: .seconds(2))
        unrecorded.submitted(self.report("main", "a1"))
        let released = Released()
        let start = ContinuousClock.now
        #expect(unrecorded.hold(connector: "main", candidates: ["a1"], now: start) { released($0) })
        unrecorded.releaseOverdue(now: start + .seconds(1))
        #expect(released.value == 0)
        unrecorded.releaseOverdue(now: start + .seconds(2))
        #expect(released.all == [.overdue])
        unrecorded.recorded([self.report("main", "a1")])
        #expect(released.all == [.overdue], "released once")
    }

    @Test func atShutdownEveryHeldReceiptGoesOn() {
        let unrecorded = UnrecordedSubmissions()
        unrecorded.submitted(self.report("main", "a1", "a2"))
        let released = Released()
        #expect(unrecorded.hold(connector: "main", candidates: ["a1"]) { released($0) })
        #expect(unrecorded.hold(connector: "main", candidates: ["a2"]) { released($0) })
        unrecorded.releaseOverdue(now: nil)
        #expect(released.all == [.shutdown, .shutdown])
        #expect(unrecorded.heldCount == 0)
    }
}
