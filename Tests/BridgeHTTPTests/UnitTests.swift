import BridgeCore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import Testing

@testable import BridgeHTTP
@testable import BridgeStore

/// The pieces without I/O, with time as an input.
@Suite struct RateBucketTests {
    let start = ContinuousClock.now

    @Test func aFullBucketGivesItsCapacityThenRefillsAtTheRate() {
        var bucket = RateBucket(capacity: 2, now: self.start)
        #expect(bucket.take(1, rate: 2, capacity: 2, now: self.start) == nil)
        #expect(bucket.take(1, rate: 2, capacity: 2, now: self.start) == nil)
        #expect(bucket.take(1, rate: 2, capacity: 2, now: self.start) == .milliseconds(500))
        #expect(bucket.take(1, rate: 2, capacity: 2, now: self.start + .milliseconds(500)) == nil)
        // Never more than the capacity, however long it waited.
        #expect(bucket.take(2, rate: 2, capacity: 2, now: self.start + .seconds(3600)) == nil)
        #expect(bucket.take(1, rate: 2, capacity: 2, now: self.start + .seconds(3600)) != nil)
    }

    @Test func aRequestLargerThanTheBucketLeavesADebt() {
        var bucket = RateBucket(capacity: 10, now: self.start)
        #expect(bucket.take(1000, rate: 10, capacity: 10, now: self.start) == nil, "a full bucket admits any batch")
        #expect(bucket.tokens == -990)
        let wait = bucket.take(1, rate: 10, capacity: 10, now: self.start)
        #expect(wait == .seconds(99.1))
        #expect(bucket.take(1, rate: 10, capacity: 10, now: self.start + .seconds(100)) == nil)
    }

    @Test func accountsHaveTheirOwnRates() {
        let limiter = RateLimiter(defaultRate: 1, burst: 1)
        let fast = Account(id: UUID(), name: "fast", createdAt: Date(), rateLimit: 100)
        let slow = Account(id: UUID(), name: "slow", createdAt: Date(), rateLimit: nil)
        let stopped = Account(id: UUID(), name: "stopped", createdAt: Date(), rateLimit: 0)
        for _ in 0..<100 { #expect(limiter.admit(1, for: fast, now: self.start) == nil) }
        #expect(limiter.admit(1, for: fast, now: self.start) != nil)
        #expect(limiter.admit(1, for: slow, now: self.start) == nil, "its own bucket, at the default rate")
        #expect(limiter.admit(1, for: slow, now: self.start) == .seconds(1))
        #expect(limiter.admit(1, for: stopped, now: self.start) != nil, "a rate of 0 stops the account")
    }
}

@Suite struct APIKeyCacheTests {
    @Test func entriesExpireAfterTheTimeToLive() {
        let cache = APIKeyCache(timeToLive: .seconds(10), capacity: 10)
        let account = Account(id: UUID(), name: "acme", createdAt: Date(), rateLimit: nil)
        let start = ContinuousClock.now
        #expect(cache.account(forKey: "sbk_1", now: start) == nil)
        cache.insert(account, forKey: "sbk_1", now: start)
        #expect(cache.account(forKey: "sbk_1", now: start + .seconds(9))?.id == account.id)
        #expect(cache.account(forKey: "sbk_2", now: start + .seconds(9)) == nil)
        #expect(cache.account(forKey: "sbk_1", now: start + .seconds(10)) == nil)
    }

    @Test func aZeroTimeToLiveCachesNothingAndTheSizeIsBounded() {
        let account = Account(id: UUID(), name: "acme", createdAt: Date(), rateLimit: nil)
        let start = ContinuousClock.now
        let off = APIKeyCache(timeToLive: .zero, capacity: 10)
        off.insert(account, forKey: "k", now: start)
        #expect(off.account(forKey: "k", now: start) == nil)

        let small = APIKeyCache(timeToLive: .seconds(10), capacity: 2)
        for index in 0..<3 { small.insert(account, forKey: "k\(index)", now: start) }
        #expect(small.account(forKey: "k2", now: start) != nil, "the newest is kept")
        #expect([0, 1].filter { small.account(forKey: "k\($0)", now: start) != nil }.count < 2)
    }
}

@Suite struct ConfigurationTests {
    @Test func theDefaultsAreValid() throws {
        let configuration = BridgeAPI.Configuration()
        try configuration.validate()
        #expect(configuration.maximumBodySize == 1_048_576)
        #expect(configuration.authenticationCacheTTL == .seconds(10))
        #expect(configuration.queueStatisticsInterval == .seconds(1))
    }

    @Test func anInvalidSettingIsNamed() {
        var configuration = BridgeAPI.Configuration()
        configuration.defaultRateLimit = 0
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        do {
            try configuration.validate()
        } catch {
            #expect(error.key == "defaultRateLimit")
            #expect(error.description.contains("defaultRateLimit"))
        }
        var other = BridgeAPI.Configuration()
        other.databaseTimeout = .zero
        #expect(throws: ConfigurationError(key: "databaseTimeout", reason: "must be positive")) {
            try BridgeAPI(
                store: PostgresStore(
                    client: PostgresClient(
                        configuration: .init(
                            host: "127.0.0.1",
                            port: 1,
                            username: "x",
                            password: nil,
                            database: nil,
                            tls: .disable
                        )
                    ),
                    logger: .init(label: "x")
                ),
                validator: APIHarness.validator,
                configuration: other
            )
        }
    }
}

@Suite struct DatabaseGateTests {
    @Test func anOperationThatCannotStartInTimeIsUnavailable() async throws {
        await #expect(throws: DatabaseDeadlineExceeded.self) {
            try await withDatabaseDeadline(.milliseconds(50)) {
                try await Task.sleep(for: .seconds(30))  // like waiting for a connection: cancellable
                return 1
            }
        }
        #expect(DatabaseGate.isUnavailable(DatabaseDeadlineExceeded(timeout: .seconds(1))))
    }

    @Test func anOperationThatFinishesDespiteTheDeadlineCounts() async throws {
        // Like a query already running when the deadline passes: it ignores cancellation. (A long
        // grace: on a machine loaded far beyond its cores the 0.2 s took over the default 2 s.)
        let value = try await withDatabaseDeadline(.milliseconds(10), grace: .seconds(30)) {
            await Task.detached {
                try? await Task.sleep(for: .milliseconds(200))
                return 7
            }.value
        }
        #expect(value == 7)
    }

    @Test func anOperationThatIgnoresItsCancellationIsAbandonedAfterTheGrace() async throws {
        // Like a pool request that missed its cancellation: it would wait as long as the database
        // is away, and the caller with it.
        let never = AsyncStream<Int>.makeStream()
        let started = ContinuousClock.now
        await #expect(throws: DatabaseDeadlineExceeded.self) {
            try await withDatabaseDeadline(.milliseconds(50), grace: .milliseconds(100)) {
                await Task.detached { for await value in never.stream { return value }; return 0 }.value
            }
        }
        #expect(ContinuousClock.now - started < .seconds(60), "not as long as the operation would wait")
        never.continuation.finish()
    }

    @Test func theCallersCancellationEndsTheWaitAfterTheGraceNotTheDeadline() async throws {
        // Graceful shutdown cancels a service waiting for a pool request that missed its
        // cancellation: the service stops after the grace, not after an hour.
        let never = AsyncStream<Int>.makeStream()
        let caller = Task {
            try await withDatabaseDeadline(.seconds(3_600), grace: .milliseconds(100)) {
                await Task.detached { for await value in never.stream { return value }; return 0 }.value
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        caller.cancel()
        let started = ContinuousClock.now
        await #expect(throws: CancellationError.self) { try await caller.value }
        #expect(ContinuousClock.now - started < .seconds(60), "not as long as the deadline")
        never.continuation.finish()
    }

    @Test func errorsAreSortedIntoUnavailableAndNot() {
        #expect(DatabaseGate.isUnavailable(ChannelError.ioOnClosedChannel), "a connection that went away")
        #expect(!DatabaseGate.isUnavailable(StoreError.idempotencyKeyTaken))
        #expect(!DatabaseGate.isUnavailable(APIProblem.notFound("message")))
        #expect(!DatabaseGate.isUnavailable(CancellationError()))
    }
}

@Suite struct RequestProblemsTests {
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(_ string: String) { self.stringValue = string }
        init(_ index: Int) {
            self.stringValue = "Index \(index)"
            self.intValue = index
        }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { self.init(intValue) }
    }

    @Test func codingPathsAreNamedAsFields() {
        #expect(RequestProblems.path([]) == "$")
        #expect(RequestProblems.path([Key("to")]) == "to")
        #expect(RequestProblems.path([Key("messages"), Key(3), Key("to")]) == "messages[3].to")
        #expect(RequestProblems.path([Key("tags"), Key(0)]) == "tags[0]")
    }

    @Test func invalidUTF8IsFound() {
        #expect(RequestProblems.invalidUTF8Offset(Array("héllo".utf8)) == nil)
        #expect(RequestProblems.invalidUTF8Offset([0x61, 0x62, 0xFF]) == 2)
        #expect(RequestProblems.invalidUTF8Offset([0xC3]) == 0)
    }

    @Test func acceptHeaders() {
        #expect(ContentNegotiationMiddleware.acceptsJSON("application/json"))
        #expect(ContentNegotiationMiddleware.acceptsJSON("*/*"))
        #expect(ContentNegotiationMiddleware.acceptsJSON("text/html, application/*;q=0.1"))
        #expect(ContentNegotiationMiddleware.acceptsJSON("application/problem+json, application/json;q=0.2"))
        #expect(ContentNegotiationMiddleware.acceptsJSON(" , "))
        // A successful answer is application/json: problems alone are not enough.
        #expect(!ContentNegotiationMiddleware.acceptsJSON("application/problem+json"))
        #expect(!ContentNegotiationMiddleware.acceptsJSON("text/html"))
        #expect(!ContentNegotiationMiddleware.acceptsJSON("application/xml, text/*"))
        // q=0 means "not acceptable" (RFC 9110 §12.4.2).
        #expect(!ContentNegotiationMiddleware.acceptsJSON("text/html;q=1, application/json;q=0"))
        #expect(!ContentNegotiationMiddleware.acceptsJSON("*/*;q=0"))
    }

    @Test func datesAreRFC3339WithMilliseconds() throws {
        let transcoder = APIDateTranscoder()
        // Read to the microsecond (half of one on, so that storing cuts it to the right one).
        func read(_ text: String, is seconds: TimeInterval) throws -> Bool {
            abs(try transcoder.decode(text).timeIntervalSince1970 - seconds) < 0.000_001
        }
        let date = Date(timeIntervalSince1970: 1_700_000_000.125)
        #expect(try transcoder.encode(date) == "2023-11-14T22:13:20.125Z")
        #expect(try read("2023-11-14T22:13:20.125Z", is: 1_700_000_000.125))
        #expect(try read("2023-11-14T23:13:20+01:00", is: 1_700_000_000))
        #expect(throws: DecodingError.self) { try transcoder.decode("14/11/2023") }
        #expect(try read("2024-02-29T23:59:59Z", is: 1_709_251_199))
        // Cut to the millisecond, not rounded: .1239 is still in .123.
        #expect(try transcoder.encode(Date(timeIntervalSince1970: 1_700_000_000.1239)) == "2023-11-14T22:13:20.123Z")
        // The parser alone rolled these over (2026-02-30 to March 2nd, 25:00 to the next day).
        for bad in [
            "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
            "2026-12-03T25:00:00Z", "2026-12-03T10:60:00Z", "2026-12-03T10:00:61Z", "2026-12-03T10:00:00+24:00",
            "2026-12-03T10:00:00.Z", "2026-12-03T10:00:00", "2026-12-03 10:00:00Z", "2026-12-03T10:00:00+0100",
        ] {
            #expect(throws: DecodingError.self, "\(bad)") { try transcoder.decode(bad) }
        }
    }

    @Test func recipientFiltersAreStoredForm() {
        #expect(APIController<PostgresStore>.recipient("447700900123") == "447700900123")
        #expect(APIController<PostgresStore>.recipient("+44 7700 900123") == "+447700900123")
        #expect(APIController<PostgresStore>.recipient(" 447700900123") == "+447700900123")
    }
}

@Suite struct DuplicateKeysTests {
    private func first(_ json: String) -> String? {
        Array(json.utf8).withUnsafeBytes { DuplicateKeys.first(in: $0) }
    }

    @Test func aRepeatedNameIsFoundWithItsPath() {
        #expect(self.first(#"{"a": 1, "b": 2, "a": 3}"#) == "a")
        #expect(self.first(#"{"messages": [{"to": "1"}, {"to": "1", "tags": ["x"], "to": "2"}]}"#) == "messages[1].to")
        #expect(self.first(#"{"o": {"p": {"q": true, "q": null}}}"#) == "o.p.q")
        // Escapes name the same field.
        #expect(self.first(#"{"to": 1, "t\u006f": 2}"#) == "to")
        #expect(self.first(#"{"\"": 1, "\u0022": 2}"#) == #"""#)
    }

    @Test func distinctNamesAndOtherObjectsAreNoDuplicates() {
        #expect(self.first(#"{"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}], "c": "a\"a", "d": [1, -2.5e3, true, false, null]}"#) == nil)
        #expect(self.first(#"{"to": 1, "To": 2}"#) == nil)
        #expect(self.first("{}") == nil)
        #expect(self.first("[]") == nil)
    }

    @Test func whatIsNotJSONIsLeftToTheDecoder() {
        for text in ["", "{", #"{"a" 1}"#, #"{"a": 1,"#, #"{"a": "unterminated"#, String(repeating: "[", count: 100_000)] {
            #expect(self.first(text) == nil, "\(text.prefix(20))")
        }
    }
}
