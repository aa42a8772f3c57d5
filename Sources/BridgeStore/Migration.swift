public import Foundation

/// One numbered SQL file of `migrations/`: `NNNN_name.sql`.
public struct Migration: Sendable, Hashable {
    public let version: Int
    public let name: String
    public let sql: String

    /// A checksum of the SQL (FNV-1a, 64 bits, hex) so that an applied migration whose file changed
    /// is noticed rather than silently skipped.
    public var checksum: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in self.sql.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The migration changes tables that instances of the previous version use (it does not only
    /// add): it is applied only while no instance is running. Marked by a line
    /// `-- smsbridge: stop all instances` in the file.
    public var needsStoppedInstances: Bool {
        self.hasMarker("-- smsbridge: stop all instances")
    }

    /// The migration's statements run one by one, each its own transaction, instead of all in one:
    /// for `CREATE INDEX CONCURRENTLY` (and `DROP INDEX CONCURRENTLY`), which builds an index on a
    /// table that is being written without holding those writes back, and cannot run inside a
    /// transaction block. Marked by a line `-- smsbridge: no transaction` in the file. A failure
    /// part-way leaves the statements before it applied (and a concurrent build an invalid index),
    /// and the next attempt runs every statement again: each must be safe to repeat —
    /// `DROP INDEX CONCURRENTLY IF EXISTS name` before `CREATE INDEX CONCURRENTLY name`.
    public var runsOutsideTransaction: Bool {
        self.hasMarker("-- smsbridge: no transaction")
    }

    private func hasMarker(_ marker: String) -> Bool {
        self.sql.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces) == marker }
    }

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// The migrations shipped with this build (the `migrations/` folder, a resource of this module), in order.
    public static func bundled() throws -> [Migration] {
        guard let url = Bundle.module.url(forResource: "Migrations", withExtension: nil) else {
            throw MigrationError.missingFiles("the Migrations resource is not in the bundle")
        }
        return try self.load(from: url)
    }

    /// The `NNNN_name.sql` files of a folder, in order of their number.
    public static func load(from directory: URL) throws -> [Migration] {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }
        var migrations: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let separator = stem.firstIndex(of: "_"), let version = Int(stem[..<separator]) else {
                throw MigrationError.missingFiles("\(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            migrations.append(
                Migration(version: version, name: String(stem[stem.index(after: separator)...]), sql: sql)
            )
        }
        migrations.sort { $0.version < $1.version }
        for (index, migration) in migrations.enumerated()
        where index > 0 && migrations[index - 1].version == migration.version {
            throw MigrationError.missingFiles("two migrations numbered \(migration.version)")
        }
        return migrations
    }
}

/// Why migrations could not be applied.
public enum MigrationError: Error, Hashable, Sendable, CustomStringConvertible {
    case missingFiles(String)
    /// An applied migration's file has changed since.
    case modified(version: Int, name: String)
    /// The database has a migration this build does not know (a newer build migrated it).
    case unknownApplied(version: Int)
    /// A migration that needs every instance stopped, while some still heart-beat.
    case instancesRunning(version: Int, name: String, count: Int)
    /// After a migration run outside a transaction, indexes of the schema are invalid (a concurrent
    /// build that failed, and was not dropped and built again): the migration is not recorded.
    case invalidIndexes(version: Int, name: String, indexes: [String])

    public var description: String {
        switch self {
        case .missingFiles(let reason): "migrations: \(reason)"
        case .modified(let version, let name):
            "migration \(version) (\(name)) was changed after it was applied: the checksum the database "
                + "recorded differs from this build's file"
        case .unknownApplied(let version):
            "the database has migration \(version), which this build does not know: it is newer"
        case .instancesRunning(let version, let name, let count):
            "migration \(version) (\(name)) changes tables that running instances use, and \(count) "
                + "instance(s) heart-beat within the last minute: stop every instance of the previous "
                + "version, then start this one (docs/OPERATIONS.md, \"Upgrading\")"
        case .invalidIndexes(let version, let name, let indexes):
            "migration \(version) (\(name)) left invalid indexes (\(indexes.joined(separator: ", "))), "
                + "the remains of a concurrent build that failed: drop them (DROP INDEX CONCURRENTLY …) "
                + "and migrate again"
        }
    }
}
