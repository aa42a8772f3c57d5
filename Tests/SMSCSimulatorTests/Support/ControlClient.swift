import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SMSCSimulator

/// Talks to the simulator's control API over real HTTP on loopback.
struct ControlClient {
    struct Response {
        var status: Int
        var body: Data

        func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
            try JSONDecoder().decode(T.self, from: self.body)
        }

        var text: String { String(decoding: self.body, as: UTF8.self) }
    }

    let base: String

    init(_ simulator: SMSCSimulator) throws {
        guard let port = simulator.controlPort else { throw TestESME.Timeout(what: "the control API to start") }
        self.base = "http://127.0.0.1:\(port)"
    }

    func get(_ path: String) async throws -> Response {
        try await self.send(.GET, path)
    }

    func post(_ path: String, json: String? = nil) async throws -> Response {
        try await self.send(.POST, path, json: json)
    }

    func delete(_ path: String) async throws -> Response {
        try await self.send(.DELETE, path)
    }

    private func send(_ method: HTTPMethod, _ path: String, json: String? = nil) async throws -> Response {
        var request = HTTPClientRequest(url: self.base + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(5))
        let body = try await response.body.collect(upTo: 4 << 20)
        return Response(status: Int(response.status.code), body: Data(body.readableBytesView))
    }
}

// The JSON the control API writes, as far as the tests read it.

struct AddressJSON: Decodable, Equatable {
    var ton: UInt8
    var npi: UInt8
    var address: String
}

struct PartJSON: Decodable {
    struct Concatenation: Decodable {
        var reference: UInt16
        var total: UInt8
        var sequence: UInt8
    }

    var id: String
    var system_id: String
    var session_id: Int
    var command: String
    var source: AddressJSON
    var destination: AddressJSON
    var registered_delivery: UInt8
    var data_coding: UInt8
    var text: String?
    var user_data_hex: String
    var concatenation: Concatenation?
    var state: String
    var outcome: String
    var receipt: String
}

struct MessageJSON: Decodable {
    var id: String
    var system_id: String
    var source: AddressJSON
    var destination: AddressJSON
    var data_coding: UInt8
    var text: String?
    var parts_expected: Int
    var parts_received: Int
    var complete: Bool
    var parts: [PartJSON]
}

struct SessionJSON: Decodable {
    var id: Int
    var system_id: String?
    var bind_type: String?
    var state: String
    var remote_address: String
    var pdus_received: Int
    var pdus_sent: Int
}

struct InjectionJSON: Decodable {
    var id: String
    var parts: Int
    var encoding: String
}
