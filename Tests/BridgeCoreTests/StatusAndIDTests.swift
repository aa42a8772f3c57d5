import BridgeCore
import Foundation
import SMPP
import Testing

@Suite struct StatusAndIDTests {
    @Test func receiptStatesMapToFinalStatuses() {
        #expect(MessageStatus(receiptState: .delivered) == .delivered)
        #expect(MessageStatus(receiptState: .undeliverable) == .undelivered)
        #expect(MessageStatus(receiptState: .expired) == .expired)
        #expect(MessageStatus(receiptState: .rejected) == .rejected)
        #expect(MessageStatus(receiptState: .enroute) == nil)
        #expect(MessageStatus(receiptState: .scheduled) == nil)
    }

    @Test func aMessageIsDeliveredWhenEveryPartIs() {
        #expect(MessageStatus.combined([.delivered, .delivered]) == .delivered)
        #expect(MessageStatus.combined([.delivered, .sent]) == nil, "a part is still pending")
        #expect(MessageStatus.combined([.delivered, .undelivered]) == .undelivered)
        #expect(MessageStatus.combined([.expired, .rejected]) == .rejected)
    }

    @Test func onlyUnsentMessagesAreCancelable() {
        #expect(MessageStatus.allCases.filter(\.isCancelable) == [.scheduled, .queued])
        #expect(MessageStatus.allCases.filter(\.isFinal).count == 6)
    }

    @Test func idsAreVersion7AndTimeOrdered() {
        let first = MessageID.make(at: Date(timeIntervalSince1970: 1_800_000_000))
        let second = MessageID.make(at: Date(timeIntervalSince1970: 1_800_000_001))
        #expect(first.uuidString.lowercased() < second.uuidString.lowercased())
        let text = first.uuidString
        #expect(text[text.index(text.startIndex, offsetBy: 14)] == "7")
        #expect("89AB".contains(text[text.index(text.startIndex, offsetBy: 19)]))
        #expect(MessageID.make() != MessageID.make())
    }

    @Test func privateHostsAreRecognised() {
        for host in [
            "localhost", "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.0.10", "169.254.1.1", "[::1]", "fe80::1",
            "0.0.0.0",
        ] {
            #expect(CallbackURLPolicy.isPrivate(host: host), "\(host)")
        }
        for host in ["example.com", "8.8.8.8", "172.32.0.1", "2606:4700::1111"] {
            #expect(!CallbackURLPolicy.isPrivate(host: host), "\(host)")
        }
    }
}

@Suite struct InboundRouterTests {
    @Test func exactThenLongestPrefixThenDefault() {
        let router = InboundRouter(
            routes: ["7726": "shop"],
            prefixes: ["4477": "uk-mobile", "44": "uk"],
            defaultAccount: "catch-all"
        )
        #expect(router.account(for: "7726") == "shop")
        #expect(router.account(for: "+447700900123") == "uk-mobile")
        #expect(router.account(for: "442071234567") == "uk")
        #expect(router.account(for: "15550100") == "catch-all")
        #expect(InboundRouter<String>().account(for: "7726") == nil)
        #expect(router.map { $0 == "shop" ? 1 : nil }.account(for: "7726") == 1)
        #expect(router.map { $0 == "shop" ? 1 : nil }.account(for: "44") == nil)
    }

    @Test func aPlusMatchesWhetherTheRouteOrTheSMSCWritesIt() {
        let router = InboundRouter(
            routes: ["447700900001": "plain", "+447700900002": "plus"],
            prefixes: ["+4479": "uk-plus"]
        )
        for destination in ["447700900001", "+447700900001"] { #expect(router.account(for: destination) == "plain") }
        for destination in ["447700900002", "+447700900002"] { #expect(router.account(for: destination) == "plus") }
        for destination in ["447900900003", "+447900900003"] { #expect(router.account(for: destination) == "uk-plus") }
        // Both forms of one route: the one written without `+` wins.
        #expect(InboundRouter(routes: ["+7726": "a", "7726": "b"]).account(for: "+7726") == "b")
    }
}
