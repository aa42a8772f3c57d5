import ArgumentParser
import BridgeCore
import BridgeStore
import Foundation

struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage accounts and their API keys.",
        subcommands: [Create.self, List.self, Keys.self, AddKey.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account and print its first API key (shown once) and its webhook secret."
        )

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Account name (unique).") var name: String
        @Option(help: "Messages per second it may submit (default: the service's http.default_rate_limit).")
        var rateLimit: Double?

        /// A name to type on a command line and find in logs; a rate that can be met.
        func validate() throws {
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
            guard !self.name.isEmpty, self.name.count <= 64, self.name.unicodeScalars.allSatisfy(allowed.contains)
            else {
                throw ValidationError("the name must be 1–64 letters, digits, '-', '_' or '.'")
            }
            if let rate = self.rateLimit, !(rate.isFinite && rate > 0) {
                throw ValidationError("--rate-limit must be a number of messages per second above 0")
            }
        }

        func run() async throws {
            try await self.database.withStore { store in
                if try await store.account(named: self.name) != nil {
                    throw CommandFailure("an account named \(self.name) exists already")
                }
                let (account, key) = try await store.createAccount(name: self.name, rateLimit: self.rateLimit)
                print("account \(account.name) \(account.id.lowercased)")
                print("api key \(key)")
                print("webhook secret \(try await store.webhookSettings(accountID: account.id).secret)")
                print("(the key is shown only now; only its hash is stored. The webhook secret signs callbacks:")
                print(" keep it with your endpoint; rotate it with POST /v1/account/webhooks/secret/rotate)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List accounts: a table, or a JSON array with --json."
        )

        @OptionGroup var database: DatabaseOption
        @Flag(help: "A JSON array of {id, name, rate_limit, created_at}; rate_limit null: the service's default.")
        var json = false

        func run() async throws {
            let accounts = try await self.database.withStore { store in try await store.accounts() }
            if self.json {
                try printJSON(
                    accounts.map { account in
                        [
                            "id": account.id.lowercased, "name": account.name,
                            "rate_limit": account.rateLimit ?? NSNull(), "created_at": timestamp(account.createdAt),
                        ]
                    }
                )
            } else {
                printTable(
                    ["NAME", "ID", "RATE", "CREATED"],
                    accounts.map { account in
                        [
                            account.name, account.id.lowercased, account.rateLimit.map { "\($0)/s" } ?? "default",
                            timestamp(account.createdAt),
                        ]
                    }
                )
            }
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List an account's API keys by prefix: a table, or a JSON array with --json."
        )

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Account name.") var name: String
        @Flag(help: "A JSON array of {prefix, created_at, revoked_at}; revoked_at null: active.") var json = false

        func run() async throws {
            let keys = try await self.database.withStore { store in
                try await store.apiKeys(accountID: try await store.existingAccount(named: self.name).id)
            }
            if self.json {
                try printJSON(
                    keys.map { key in
                        [
                            "prefix": key.prefix, "created_at": timestamp(key.createdAt),
                            "revoked_at": key.revokedAt.map(timestamp) ?? NSNull(),
                        ]
                    }
                )
            } else {
                printTable(
                    ["PREFIX", "STATE", "CREATED", "REVOKED"],
                    keys.map { key in
                        [
                            "\(key.prefix)…", key.revokedAt == nil ? "active" : "revoked", timestamp(key.createdAt),
                            key.revokedAt.map(timestamp) ?? "-",
                        ]
                    }
                )
            }
        }
    }

    struct AddKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add-key",
            abstract: "Give an account another API key (for rotation); printed once."
        )

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Account name.") var name: String

        func run() async throws {
            try await self.database.withStore { store in
                let account = try await store.existingAccount(named: self.name)
                let (_, key) = try await store.createAPIKey(accountID: account.id)
                print("api key \(key)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key by its prefix (as `keys` lists it)."
        )

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Key prefix, e.g. sbk_3f9a1c2b.") var prefix: String

        func run() async throws {
            let prefix = self.prefix.hasSuffix("…") ? String(self.prefix.dropLast()) : self.prefix
            // Revoking twice leaves the key as asked: not a failure.
            switch try await self.database.withStore({ store in try await store.revokeAPIKey(prefix: prefix) }) {
            case .revoked:
                print("revoked \(prefix)")
            case .alreadyRevoked(let date):
                print("\(prefix) was already revoked (\(timestamp(date)))")
            case .unknown:
                throw CommandFailure("no key with prefix \(prefix)")
            }
        }
    }
}

extension PostgresStore {
    /// The account with this name, or a failure naming it.
    func existingAccount(named name: String) async throws -> Account {
        guard let account = try await self.account(named: name) else {
            throw CommandFailure("no account named \(name)")
        }
        return account
    }
}

/// RFC 3339 in UTC, to the second: `2026-12-04T04:19:03Z`.
func timestamp(_ date: Date) -> String {
    date.formatted(.iso8601)
}

/// Rows under a header, each column as wide as its widest cell, two spaces apart.
func printTable(_ header: [String], _ rows: [[String]]) {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { column, cell in
            column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}

/// A JSON array of objects, keys sorted, for scripts (`jq`).
func printJSON(_ objects: [[String: Any]]) throws {
    let data = try JSONSerialization.data(
        withJSONObject: objects,
        options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    )
    print(String(decoding: data, as: UTF8.self))
}
