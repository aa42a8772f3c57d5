import Foundation
import Hummingbird
internal import Logging
internal import NIOCore
internal import SMPP
import ServiceLifecycle

/// The simulator's HTTP control API: inject MO, inspect messages, sessions and counters, reset.
///
/// | method | path | does |
/// | --- | --- | --- |
/// | GET | `/healthz` | `ok` |
/// | GET | `/messages?system_id=&limit=` | messages, parts of a concatenated message grouped, oldest first |
/// | GET | `/messages/{id}` | one stored message (part) |
/// | GET | `/sessions` | connected sessions |
/// | DELETE | `/sessions/{id}` | drop a connection |
/// | POST | `/sessions/{id}/unbind` | unbind a session |
/// | GET | `/counters` | running totals |
/// | POST | `/reset` | forget messages, pending receipts and counters |
/// | POST | `/mo` | `{"from","to","text","encoding"?,"system_id"?}` → deliver_sm (split with UDH when long) |
enum ControlAPI {
    /// A running control API: stop it with `group.triggerGracefulShutdown()`, then await `task`.
    struct Running: Sendable {
        var group: ServiceGroup
        var task: Task<Void, any Error>
        var port: Int
    }

    static func start(
        simulator: SMSCSimulator,
        host: String,
        port: Int,
        logger: Logger
    ) async throws -> Running {
        let router = Router()
        router.get("healthz") { _, _ in "ok" }
        router.get("messages") { request, _ -> [MessageView] in
            let systemID = request.uri.queryParameters.get("system_id")
            let limit = request.uri.queryParameters.get("limit", as: Int.self)
            return MessageView.grouping(simulator.messages(systemID: systemID, limit: limit))
        }
        router.get("messages/:id") { _, context -> PartView in
            let id = try context.parameters.require("id")
            guard let message = simulator.message(id: id) else {
                throw HTTPError(.notFound, message: "no message with id \(id)")
            }
            return PartView(message)
        }
        router.get("sessions") { _, _ in JSONBody(await simulator.sessions()) }
        router.delete("sessions/:id") { _, context -> HTTPResponse.Status in
            let id = try context.parameters.require("id", as: Int.self)
            guard simulator.closeSession(id) else { throw HTTPError(.notFound, message: "no session \(id)") }
            return .noContent
        }
        router.post("sessions/:id/unbind") { _, context -> HTTPResponse.Status in
            let id = try context.parameters.require("id", as: Int.self)
            guard simulator.unbindSession(id) else { throw HTTPError(.notFound, message: "no session \(id)") }
            return .accepted
        }
        router.get("counters") { _, _ in JSONBody(simulator.counters) }
        router.post("reset") { _, _ -> HTTPResponse.Status in
            simulator.reset()
            return .noContent
        }
        router.post("mo") { request, context -> EditedResponse<JSONBody<SMSCSimulator.InjectionResult>> in
            let body: MORequest
            do {
                body = try await request.decode(as: MORequest.self, context: context)
            } catch {
                throw HTTPError(
                    .badRequest,
                    message: "expected {\"from\", \"to\", \"text\", \"encoding\"?, \"system_id\"?}"
                )
            }
            var encoding: TextEncoding?
            if let name = body.encoding, name != "auto" {
                guard let chosen = TextEncoding(rawValue: name) else {
                    throw HTTPError(.badRequest, message: "encoding must be auto, gsm7, ascii, latin1 or ucs2")
                }
                encoding = chosen
            }
            do {
                let result = try simulator.injectMO(
                    .init(from: body.from, to: body.to, text: body.text, encoding: encoding, systemID: body.systemID)
                )
                return EditedResponse(status: .accepted, response: JSONBody(result))
            } catch {
                throw HTTPError(.badRequest, message: "\(error)")
            }
        }

        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "smsc-sim"),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? port) },
            logger: logger
        )
        let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
        let task = Task {
            defer { continuation.finish() }
            try await group.run()
        }
        for await bound in ports { return Running(group: group, task: task, port: bound) }
        // The stream ended without a port: the server failed to start.
        try await task.value
        throw HTTPError(.internalServerError, message: "control API did not start")
    }
}

struct MORequest: Decodable {
    var from: String
    var to: String
    var text: String
    var encoding: String?
    var systemID: String?

    enum CodingKeys: String, CodingKey {
        case from, to, text, encoding
        case systemID = "system_id"
    }
}

struct AddressView: Codable, Hashable {
    var ton: UInt8
    var npi: UInt8
    var address: String

    init(_ address: Address) {
        self.ton = address.ton.rawValue
        self.npi = address.npi.rawValue
        self.address = address.value
    }
}

/// One stored message or part.
struct PartView: ResponseCodable, Hashable {
    struct Concatenation: Codable, Hashable {
        var reference: UInt16
        var total: UInt8
        var sequence: UInt8
    }

    var id: String
    var systemID: String
    var sessionID: Int
    var command: String
    var serviceType: String
    var source: AddressView
    var destination: AddressView
    var esmClass: UInt8
    var protocolID: UInt8
    var priorityFlag: UInt8
    var scheduleDeliveryTime: String
    var validityPeriod: String
    var registeredDelivery: UInt8
    var dataCoding: UInt8
    var text: String?
    var userDataHex: String
    var concatenation: Concatenation?
    var submittedAt: String
    var state: String
    var outcome: String
    var doneAt: String?
    var receipt: ReceiptProgress

    init(_ message: SimulatedMessage) {
        self.id = message.id
        self.systemID = message.systemID
        self.sessionID = message.sessionID
        self.command = message.command
        self.serviceType = message.serviceType
        self.source = AddressView(message.source)
        self.destination = AddressView(message.destination)
        self.esmClass = message.esmClass.rawValue
        self.protocolID = message.protocolID
        self.priorityFlag = message.priorityFlag
        self.scheduleDeliveryTime = message.scheduleDeliveryTime
        self.validityPeriod = message.validityPeriod
        self.registeredDelivery = message.registeredDelivery.rawValue
        self.dataCoding = message.dataCoding.rawValue
        self.text = message.text
        self.userDataHex = message.userData.map { String(format: "%02X", $0) }.joined()
        self.concatenation = message.concatenation.map {
            Concatenation(reference: $0.reference, total: $0.total, sequence: $0.sequence)
        }
        self.submittedAt = message.submittedAt.description
        self.state = message.state.receiptStat ?? "\(message.state.rawValue)"
        self.outcome = message.outcome.description
        self.doneAt = message.doneAt?.description
        self.receipt = message.receipt
    }

    enum CodingKeys: String, CodingKey {
        case id
        case systemID = "system_id"
        case sessionID = "session_id"
        case command
        case serviceType = "service_type"
        case source, destination
        case esmClass = "esm_class"
        case protocolID = "protocol_id"
        case priorityFlag = "priority_flag"
        case scheduleDeliveryTime = "schedule_delivery_time"
        case validityPeriod = "validity_period"
        case registeredDelivery = "registered_delivery"
        case dataCoding = "data_coding"
        case text
        case userDataHex = "user_data_hex"
        case concatenation
        case submittedAt = "submitted_at"
        case state, outcome
        case doneAt = "done_at"
        case receipt
    }
}

/// A logical message: a single message, or the parts of a concatenated one with the joined text.
struct MessageView: ResponseCodable, Hashable {
    var id: String
    var systemID: String
    var source: AddressView
    var destination: AddressView
    var dataCoding: UInt8
    /// The whole text, when every part arrived and is text.
    var text: String?
    var partsExpected: Int
    var partsReceived: Int
    var complete: Bool
    var parts: [PartView]

    enum CodingKeys: String, CodingKey {
        case id
        case systemID = "system_id"
        case source, destination
        case dataCoding = "data_coding"
        case text
        case partsExpected = "parts_expected"
        case partsReceived = "parts_received"
        case complete, parts
    }

    struct Key: Hashable {
        var systemID: String
        var source: String
        var destination: String
        var reference: UInt16
        var total: UInt8
    }

    static func grouping(_ messages: [SimulatedMessage]) -> [MessageView] {
        var order: [Key?] = []
        var singles: [SimulatedMessage] = []
        var groups: [Key: [SimulatedMessage]] = [:]
        for message in messages {
            guard let concatenation = message.concatenation else {
                order.append(nil)
                singles.append(message)
                continue
            }
            let key = Key(
                systemID: message.systemID,
                source: message.source.value,
                destination: message.destination.value,
                reference: concatenation.reference,
                total: concatenation.total
            )
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(message)
        }
        var views: [MessageView] = []
        var singleIndex = 0
        for key in order {
            guard let key else {
                let message = singles[singleIndex]
                singleIndex += 1
                views.append(MessageView(parts: [message], expected: 1))
                continue
            }
            let parts = groups[key]!.sorted { ($0.concatenation?.sequence ?? 0) < ($1.concatenation?.sequence ?? 0) }
            views.append(MessageView(parts: parts, expected: Int(key.total)))
        }
        return views
    }

    init(parts: [SimulatedMessage], expected: Int) {
        let first = parts[0]
        self.id = first.id
        self.systemID = first.systemID
        self.source = AddressView(first.source)
        self.destination = AddressView(first.destination)
        self.dataCoding = first.dataCoding.rawValue
        let sequences = Set(parts.map { Int($0.concatenation?.sequence ?? 1) })
        self.partsExpected = expected
        self.partsReceived = sequences.count
        self.complete = sequences.count >= expected
        let texts = parts.compactMap(\.text)
        self.text = self.complete && texts.count == parts.count ? texts.joined() : nil
        self.parts = parts.map(PartView.init)
    }
}

/// A public value sent as JSON (the public types do not conform to Hummingbird's protocols themselves).
struct JSONBody<Value: Encodable & Sendable>: ResponseEncodable {
    var value: Value

    init(_ value: Value) {
        self.value = value
    }

    func encode(to encoder: any Encoder) throws {
        try self.value.encode(to: encoder)
    }
}
