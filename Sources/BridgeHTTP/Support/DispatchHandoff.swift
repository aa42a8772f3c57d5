public import BridgeCore
import BridgeStore
import Foundation
import Logging

/// The in-process dispatcher that sends messages this instance accepted, without a trip through
/// the queue (no claim, no notification): the API reserves room before the insert, the insert
/// stores the reserved messages leased to the dispatcher, and the API hands them over once the
/// insert committed.
public protocol DispatchHandoff: Sendable {
    /// Leases those of `messages` the dispatcher will send itself (due at once, room in flight,
    /// connector not paused), reserving their room; returns `messages` with those marked.
    func reserve(_ messages: [AcceptedMessage]) -> [AcceptedMessage]
    /// After the commit: sends the marked messages.
    func send(_ messages: [AcceptedMessage])
    /// When the insert failed: gives back the room of the marked messages.
    func release(_ messages: [AcceptedMessage])
}

extension APIController {
    /// Inserts `messages` (through the database gate); with a handoff, those it takes are sent by
    /// this instance's dispatcher once committed.
    func insert(
        _ messages: [AcceptedMessage],
        idempotency: IdempotencyRecord?,
        accountID: UUID,
        logger: Logger
    ) async throws {
        let timeout = self.database.timeout
        let marked = self.handoff?.reserve(messages) ?? messages
        do {
            try await self.database(logger) {
                try await $0.insert(marked, idempotency: idempotency, accountID: accountID, timeout: timeout)
            }
        } catch {
            // Not stored (or, after a late commit, stored leased: the lease runs out and the
            // message goes back to the queue).
            self.handoff?.release(marked)
            throw error
        }
        self.handoff?.send(marked)
    }
}
