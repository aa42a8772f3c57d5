import ArgumentParser
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
            guard !self.name.isEmpty, self.name.count <= 64, self.name.unicodeScalars.allSatisfy(allowed.contains) else {
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
                print("account \(account.name) \(account.id)")
                print("api key \(key)")
                print("webhook secret \(try await store.webhookSettings(accountID: account.id).secret)")
                print("(the key is shown only now; only its hash is stored. The webhook secret signs callbacks:")
                print(" keep it with your endpoint; rotate it with POST /v1/account/webhooks/secret/rotate)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")

        @OptionGroup var database: DatabaseOption

        func run() async throws {
            try await self.database.withStore { store in
                for account in try await store.accounts() {
                    let rate = account.rateLimit.map { "\($0)/s" } ?? "default rate"
                    print("\(account.name)\t\(account.id)\t\(rate)")
                }
            }
        }
    }

    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's API keys by prefix.")

        @OptionGroup var database: DatabaseOption
        @Argument(help: "Account name.") var name: String

        func run() async throws {
            try await self.database.withStore { store in
                let account = try await store.existingAccount(named: self.name)
                let formatter = ISO8601DateFormatter()
                for key in try await store.apiKeys(accountID: account.id) {
                    let state = key.revokedAt.map { "revoked \(formatter.string(from: $0))" } ?? "active"
                    print("\(key.prefix)…\tcreated \(formatter.string(from: key.createdAt))\t\(state)")
                }
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
            try await self.database.withStore { store in
                let prefix = self.prefix.hasSuffix("…") ? String(self.prefix.dropLast()) : self.prefix
                guard try await store.revokeAPIKey(prefix: prefix) else {
                    throw CommandFailure("no active key with prefix \(prefix)")
                }
                print("revoked \(prefix)")
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
