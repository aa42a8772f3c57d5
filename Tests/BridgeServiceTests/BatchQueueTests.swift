import Testing

@testable import BridgeService

@Suite(.timeLimit(.minutes(1))) struct BatchQueueTests {
    /// What comes while a batch short of its limit gathers joins it; what is left waits for the next.
    @Test func aShortBatchTakesWhatComesWithinTheWindow() async throws {
        let queue = BatchQueue<Int>()
        queue.append(1)
        async let batch = queue.next(limit: 4, gathering: .milliseconds(300))
        try await Task.sleep(for: .milliseconds(50))
        for item in 2...6 { queue.append(item) }
        #expect(await batch == [1, 2, 3, 4])
        #expect(await queue.next(limit: 4) == [5, 6])
    }

    /// A full batch does not wait: with a window of a minute, the suite's limit would stop it.
    @Test func aFullBatchGoesAtOnce() async {
        let queue = BatchQueue<Int>()
        for item in 1...5 { queue.append(item) }
        #expect(await queue.next(limit: 3, gathering: .seconds(120)) == [1, 2, 3])
    }

    /// Without a window a batch is what already waits.
    @Test func noWindowTakesOnlyWhatWaits() async throws {
        let queue = BatchQueue<Int>()
        queue.append(1)
        #expect(await queue.next(limit: 10, gathering: .zero) == [1])
    }

    /// The first item is still awaited; the window starts with it.
    @Test func anEmptyQueueWaitsForTheFirstItem() async throws {
        let queue = BatchQueue<Int>()
        async let batch = queue.next(limit: 10, gathering: .milliseconds(200))
        try await Task.sleep(for: .milliseconds(100))
        queue.append(1)
        try await Task.sleep(for: .milliseconds(50))
        queue.append(2)
        #expect(await batch == [1, 2])
    }

    /// A finished queue answers at once with what is left, then with empty batches.
    @Test func aFinishedQueueReturnsWhatIsLeft() async {
        let queue = BatchQueue<Int>()
        queue.append(1)
        queue.finish()
        #expect(await queue.next(limit: 10, gathering: .zero) == [1])
        #expect(await queue.next(limit: 10, gathering: .seconds(120)) == [])
    }
}
