import BridgeStore
import Crypto
import Foundation
import Synchronization

/// Accounts of API keys that were found recently, for a time to live: most requests then need no
/// database round trip to authenticate. Only successful lookups are kept, so a new key works at
/// once and a revoked one stops working within the time to live. Keys are kept as SHA-256 hashes.
final class APIKeyCache: Sendable {
    private struct Entry {
        var account: Account
        var expires: ContinuousClock.Instant
    }

    let timeToLive: Duration
    let capacity: Int
    private let entries = Mutex<[[UInt8]: Entry]>([:])

    init(timeToLive: Duration, capacity: Int) {
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    func account(forKey key: String, now: ContinuousClock.Instant) -> Account? {
        guard self.timeToLive > .zero else { return nil }
        let hash = Self.hash(key)
        return self.entries.withLock { entries in
            guard let entry = entries[hash] else { return nil }
            guard entry.expires > now else {
                entries[hash] = nil
                return nil
            }
            return entry.account
        }
    }

    func insert(_ account: Account, forKey key: String, now: ContinuousClock.Instant) {
        guard self.timeToLive > .zero else { return }
        let hash = Self.hash(key)
        self.entries.withLock { entries in
            if entries.count >= self.capacity {
                entries = entries.filter { $0.value.expires > now }
                if entries.count >= self.capacity { entries.removeAll(keepingCapacity: true) }
            }
            entries[hash] = Entry(account: account, expires: now + self.timeToLive)
        }
    }

    private static func hash(_ key: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(key.utf8)))
    }
}
