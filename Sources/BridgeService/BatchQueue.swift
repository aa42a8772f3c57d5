import NIOCore
import NIOPosix
import Synchronization

/// Items appended from anywhere, taken in batches by one or more consumers.
///
/// A batch goes when it is full (`limit` items) or when its oldest item has waited `gathering`,
/// whichever comes first: under load batches fill at once, and below it they still gather what
/// comes within the window — each batch costs its database statements' fixed work whatever its
/// size, so fewer, larger batches cost less. One consumer at a time waits out the window of the
/// batch being formed; the others wait until there is another batch. With a `quietGap`, a batch
/// also goes once no other batch is in flight and nothing came for that long.
final class BatchQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [(item: Item, at: ContinuousClock.Instant)] = []
        /// Consumers with nothing to take yet; resumed to look again.
        var waiters: [CheckedContinuation<Void, Never>] = []
        /// The consumer waiting out the window of the oldest item, with the number its timer knows
        /// it by; resumed to look again when the window ends or the batch fills.
        var gatherer: (number: Int, continuation: CheckedContinuation<Void, Never>)?
        var gatherers = 0
        var finished = false
        /// Batches taken and not ``BatchQueue/done()`` yet (counted with `quietGap`).
        var inFlight = 0
        var lastArrival = ContinuousClock.Instant.now

        /// A consumer to resume now: one for a full batch (a waiter, else the gatherer), one for
        /// a batch that nobody gathers yet. Nil when no consumer is needed or none is free.
        mutating func consumerNeeded(limit: Int) -> CheckedContinuation<Void, Never>? {
            if self.items.count >= limit { return self.takeWaiter() ?? self.takeGatherer() }
            if !self.items.isEmpty && self.gatherer == nil { return self.takeWaiter() }
            return nil
        }

        mutating func takeWaiter() -> CheckedContinuation<Void, Never>? {
            self.waiters.isEmpty ? nil : self.waiters.removeFirst()
        }

        mutating func takeGatherer() -> CheckedContinuation<Void, Never>? {
            defer { self.gatherer = nil }
            return self.gatherer?.continuation
        }

        /// Whether the items waiting make a batch now (full, the oldest's window over, quiet, or
        /// the queue finished).
        func batchReady(now: ContinuousClock.Instant, _ queue: BatchQueue) -> Bool {
            guard let oldest = self.items.first?.at else { return false }
            let quiet = queue.quietGap.map { self.inFlight == 0 && self.lastArrival + $0 <= now } ?? false
            return self.items.count >= queue.limit || self.finished || oldest + queue.gathering <= now || quiet
        }

        /// When the items waiting make a batch at the latest, unless more come.
        func gatheringEnds(_ queue: BatchQueue) -> ContinuousClock.Instant? {
            guard let oldest = self.items.first?.at else { return nil }
            var deadline = oldest + queue.gathering
            if let gap = queue.quietGap, self.inFlight == 0 { deadline = min(deadline, self.lastArrival + gap) }
            return deadline
        }
    }

    let limit: Int
    let gathering: Duration
    /// When set, a batch short of `limit` also goes once nothing else is in flight (consumers then
    /// call ``done()`` after each batch) and no item came for this long. For items whose senders
    /// wait for them, such as receipts an SMSC sends within a window of unanswered ones: once it
    /// stopped sending, waiting out the window could only stall it.
    let quietGap: Duration?
    private let state = Mutex(State())
    /// Runs the gathering timer.
    private let timerLoop: any EventLoop

    init(
        limit: Int = .max,
        gathering: Duration = .zero,
        quietGap: Duration? = nil,
        timerLoop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()
    ) {
        precondition(limit > 0)
        self.limit = limit
        self.gathering = gathering
        self.quietGap = quietGap
        self.timerLoop = timerLoop
    }

    func append(_ item: Item) {
        let consumer = self.state.withLock { state in
            let now = ContinuousClock.now
            state.items.append((item, now))
            state.lastArrival = now
            return state.consumerNeeded(limit: self.limit)
        }
        consumer?.resume()
    }

    /// Ends the queue: waiting and later `next()` calls return what is left, then empty batches.
    func finish() {
        let consumers = self.state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters + [state.takeGatherer()].compactMap { $0 }
        }
        for consumer in consumers { consumer.resume() }
    }

    /// The next batch: at most `limit` items, waiting for the first and, unless the batch fills,
    /// until the oldest has waited `gathering`. Empty only once the queue is finished (or the
    /// calling task is cancelled with nothing to take).
    func next() async -> [Item] {
        while true {
            var batch: [Item]?
            var timer: (number: Int, deadline: ContinuousClock.Instant)?
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let ready: Bool = self.state.withLock { state in
                    if let deadline = state.gatheringEnds(self) {
                        // A cancelled consumer takes what there is rather than wait.
                        if state.batchReady(now: .now, self) || Task.isCancelled {
                            batch = state.items.prefix(self.limit).map(\.item)
                            state.items.removeFirst(batch!.count)
                            if self.quietGap != nil { state.inFlight += 1 }
                            return true
                        }
                        if state.gatherer == nil {
                            state.gatherers += 1
                            state.gatherer = (state.gatherers, continuation)
                            timer = (state.gatherers, deadline)
                            return false
                        }
                    } else if state.finished || Task.isCancelled {
                        batch = []
                        return true
                    }
                    state.waiters.append(continuation)
                    return false
                }
                if ready { continuation.resume() }
                if let timer { self.endGathering(timer.number, at: timer.deadline) }
            }
            if let batch {
                // What is left may make another batch that needs a consumer.
                let consumer = self.state.withLock { $0.consumerNeeded(limit: self.limit) }
                consumer?.resume()
                return batch
            }
        }
    }

    /// A batch taken from a queue with a `quietGap` is written: with none left in flight, the
    /// gathering consumer looks again.
    func done() {
        let consumer = self.state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.inFlight -= 1
            guard state.inFlight == 0, !state.items.isEmpty else { return nil }
            return state.takeGatherer() ?? state.takeWaiter()
        }
        consumer?.resume()
    }

    private enum GatheringStep {
        case resume(CheckedContinuation<Void, Never>)
        case wait(until: ContinuousClock.Instant)
    }

    /// Ends the wait of gatherer `number` once its batch is ready — looking at `deadline`, and again
    /// after each item that came meanwhile moved the quiet gap on — unless something ended it before
    /// (a full batch, the end of the queue, a written batch) and it went on.
    ///
    /// An event-loop timer, re-armed on its loop while items keep coming: under a steady trickle
    /// the quiet gap moves on with every item, and a task sleeping each gap and waking the gatherer
    /// to look again cost a task, two thread wake-ups and a dispatch timer every 2 ms.
    private func endGathering(_ number: Int, at deadline: ContinuousClock.Instant) {
        self.timerLoop.scheduleTask(in: TimeAmount(deadline - .now)) {
            let next = self.state.withLock { state -> GatheringStep? in
                guard state.gatherer?.number == number else { return nil }
                if !state.batchReady(now: .now, self), let later = state.gatheringEnds(self) {
                    return .wait(until: later)
                }
                return state.takeGatherer().map(GatheringStep.resume)
            }
            switch next {
            case .resume(let gatherer): gatherer.resume()
            case .wait(let later): self.endGathering(number, at: later)
            case nil: break
            }
        }
    }
}
