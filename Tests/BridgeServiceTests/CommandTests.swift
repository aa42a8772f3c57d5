import BridgeTestSupport
import Foundation
import Testing

/// The `smsbridge` commands an operator runs by hand or from cron.
@Suite(.timeLimit(.minutes(3))) struct CommandTests {
    /// Runs `smsbridge arguments…` to the end: exit status, standard output and error.
    static func run(_ arguments: [String]) async throws -> (status: Int32, stdout: String, stderr: String) {
        let process = try ChildProcess(try smsbridgeExecutable(), arguments)
        let status = try await process.wait(timeout: .seconds(30))
        return (status, process.stdout, process.stderr)
    }

    @Test func accountsAndPurgeFromTheCommandLine() async throws {
        let (url, _) = try await prepareDatabase(accounts: [])
        let created = try await Self.run(["accounts", "create", "shop", "--database-url", url])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("api key sbk_"))
        let listed = try await Self.run(["accounts", "list", "--database-url", url])
        #expect(listed.stdout.contains("shop"))

        let dryRun = try await Self.run(["purge", "--older-than", "90d", "--dry-run", "--database-url", url])
        #expect(dryRun.status == 0, "\(dryRun.stderr)")
        #expect(
            dryRun.stdout.hasPrefix(
                "would delete 0 messages, 0 inbound messages and 0 webhook deliveries older than 90d"
            )
        )
        let purged = try await Self.run(["purge", "--older-than", "90d", "--database-url", url])
        #expect(purged.stdout.hasPrefix("deleted 0 messages"))
    }

    @Test func purgeRefusesAgesThatWouldEmptyTheTables() async throws {
        for age in ["5m", "soon"] {
            let refused = try await Self.run([
                "purge", "--older-than", age, "--database-url", "postgres://x@127.0.0.1:1/x",
            ])
            #expect(refused.status != 0)
            #expect(refused.stderr.contains("--older-than"), "\(refused.stderr)")
        }
    }
}
