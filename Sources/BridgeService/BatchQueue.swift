import Synchronization

/// Items appended from anywhere, taken in batches by one or more consumers: under load, whatever
/// piled up while a consumer worked goes into its next batch.
final class BatchQueue<Item: Sendable>: Sendable {
    private struct State {
        var items: [Item] = []
        var waiters: [CheckedContinuation<[Item], Never>] = []
        var finished = false
    }

    private let state = Mutex(State())

    func append(_ item: Item) {
        let resume: (CheckedContinuation<[Item], Never>, [Item])? = self.state.withLock { state in
            state.items.append(item)
            guard !state.waiters.isEmpty else { return nil }
            let waiter = state.waiters.removeFirst()
            defer { state.items = [] }
            return (waiter, state.items)
        }
        resume.map { $0.0.resume(returning: $0.1) }
    }

    /// Ends the queue: a waiting or later `next()` returns what is left, then empty batches.
    func finish() {
        let waiters = self.state.withLock { state in
            state.finished = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: []) }
    }

    /// Everything queued (at most `limit`), waiting for at least one item unless finished.
    func next(limit: Int = .max) async -> [Item] {
        await withCheckedContinuation { continuation in
            let ready: [Item]? = self.state.withLock { state in
                if !state.items.isEmpty {
                    let batch = Array(state.items.prefix(limit))
                    state.items.removeFirst(batch.count)
                    return batch
                }
                if state.finished { return [] }
                state.waiters.append(continuation)
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    /// Like ``next(limit:)``, but a batch short of `limit` waits `window` once for more to pile up:
    /// fewer, larger batches when the items come faster than one batch is written but slower than
    /// a full one fills (each batch costs its statements' fixed work, whatever its size).
    func next(limit: Int = .max, gathering window: Duration) async -> [Item] {
        var batch = await self.next(limit: limit)
        guard !batch.isEmpty, batch.count < limit, (window > .zero) else { return batch }
        try? await Task.sleep(for: window)
        batch += self.state.withLock { state in
            let more = Array(state.items.prefix(limit - batch.count))
            state.items.removeFirst(more.count)
            return more
        }
        return batch
    }
}
