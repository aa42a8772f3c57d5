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

/// The same API behind a real HTTP server on loopback.
@Suite(.timeLimit(.minutes(1))) struct LiveServerTests {
    @Test func sendReadAndRefuseOverRealHTTP() async throws {
        var configuration = BridgeAPI.Configuration.testing
        configuration.maximumBodySize = 4096
        try await withAPI(.live, configuration: configuration) { api in
            let sent = try await api.send(messageJSON(), headers: [HTTPField.Name("Idempotency-Key")!: "live"])
            #expect(sent.status == .accepted, "\(sent.text)")
            let message = try sent.decode(Components.Schemas.Message.self)
            let replay = try await api.send(messageJSON(), headers: [HTTPField.Name("Idempotency-Key")!: "live"])
            #expect(replay.body == sent.body)
            #expect(try await api.request(.get, "/v1/messages/\(message.id)").status == .ok)

            let large = try await api.send(messageJSON(text: String(repeating: "x", count: 8192)))
            #expect(large.status == .contentTooLarge)
            #expect(large.headers[.contentType] == "application/problem+json")
            let unauthenticated = try await api.request(.get, "/v1/messages", key: .some(nil))
            #expect(unauthenticated.status == .unauthorized)
            #expect(unauthenticated.headers[.wwwAuthenticate] == #"Bearer realm="smsbridge""#)
            // The connection is still good after the refusals.
            #expect(try await api.request(.get, "/v1/messages").status == .ok)
        }
    }
}
