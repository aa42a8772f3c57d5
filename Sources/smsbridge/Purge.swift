import ArgumentParser
import BridgeService
import BridgeStore
import Foundation

/// `smsbridge purge --older-than 90d`: the retention job (cron or a systemd timer).
struct Purge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Delete finished messages (with parts and receipts), inbound messages and ended webhook deliveries older than an age.",
        discussion: """
            Messages still scheduled, queued or being sent are never deleted, whatever their age. Runs in
            small batches, so the service keeps running meanwhile. Run it daily, e.g. from cron:
              0 3 * * *  smsbridge purge --older-than 90d --config /etc/smsbridge/smsbridge.yaml
            """
    )

    @OptionGroup var database: DatabaseOption
    @Option(help: "Age: 90d, 12h, 30m … (at least 1h, so that a slip of the finger cannot empty the tables).")
    var olderThan: String
    @Option(help: "Rows per delete statement.") var batchSize = 5_000
    @Flag(help: "Only count what would be deleted.") var dryRun = false

    var age: ConfigDuration { ConfigDuration(parsing: self.olderThan) ?? .seconds(0) }

    func validate() throws {
        guard ConfigDuration(parsing: self.olderThan) != nil else {
            throw ValidationError("--older-than: \"\(self.olderThan)\" is not an age (e.g. 90d, 12h)")
        }
        guard self.age.seconds >= 3_600 else { throw ValidationError("--older-than must be at least 1h") }
        guard (1...100_000).contains(self.batchSize) else { throw ValidationError("--batch-size must be 1…100000") }
    }

    func run() async throws {
        let cutoff = Date().addingTimeInterval(-self.age.seconds)
        let result = try await self.database.withStore { store in
            try await store.purge(before: cutoff, batchSize: self.batchSize, dryRun: self.dryRun)
        }
        let verb = self.dryRun ? "would delete" : "deleted"
        print(
            "\(verb) \(result.messages) messages, \(result.inboundMessages) inbound messages and \(result.webhookDeliveries) webhook deliveries older than \(self.age) (before \(timestamp(cutoff)))"
        )
    }
}
