public import Foundation
import PostgresNIO

extension PostgresStore {
    /// Forgets idempotency records older than `age` seconds (they answer repeats for 24 hours).
    public func purgeIdempotencyKeys(olderThan age: TimeInterval) async throws {
        try await self.client.query(
            "DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => \(age))",
            logger: self.logger
        )
    }
}
