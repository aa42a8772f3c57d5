import Foundation
import SMPP
import Testing

@testable import BridgeCore

@Suite struct MessageValidatorTests {
    private let account = UUID()
    private let now = Date(timeIntervalSince1970: 1_800_000_000)

    private func validator(maximumParts: Int = 10, allowPrivate: Bool = false) -> MessageValidator {
        var builder = SubmitBuilder()
        builder.maximumParts = maximumParts
        var policy = MessagePolicy()
        policy.callbackURLs.allowsPrivateAddresses = allowPrivate
        return MessageValidator(
            policy: policy,
            router: MessageRouter(defaultConnector: "main", rules: [.init(prefix: "1", connector: "us")]),
            builders: ["main": builder, "us": builder]
        )
    }

    private func errors(_ request: SendRequest) -> [FieldError] {
        guard case .failure(let failure) = self.validator().validate(request, accountID: self.account, now: self.now)
        else { return [] }
        return failure.errors
    }

    private func accepted(_ request: SendRequest) throws -> AcceptedMessage {
        try self.validator().validate(request, accountID: self.account, now: self.now).get()
    }

    @Test func aPlainTextMessageIsQueuedWithOnePart() throws {
        let message = try self.accepted(SendRequest(to: "+44 7700 900123", from: "MyShop", text: "Hello"))
        #expect(message.status == .queued)
        #expect(message.to == "+447700900123")
        #expect(message.encoding == "gsm7")
        #expect(message.parts.count == 1)
        #expect(message.parts[0].registeredDelivery == .receipt)
        #expect(message.connector == "main")
        #expect(message.priority == .normal)
        #expect(message.requestReceipt)
    }

    @Test func consecutiveLongMessagesHaveDifferentReferences() throws {
        // A counter shared with whatever else validates meanwhile (tests run in parallel): each
        // reference a little after the one before, never the same. Random draws land within 64
        // after the last one in a quarter of cases only.
        let references = try (0..<256).map { _ in
            let message = try self.accepted(
                SendRequest(to: "+447700900123", from: "Shop", text: String(repeating: "x", count: 200))
            )
            let first = try #require(message.parts.first?.concatenation)
            #expect(message.parts.allSatisfy { $0.concatenation?.reference == first.reference })
            return UInt8(truncatingIfNeeded: first.reference)
        }
        for (previous, next) in zip(references, references.dropFirst()) {
            #expect((1..<64).contains(next &- previous), "\(previous) then \(next)")
        }
    }

    /// Numbers as people write them lose their separators; a sender loses the white space at its
    /// ends only.
    @Test func numbersAreCompactedAndSendersTrimmed() throws {
        let message = try self.accepted(SendRequest(to: "+44 (0)7700-900.123", from: " \tMy Shop\u{00A0} ", text: "Hi"))
        #expect(message.to == "+4407700900123")
        #expect(message.from == "My Shop")
        #expect(MessageValidator.compact("+447700900123") == "+447700900123")
        #expect(MessageValidator.compact("(0) 7700–900") == "07700–900", "an en dash is no separator")
        #expect(MessageValidator.compact("-\u{0301}12") == "\u{0301}12", "by scalar, not by Character")
        #expect(MessageValidator.trimmingWhitespace("\u{2003}Shop\t") == "Shop")
        #expect(MessageValidator.trimmingWhitespace("Shop\n") == "Shop\n", "a newline is not white space here")
        #expect(MessageValidator.trimmingWhitespace("   ") == "")
        #expect(MessageValidator.trimmingWhitespace("\u{A0}Shop\u{3000}") == "Shop", "no-break and ideographic spaces")
        #expect(MessageValidator.trimmingWhitespace("\u{200B}Shop") == "\u{200B}Shop", "a zero-width space is no Zs")
        #expect(self.errors(SendRequest(to: "+44 7700 9001 x", from: "Shop", text: "Hi")).map(\.field) == ["to"])
    }

    @Test func everyMissingFieldIsReported() {
        let fields = Set(self.errors(SendRequest()).map(\.field))
        #expect(fields == ["to", "from", "text"])
    }

    @Test func numbersAndSenders() {
        #expect(self.errors(SendRequest(to: "hello", from: "Shop", text: "x")).map(\.field) == ["to"])
        #expect(self.errors(SendRequest(to: "12", from: "Shop", text: "x")).map(\.code) == ["invalid_number"])
        #expect(
            self.errors(SendRequest(to: "+12345", from: "Shop", text: "x")).map(\.field) == ["to"],
            "E.164 needs 7+ digits"
        )
        #expect(self.errors(SendRequest(to: "7726", from: "Shop", text: "x")).isEmpty, "short codes")
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "TwelveLetter", text: "x")).map(\.code) == [
                "invalid_sender"
            ]
        )
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop{1}", text: "x")).map(\.field) == ["from"],
            "GSM extension characters"
        )
        #expect(self.errors(SendRequest(to: "447700900123", from: "+447700900999", text: "x")).isEmpty)
        #expect(
            self.errors(SendRequest(to: "+0447700900123", from: "Shop", text: "x")).map(\.field) == ["to"],
            "no country code starts with 0"
        )
    }

    @Test func anEmptyClientRefIsNone() throws {
        #expect(try self.accepted(SendRequest(to: "447700900123", from: "Shop", text: "Hi", clientRef: "")).clientRef == nil)
        #expect(try self.accepted(SendRequest(to: "447700900123", from: "Shop", text: "Hi", clientRef: "r")).clientRef == "r")
    }

    @Test func aNumericSenderGoesOutCompacted() throws {
        let message = try self.accepted(SendRequest(to: "447700900123", from: " +44 (7700) 900-123 ", text: "Hi"))
        #expect(message.from == "+447700900123")
        #expect(try self.accepted(SendRequest(to: "447700900123", from: "My Shop", text: "Hi")).from == "My Shop")
    }

    @Test func textAndBodyAndEncoding() {
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop", text: "x", body: "eA==")).map(\.field) == ["body"]
        )
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop", text: "x", encoding: .binary)).map(\.field) == [
                "encoding"
            ]
        )
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop", body: "not base64!")).map(\.field) == ["body"]
        )
        #expect(self.errors(SendRequest(to: "447700900123", from: "Shop", text: "")).map(\.field) == ["text"])
        let unencodable = self.errors(SendRequest(to: "447700900123", from: "Shop", text: "Привет", encoding: .latin1))
        #expect(unencodable.map(\.code) == ["unencodable"])
        #expect(unencodable.first?.detail.contains("П") == true)
    }

    /// PostgreSQL text cannot hold U+0000, and an identifier never has a control character (a tag
    /// with U+001F came back as two tags): each is refused on its field, none reaches the store.
    @Test func controlCharactersAreRefusedOnTheirField() {
        let bad = SendRequest(
            to: "447700900123",
            from: "Shop\n",
            text: "a\u{0}b",
            clientRef: "order\u{0}",
            callbackURL: "https://example.com/\u{0}",
            tags: ["a\u{1F}b", "ok", "\u{7F}"]
        )
        let errors = self.errors(bad)
        #expect(Set(errors.map(\.field)) == ["from", "text", "client_ref", "callback_url", "tags[0]", "tags[2]"])
        #expect(errors.first { $0.field == "text" }?.code == "invalid_character")
        #expect(errors.first { $0.field == "tags[0]" }?.code == "invalid_character")
        // A line break is text like any other.
        #expect(self.errors(SendRequest(to: "447700900123", from: "Shop", text: "line 1\nline 2")).isEmpty)
    }

    @Test func base64IsReadStrictly() throws {
        for good in ["AQID", "AQIDBA==", "AQIDBA", "AQIDBAU=", "AQIDBAU", "+/+/"] {
            #expect(throws: Never.self, "\(good)") {
                _ = try self.accepted(SendRequest(to: "447700900123", from: "Shop", body: good, encoding: .binary))
            }
        }
        #expect(try self.accepted(SendRequest(to: "447700900123", from: "Shop", body: "AQIDBA", encoding: .binary)).binaryBody == [1, 2, 3, 4])
        // Foundation read "====" as one zero octet, "AA=A" as two, and ignored stray bits ("AB==").
        for bad in ["====", "AA=A", "AAAA====", "AB==", "A", "AQ-_", "AQ ID", "AQID\n"] {
            #expect(
                self.errors(SendRequest(to: "447700900123", from: "Shop", body: bad, encoding: .binary)).map(\.field)
                    == ["body"],
                "\(bad)"
            )
        }
    }

    @Test func tooLongTextsAreRefusedNotCut() {
        let text = String(repeating: "a", count: 153 * 10 + 1)
        let errors = self.errors(SendRequest(to: "447700900123", from: "Shop", text: text))
        #expect(errors.map(\.code) == ["too_many_parts"])
        #expect(errors.first?.detail == "needs 11 parts; at most 10 are allowed")
    }

    @Test func unicodeIsUCS2AndBinaryIsBinary() throws {
        let unicode = try self.accepted(SendRequest(to: "447700900123", from: "Shop", text: "Hi 👋"))
        #expect(unicode.encoding == "ucs2")
        #expect(unicode.parts[0].dataCoding == .ucs2)
        let binary = try self.accepted(SendRequest(to: "447700900123", from: "Shop", body: "AQID", encoding: .binary))
        #expect(binary.encoding == "binary")
        #expect(binary.binaryBody == [1, 2, 3])
        #expect(binary.parts[0].dataCoding == .binary)
    }

    @Test func optionsAreChecked() {
        let bad = SendRequest(
            to: "447700900123",
            from: "Shop",
            text: "x",
            clientRef: String(repeating: "r", count: 129),
            callbackURL: "ftp://example.com/hook",
            validity: 10,
            sendAt: self.now.addingTimeInterval(400 * 86_400),
            tags: ["", String(repeating: "t", count: 65)]
        )
        let fields = Set(self.errors(bad).map(\.field))
        #expect(fields == ["client_ref", "callback_url", "validity", "send_at", "tags[0]", "tags[1]"])
    }

    @Test func callbackURLsWithCredentialsOrPrivateHostsAreRefused() {
        #expect(
            self.errors(
                SendRequest(to: "447700900123", from: "Shop", text: "x", callbackURL: "https://user:pw@example.com/")
            ).map(\.code) == ["invalid_url"]
        )
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop", text: "x", callbackURL: "http://127.0.0.1:8080/"))
                .map(\.field) == ["callback_url"]
        )
        #expect(
            self.errors(SendRequest(to: "447700900123", from: "Shop", text: "x", callbackURL: "http://192.168.1.5/"))
                .count == 1
        )
        // Every spelling of a private address that the resolver reads, and ranges that are not
        // on the public internet.
        for host in [
            "127.1", "2130706433", "0x7f000001", "0177.0.0.1", "0", "localhost.", "[0:0:0:0:0:0:0:1]",
            "[::ffff:7f00:1]", "[::ffff:10.0.0.1]", "[64:ff9b::a00:1]", "[fd00::1]", "[fe80::1]", "[ff02::1]",
            "224.0.0.1", "255.255.255.255", "198.18.0.1", "100.64.0.1", "169.254.169.254", "172.31.255.255",
            // IPv4-compatible and 6to4 forms of loopback; documentation ranges.
            "[::127.0.0.1]", "[2002:7f00:1::]", "[2002:c0a8:105::1]", "192.0.2.1", "198.51.100.7", "203.0.113.9",
            "[2001:db8::1]",
        ] {
            #expect(CallbackURLPolicy.isPrivate(host: host), "\(host)")
        }
        for host in [
            "example.com", "8.8.8.8", "172.32.0.1", "100.128.0.1", "198.20.0.1", "[2001:db9::1]",
            "[::ffff:8.8.8.8]", "[::8.8.8.8]", "[2002:808:808::1]", "1e100.net", "dead.beef",
        ] {
            #expect(!CallbackURLPolicy.isPrivate(host: host), "\(host)")
        }
        // A port the HTTP client cannot use (beyond 65535 it trapped, taking the service down).
        for url in ["https://1.1.1.1:99999/", "http://example.com:0/", "http://localhost:65536/x"] {
            let errors = self.validator(allowPrivate: true).validate(
                SendRequest(to: "447700900123", from: "Shop", text: "x", callbackURL: url),
                accountID: self.account,
                now: self.now
            )
            #expect((try? errors.get()) == nil, "\(url)")
        }
        let allowed = self.validator(allowPrivate: true).validate(
            SendRequest(to: "447700900123", from: "Shop", text: "x", callbackURL: "http://127.0.0.1:8080/hook"),
            accountID: self.account,
            now: self.now
        )
        #expect((try? allowed.get()) != nil)
    }

    @Test func scheduledMessagesWaitAndValidityGivesAnExpiry() throws {
        let later = self.now.addingTimeInterval(3_600)
        let message = try self.accepted(
            SendRequest(to: "447700900123", from: "Shop", text: "x", validity: 600, sendAt: later)
        )
        #expect(message.status == .scheduled)
        #expect(message.sendAt == later)
        #expect(message.expiresAt == later.addingTimeInterval(600))
        let past = try self.accepted(
            SendRequest(to: "447700900123", from: "Shop", text: "x", sendAt: self.now.addingTimeInterval(-5))
        )
        #expect(past.status == .queued)
        #expect(past.sendAt == nil)
    }

    @Test func routesByLongestPrefix() throws {
        #expect(try self.accepted(SendRequest(to: "+15550100", from: "Shop", text: "x")).connector == "us")
        let router = MessageRouter(
            defaultConnector: "d",
            rules: [.init(prefix: "44", connector: "uk"), .init(prefix: "4477", connector: "uk-mobile")]
        )
        #expect(router.connector(for: "+447700900123") == "uk-mobile")
        #expect(router.connector(for: "442071234567") == "uk")
        #expect(router.connector(for: "33612345678") == "d")
    }

    @Test func noReceiptWhenNotRequested() throws {
        let message = try self.accepted(SendRequest(to: "447700900123", from: "Shop", text: "x", requestReceipt: false))
        #expect(message.parts[0].registeredDelivery == .none)
    }
}
