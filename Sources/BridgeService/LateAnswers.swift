import BridgeStore
import Synchronization

/// The inbound PDUs this instance answered late (after the connector had answered for it) or with
/// an error.
///
/// The same PDU again while the connection of its first copy is open is normally a new message
/// from the phone — an answer sent in time on a connection that stays up always arrives — but
/// after a late or failed answer it is the SMSC delivering again (on that connection or another),
/// and must count as a redelivery: the first copy may have been stored after all.
final class LateAnswers: Sendable {
    private let entries = Mutex<[IncomingPart: ContinuousClock.Instant]>([:])
    /// How long an entry counts: the de-duplication window.
    private let keep: Duration
    /// Entries kept at most; beyond it, older ones go first.
    private let capacity: Int

    init(keep: Duration, capacity: Int = 10_000) {
        self.keep = keep
        self.capacity = capacity
    }

    /// Notes that `part` was answered late or with an error (on whatever connection).
    func note(_ part: IncomingPart) {
        let now = ContinuousClock.now
        self.entries.withLock { entries in
            entries[Self.key(part)] = now
            guard entries.count > self.capacity else { return }
            entries = entries.filter { now - $0.value < self.keep }
            if entries.count > self.capacity {
                let newest = entries.sorted { $0.value > $1.value }.prefix(self.capacity / 2)
                entries = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
            }
        }
    }

    /// Whether `part` was answered late or with an error within the window.
    func contains(_ part: IncomingPart) -> Bool {
        let now = ContinuousClock.now
        return self.entries.withLock { entries in
            guard let noted = entries[Self.key(part)] else { return false }
            return now - noted < self.keep
        }
    }

    /// The entry of a PDU: the part without its connection, which a redelivery may not share.
    private static func key(_ part: IncomingPart) -> IncomingPart {
        var key = part
        key.connection = nil
        return key
    }
}
