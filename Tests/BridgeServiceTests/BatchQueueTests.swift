import Testing

@testable import BridgeService

@Suite(.timeLimit(.minutes(1))) struct BatchQueueTests {
    /// A batch short of its limit goes when its oldest item has waited the window, not before.
    /// (Timed from before the append, so a test run that stalls after it cannot shorten the wait
    /// measured: no tolerance is needed.)
    @Test func aBatchWaitsOutItsWindow() async {
        let queue = BatchQueue<Int>(limit: 10, gathering: .milliseconds(300))
        let start = ContinuousClock.now
        queue.append(1)
        #expect(await queue.next() == [1])
        #expect(ContinuousClock.now - start >= .milliseconds(300))
    }

    /// What comes while a batch gathers joins it (the window here outlasts the test: the end of
    /// the queue lets the batch go).
    @Test func aBatchGathersWhatComesMeanwhile() async throws {
        let queue = BatchQueue<Int>(limit: 100, gathering: .seconds(120))
        queue.append(1)
        async let batch = queue.next()
        try await Task.sleep(for: .milliseconds(100))
        queue.append(2)
        try await Task.sleep(for: .milliseconds(100))
        queue.finish()
        #expect(await batch == [1, 2])
    }

    /// A full batch goes at once, and a consumer waiting meanwhile takes it: with a window of two
    /// minutes, the suite's limit would stop a wait.
    @Test func aFullBatchGoesAtOnce() async throws {
        let queue = BatchQueue<Int>(limit: 3, gathering: .seconds(120))
        for item in 1...5 { queue.append(item) }
        #expect(await queue.next() == [1, 2, 3])

        queue.append(6)  // [4, 5, 6]: full again
        #expect(await queue.next() == [4, 5, 6])

        async let waiting = queue.next()
        try await Task.sleep(for: .milliseconds(100))
        for item in 7...9 { queue.append(item) }
        #expect(await waiting == [7, 8, 9])
    }

    /// A batch that fills while its consumer gathers goes then, not when the window ends.
    @Test func aBatchThatFillsWhileGatheringGoesAtOnce() async throws {
        let queue = BatchQueue<Int>(limit: 3, gathering: .seconds(120))
        async let batch = queue.next()
        try await Task.sleep(for: .milliseconds(100))
        queue.append(1)
        try await Task.sleep(for: .milliseconds(100))  // the consumer gathers now
        queue.append(2)
        queue.append(3)
        #expect(await batch == [1, 2, 3])
    }

    /// Without a window a batch is what already waits.
    @Test func noWindowTakesOnlyWhatWaits() async {
        let queue = BatchQueue<Int>(limit: 10)
        queue.append(1)
        #expect(await queue.next() == [1])
    }

    /// The window starts with the oldest item, not with the consumer's call: an item that waited
    /// longer than the window goes at once.
    @Test func theWindowCountsFromTheOldestItem() async throws {
        let queue = BatchQueue<Int>(limit: 10, gathering: .seconds(1))
        queue.append(1)
        try await Task.sleep(for: .milliseconds(1_100))
        let start = ContinuousClock.now
        #expect(await queue.next() == [1])
        #expect(ContinuousClock.now - start < .seconds(1))
    }

    /// Several consumers: one gathers, the others wait for another batch, so the items of one
    /// window make one batch instead of one batch per consumer (the end of the queue ends the
    /// window here).
    @Test func consumersShareOneWindow() async throws {
        let queue = BatchQueue<Int>(limit: 100, gathering: .seconds(120))
        let batches = try await withThrowingTaskGroup(of: [[Int]].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var taken: [[Int]] = []
                    while true {
                        let batch = await queue.next()
                        if batch.isEmpty { return taken }
                        taken.append(batch)
                    }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            for item in 1...5 { queue.append(item) }
            try await Task.sleep(for: .milliseconds(200))
            queue.finish()
            return try await group.reduce(into: []) { $0 += $1 }
        }
        #expect(batches == [[1, 2, 3, 4, 5]])
    }

    /// With a quiet gap, a short batch goes once nothing is in flight and nothing came for the gap
    /// (the window here outlasts the test); while another batch is being written it gathers, and
    /// it goes when that one is done.
    @Test func aQuietIdleQueueLetsAShortBatchGo() async throws {
        let queue = BatchQueue<Int>(limit: 100, gathering: .seconds(120), quietGap: .milliseconds(50))
        let start = ContinuousClock.now
        queue.append(1)
        #expect(await queue.next() == [1])  // nothing in flight: after the gap
        #expect(ContinuousClock.now - start >= .milliseconds(50))

        async let second = queue.next()
        try await Task.sleep(for: .milliseconds(100))
        queue.append(2)
        queue.append(3)
        try await Task.sleep(for: .milliseconds(200))  // quiet, but the first batch is in flight
        queue.append(4)
        queue.done()  // the first batch is written
        #expect(await second == [2, 3, 4])
        queue.done()

        queue.append(5)
        #expect(await queue.next() == [5])
    }

    /// Items that keep coming within the quiet gap keep the batch gathering: it goes once they
    /// stop — the gap after the last, where the timer armed for the gap after the first finds
    /// that more came and moves on — with all of them.
    ///
    /// The trickle lasts longer than the gap, in steps of a fortieth of it, so a batch that went a
    /// gap after the first item misses the last ones. A starved test run can stretch a step to the
    /// gap itself (seen on two busy cores): then the batch may rightly go there, so it is checked
    /// against the pauses the trickle really made, not against the steps it meant to make.
    @Test func aTrickleWithinTheQuietGapKeepsGathering() async throws {
        let gap = Duration.seconds(2)
        let queue = BatchQueue<Int>(limit: 1_000, gathering: .seconds(120), quietGap: gap)
        async let batch = queue.next()
        // When each append began and ended.
        var appends: [(began: ContinuousClock.Instant, ended: ContinuousClock.Instant)] = []
        func append() {
            let began = ContinuousClock.now
            queue.append(appends.count + 1)
            appends.append((began, ContinuousClock.now))
        }
        append()
        while ContinuousClock.now - appends[0].began < gap * 1.5 {
            try await Task.sleep(for: gap / 40)
            append()
        }
        let taken = await batch
        // The first item after which the queue may have heard nothing for the gap.
        let pause = appends.indices.dropLast().first { appends[$0 + 1].ended - appends[$0].began >= gap }
        #expect(!taken.isEmpty && taken == Array(1...taken.count), "in order, none lost")
        #expect(taken.count >= (pause ?? appends.count - 1) + 1, "gone before the trickle paused: \(taken.count)")
        if pause == nil {
            #expect(ContinuousClock.now - appends[appends.count - 1].began >= gap)
        }
    }

    /// A finished queue answers at once with what is left, then with empty batches.
    @Test func aFinishedQueueReturnsWhatIsLeft() async {
        let queue = BatchQueue<Int>(limit: 10, gathering: .seconds(120))
        queue.append(1)
        queue.finish()
        #expect(await queue.next() == [1])
        #expect(await queue.next() == [])
    }
}
