import BridgeCore
import BridgeStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

@testable import BridgeHTTP

@Suite(.timeLimit(.minutes(1))) struct BackPressureTests {
    @Test func anAccountOverItsRateGets429WithRetryAfter() async throws {
        // One message per 100 s: the second request in a row is over the rate whatever the machine's speed.
        try await withAPI(accountRateLimit: 0.01) { api in
            #expect(try await api.send(messageJSON()).status == .accepted)
            let response = try await api.send(messageJSON())
            #expect(response.status == .tooManyRequests)
            let retryAfter = try #require(response.headers[.retryAfter].flatMap { Int($0) })
            #expect((90...100).contains(retryAfter), "\(retryAfter)")
            let problem = try response.problem()
            #expect(problem._type == "https://smsbridge.dev/problems/rate-limited")
            #expect(problem.status == 429)
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 1
            )
            // Reading is not limited.
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
        }
    }

    @Test func batchItemsCountAgainstTheRate() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.defaultRateLimit = 0.01
        configuration.rateLimitBurst = 500  // 5 messages saved up
        try await withAPI(configuration: configuration) { api in
            let four = Array(repeating: messageJSON(), count: 4).joined(separator: ",")
            let first = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(four)]}"#)
            #expect(first.status == .multiStatus)
            let two = Array(repeating: messageJSON(), count: 2).joined(separator: ",")
            let second = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(two)]}"#)
            #expect(second.status == .tooManyRequests, "4 + 2 > 5")
            #expect(second.headers[.retryAfter] != nil)
            #expect(try await api.send(messageJSON()).status == .accepted, "4 + 1 = 5")
            #expect(try await api.send(messageJSON()).status == .tooManyRequests)
        }
    }

    /// A refused request spends no tokens: corrected and sent again, it goes through; in a batch
    /// only the items that are stored count.
    @Test func onlyWhatIsStoredCountsAgainstTheRate() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.defaultRateLimit = 0.01
        configuration.rateLimitBurst = 200  // 2 messages saved up
        try await withAPI(configuration: configuration) { api in
            let invalid = #"{"to": "hello", "from": "Shop", "text": "x"}"#
            for _ in 0..<3 { #expect(try await api.send(invalid).status == .badRequest) }
            let mixed = #"{"messages": [\#(messageJSON()), \#(invalid), \#(invalid), \#(invalid)]}"#
            let batch = try await api.request(.post, "/v1/messages/batch", json: mixed)
            #expect(batch.status == .multiStatus, "1 stored of 4: within 2")
            #expect(try await api.send(messageJSON()).status == .accepted, "1 + 1 = 2")
            #expect(try await api.send(messageJSON()).status == .tooManyRequests)
        }
    }

    @Test func aBatchLargerThanTheBucketPassesWhenItIsFull() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.defaultRateLimit = 0.01
        try await withAPI(configuration: configuration) { api in
            let three = Array(repeating: messageJSON(), count: 3).joined(separator: ",")
            let response = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(three)]}"#)
            #expect(response.status == .multiStatus, "a full bucket lets any batch through")
            let next = try await api.send(messageJSON())
            #expect(next.status == .tooManyRequests)
            #expect(
                (next.headers[.retryAfter].flatMap { Int($0) } ?? 0) > 200,
                "the debt of 2 more messages is waited out"
            )
        }
    }

    @Test func aDeepQueueRefusesNewMessagesWith503() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumQueueDepth = 2
        configuration.queueRetryAfter = 7
        try await withAPI(configuration: configuration) { api in
            for _ in 0..<3 { #expect(try await api.send(messageJSON()).status == .accepted) }
            let response = try await api.send(messageJSON())
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "7")
            #expect(try response.problem()._type == "https://smsbridge.dev/problems/queue-full")
            let batch = try await api.request(.post, "/v1/messages/batch", json: #"{"messages": [\#(messageJSON())]}"#)
            #expect(batch.status == .serviceUnavailable)
            #expect(
                try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil).count
                    == 3
            )
            // Reads go on.
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
        }
    }

    @Test func anOldQueueRefusesNewMessagesWith503() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumQueueAge = .seconds(30)
        try await withAPI(configuration: configuration) { api in
            #expect(try await api.send(messageJSON()).status == .accepted)
            // A message waiting for a minute (no dispatcher runs in these tests).
            let old = try APIHarness.validator.validate(
                SendRequest(to: "447700900123", from: "Shop", text: "old"),
                accountID: api.account.id,
                now: Date().addingTimeInterval(-60)
            ).get()
            try await api.store.insert([old])
            let response = try await api.send(messageJSON())
            #expect(response.status == .serviceUnavailable)
            #expect(response.headers[.retryAfter] == "5")
            #expect(try response.problem().detail?.contains("waited") == true)
        }
    }

    @Test func aConnectorsOldQueueRefusesOnlyItsOwnMessages() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumQueueAge = .seconds(30)
        try await withAPI(configuration: configuration) { api in
            // A message for `backup` waiting for a minute: its SMSC is away.
            let old = try APIHarness.validator.validate(
                SendRequest(to: "15550100", from: "Shop", text: "old"),
                accountID: api.account.id,
                now: Date().addingTimeInterval(-60)
            ).get()
            #expect(old.connector == "backup")
            try await api.store.insert([old])
            let refused = try await api.send(messageJSON(to: "+15550101"))
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.headers[.retryAfter] == "5")
            #expect(try refused.problem().detail?.contains("connector backup") == true)
            #expect(try await api.send(messageJSON()).status == .accepted, "main's queue is young")
            // A batch stores the items for `main` and refuses those for `backup`.
            let mixed = #"{"messages": [\#(messageJSON(to: "+15550102")), \#(messageJSON()), {"to": "x"}]}"#
            let batch = try await api.request(.post, "/v1/messages/batch", json: mixed)
            #expect(batch.status == .multiStatus)
            let body = try JSONSerialization.jsonObject(with: Data(batch.body.readableBytesView)) as? [String: Any]
            let statuses = (body?["results"] as? [[String: Any]])?.compactMap { $0["status"] as? Int }
            #expect(statuses == [503, 202, 400])
            #expect(body?["accepted"] as? Int == 1)
            // Nothing left to store: the whole batch is the 503.
            let onlyBackup = #"{"messages": [\#(messageJSON(to: "+15550103"))]}"#
            let whole = try await api.request(.post, "/v1/messages/batch", json: onlyBackup)
            #expect(whole.status == .serviceUnavailable)
            #expect(whole.headers[.retryAfter] == "5")
            let stored = try await api.store.messages(accountID: api.account.id, filter: .init(), limit: 10, after: nil)
            #expect(stored.map(\.connector).sorted() == ["backup", "main", "main"])
        }
    }

    @Test func queueStatisticsAreCachedForTheInterval() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumQueueDepth = 0
        configuration.queueStatisticsInterval = .seconds(3600)
        try await withAPI(configuration: configuration) { api in
            // The first request reads an empty queue; later ones use that reading although the queue grew.
            for _ in 0..<3 {
                let response = try await api.send(messageJSON())
                #expect(response.status == .accepted)
            }
            #expect(try await api.store.queueStatistics().depth == 3)
        }
    }
}
