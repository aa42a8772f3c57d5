public import PostgresNIO
public import ServiceLifecycle

/// A `PostgresClient` run as a service that tells when its `run()` has begun.
///
/// PostgresNIO warns ("`PostgresClient.run()` hasn't been called yet") at every call made before
/// the client's `run()` started, and a task that starts it with `addTask { await client.run() }`
/// and queries at once usually gets there first: the child task has not been scheduled yet. Wait
/// for ``waitUntilRunning()`` (or use ``whileRunning(_:)``) before the first call.
public struct PostgresPool: Service {
    public let client: PostgresClient
    private let started: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    public init(_ client: PostgresClient) {
        self.client = client
        (self.started, self.signal) = AsyncStream.makeStream(of: Void.self)
    }

    /// Runs the client until cancelled or, in a service group, until graceful shutdown.
    public func run() async {
        // The waiter this resumes is scheduled as a new job, while this task goes straight on into
        // the client's run(), whose first step (no suspension before it) marks the client running.
        self.signal.finish()
        await self.client.run()
    }

    /// Returns once ``run()`` has begun, or when the task is cancelled. One waiting task at a time.
    public func waitUntilRunning() async {
        for await _ in self.started {}
    }

    /// Runs `body` while the client runs: `run()` has begun before `body` starts, and is cancelled
    /// (its connections closed) and waited for after `body` returns or throws. For the commands
    /// that use the database once and exit; a service runs the pool in its service group.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            await self.waitUntilRunning()
            return try await body()
        }
    }
}
