import BridgeTestSupport
import Foundation
import SMPP
import SMSCSimulator
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Clients that do not share our codec: one written from the SMPP 3.4 specification octet by octet,
/// and python-smpplib run as a separate process.
@Suite(.timeLimit(.minutes(1))) struct InteropTests {
    @Test func aClientWrittenFromTheSpecificationBindsSubmitsAndGetsItsReceipt() async throws {
        try await withSimulator { simulator in
            let esme = try SpecOnlyESME(port: simulator.port!)
            defer { esme.close() }

            // bind_transceiver, seq 1: system_id "test", password "pw", system_type "", version 0x34,
            // addr_ton 0, addr_npi 0, address_range "" — the worked example of SMPP.md §12.2.
            let bindBody =
                SpecOnlyESME.cString("test") + SpecOnlyESME.cString("pw") + SpecOnlyESME.cString("")
                + [0x34, 0x00, 0x00] + SpecOnlyESME.cString("")
            let bind = SpecOnlyESME.pdu(commandID: 0x0000_0009, sequenceNumber: 1, body: bindBody)
            #expect(bind == SpecOnlyESME.hex("0000001D 00000009 00000000 00000001 7465737400 707700 00 34 00 00 00"))
            try esme.send(bind)
            let bound = try esme.receive()
            #expect(bound.commandID == 0x8000_0009)
            #expect(bound.status == 0)
            #expect(bound.sequenceNumber == 1)
            var reader = SpecOnlyESME.Reader(bound.body)
            #expect(try reader.cString() == "smsc-sim")
            // sc_interface_version TLV (0x0210, length 1) = 0x34.
            #expect(try reader.bytes(5) == [0x02, 0x10, 0x00, 0x01, 0x34])

            // enquire_link, seq 2 (§12.1).
            try esme.send(SpecOnlyESME.hex("00000010 00000015 00000000 00000002"))
            let alive = try esme.receive()
            #expect(alive.raw == SpecOnlyESME.hex("00000010 80000015 00000000 00000002"))

            // submit_sm, seq 3: "Test" (5/0) → 79001234567 (1/1), receipt requested, "Hello" (§12.3).
            let submitBody =
                SpecOnlyESME.cString("") + [0x05, 0x00] + SpecOnlyESME.cString("Test")
                + [0x01, 0x01] + SpecOnlyESME.cString("79001234567")
                + [0x00, 0x00, 0x00] + SpecOnlyESME.cString("") + SpecOnlyESME.cString("")
                + [0x01, 0x00, 0x00, 0x00] + [0x05] + Array("Hello".utf8)
            let submit = SpecOnlyESME.pdu(commandID: 0x0000_0004, sequenceNumber: 3, body: submitBody)
            #expect(submit.count == 0x35)
            try esme.send(submit)

            // The submit_sm_resp comes first (receipts are sent right after it here).
            let response = try esme.receive()
            #expect(response.commandID == 0x8000_0004)
            #expect(response.status == 0)
            #expect(response.sequenceNumber == 3)
            var responseReader = SpecOnlyESME.Reader(response.body)
            let messageID = try responseReader.cString()
            #expect(!messageID.isEmpty)
            #expect(responseReader.isAtEnd)

            // deliver_sm carrying the receipt, read field by field (§4.9, §8).
            let deliver = try esme.receive()
            #expect(deliver.commandID == 0x0000_0005)
            var fields = SpecOnlyESME.Reader(deliver.body)
            #expect(try fields.cString() == "")  // service_type
            #expect(try fields.bytes(2) == [0x01, 0x01])  // source TON/NPI: the original recipient
            #expect(try fields.cString() == "79001234567")
            #expect(try fields.bytes(2) == [0x05, 0x00])  // destination TON/NPI: the original sender
            #expect(try fields.cString() == "Test")
            let esmClass = try fields.byte()
            #expect(esmClass & 0x3C == 0x04)  // SMSC delivery receipt
            _ = try fields.bytes(2)  // protocol_id, priority_flag
            #expect(try fields.cString() == "")  // schedule_delivery_time
            #expect(try fields.cString() == "")  // validity_period
            _ = try fields.bytes(3)  // registered_delivery, replace_if_present_flag, data_coding
            _ = try fields.byte()  // sm_default_msg_id
            let smLength = Int(try fields.byte())
            let text = String(decoding: try fields.bytes(smLength), as: UTF8.self)
            #expect(text.hasPrefix("id:\(messageID) sub:001 dlvrd:001 submit date:"))
            #expect(text.contains(" stat:DELIVRD err:000 text:Hello"))
            var tlvs: [UInt16: [UInt8]] = [:]
            while !fields.isAtEnd {
                let tag = UInt16(try fields.byte()) << 8 | UInt16(try fields.byte())
                let length = Int(try fields.byte()) << 8 | Int(try fields.byte())
                tlvs[tag] = try fields.bytes(length)
            }
            #expect(tlvs[0x001E] == Array(messageID.utf8) + [0])  // receipted_message_id
            #expect(tlvs[0x0427] == [0x02])  // message_state DELIVERED

            // deliver_sm_resp with a NULL message_id (§12.5), then unbind (seq 4).
            try esme.send(SpecOnlyESME.pdu(commandID: 0x8000_0005, sequenceNumber: deliver.sequenceNumber, body: [0]))
            try esme.send(SpecOnlyESME.pdu(commandID: 0x0000_0006, sequenceNumber: 4, body: []))
            let unbound = try esme.receive()
            #expect(unbound.raw == SpecOnlyESME.hex("00000010 80000006 00000000 00000004"))

            try await eventually("the receipt to be acknowledged") {
                simulator.message(id: messageID)?.receipt == .acknowledged
            }
            #expect(simulator.message(id: messageID)?.text == "Hello")
            #expect(simulator.message(id: messageID)?.systemID == "test")
        }
    }

    @Test func pythonSmpplibBindsSubmitsLongAndUCS2MessagesAndGetsTheirReceipts() async throws {
        let script = Fixtures.repository.appendingPathComponent("Tests/Interop/smpplib_client.py").path
        let check = try ChildProcess("/usr/bin/env", ["python3", "-c", "import smpplib"])
        guard try await check.wait(timeout: .seconds(20)) == 0 else {
            Issue.record(
                "python3 with smpplib is needed (scripts/test installs it: python3 -m pip install smpplib): \(check.stderr)"
            )
            return
        }
        try await withSimulator { simulator in
            let python = try ChildProcess("/usr/bin/env", ["python3", script, "127.0.0.1", "\(simulator.port!)", "20"])
            let status = try await python.wait(timeout: .seconds(30))
            #expect(status == 0, "stderr: \(python.stderr)")

            struct Output: Decodable {
                struct Part: Decodable {
                    var message_id: String?
                    var status: Int?
                    var data_coding: Int
                    var esm_class: Int
                }
                struct Receipt: Decodable {
                    var receipted_message_id: String?
                    var message_state: Int?
                    var text: String
                }
                var bound: Bool
                var parts: [Part]
                var receipts: [Receipt]
                var unbound: Bool
            }
            let output = try JSONDecoder().decode(
                Output.self,
                from: Data(python.stdout.split(separator: "\n").last.map { Array($0.utf8) } ?? [])
            )
            // What python saw: two UDH parts and one UCS-2 message accepted, one receipt each.
            #expect(output.bound && output.unbound)
            #expect(output.parts.count == 3)
            #expect(output.parts.map(\.status) == [0, 0, 0])
            #expect(output.parts.map(\.esm_class) == [0x40, 0x40, 0])
            #expect(output.parts.map(\.data_coding) == [0, 0, 8])
            let ids = output.parts.compactMap(\.message_id)
            #expect(Set(ids).count == 3)
            #expect(Set(output.receipts.compactMap(\.receipted_message_id)) == Set(ids))
            #expect(output.receipts.allSatisfy { $0.message_state == 2 && $0.text.contains("stat:DELIVRD") })

            // What the simulator stored.
            let stored = simulator.messages(systemID: "pyclient")
            #expect(stored.count == 3)
            let long = stored.filter { $0.concatenation != nil }.sorted {
                $0.concatenation!.sequence < $1.concatenation!.sequence
            }
            #expect(long.count == 2)
            #expect(
                long.compactMap(\.text).joined()
                    == String(
                        repeating: "This long message is split by python-smpplib into parts with a user data header. ",
                        count: 3
                    )
            )
            let ucs2 = try #require(stored.first { $0.dataCoding == .ucs2 })
            #expect(ucs2.text == "Привет, мир! Сообщение в UCS-2.")
            #expect(ucs2.source.value == "PyShop")
            try await eventually("every receipt to be acknowledged") {
                simulator.counters.receiptsAcknowledged == 3
            }
        }
    }
}

/// An ESME that knows only the SMPP 3.4 specification: a blocking POSIX socket, and octets written
/// and read by hand (big-endian integers, NUL-terminated strings). It shares no code with `SMPP`.
final class SpecOnlyESME {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    struct PDU {
        var raw: [UInt8]
        var commandID: UInt32
        var status: UInt32
        var sequenceNumber: UInt32
        var body: [UInt8]
    }

    /// Reads fields from a PDU body.
    struct Reader {
        private let octets: [UInt8]
        private var index = 0

        init(_ octets: [UInt8]) { self.octets = octets }

        var isAtEnd: Bool { self.index >= self.octets.count }

        mutating func byte() throws -> UInt8 {
            guard self.index < self.octets.count else { throw Failure(description: "body too short") }
            defer { self.index += 1 }
            return self.octets[self.index]
        }

        mutating func bytes(_ count: Int) throws -> [UInt8] {
            guard self.index + count <= self.octets.count else { throw Failure(description: "body too short") }
            defer { self.index += count }
            return Array(self.octets[self.index..<self.index + count])
        }

        mutating func cString() throws -> String {
            guard let end = self.octets[self.index...].firstIndex(of: 0) else {
                throw Failure(description: "C-Octet String without NUL")
            }
            defer { self.index = end + 1 }
            return String(decoding: self.octets[self.index..<end], as: UTF8.self)
        }
    }

    private let descriptor: Int32

    init(port: Int) throws {
        self.descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.descriptor >= 0 else { throw Failure(description: "socket() failed") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(self.descriptor)
            throw Failure(description: "connect() failed: \(errno)")
        }
    }

    func close() {
        Glibc.close(self.descriptor)
    }

    func send(_ octets: [UInt8]) throws {
        var sent = 0
        while sent < octets.count {
            let written = octets[sent...].withUnsafeBytes { Glibc.send(self.descriptor, $0.baseAddress, $0.count, 0) }
            guard written > 0 else { throw Failure(description: "send() failed: \(errno)") }
            sent += written
        }
    }

    /// Reads one PDU: four octets of command_length, then the rest.
    func receive() throws -> PDU {
        let lengthOctets = try self.read(4)
        let length = Self.integer(lengthOctets[0..<4])
        guard length >= 16 else { throw Failure(description: "command_length \(length) below 16") }
        let rest = try self.read(Int(length) - 4)
        let raw = lengthOctets + rest
        return PDU(
            raw: raw,
            commandID: Self.integer(raw[4..<8]),
            status: Self.integer(raw[8..<12]),
            sequenceNumber: Self.integer(raw[12..<16]),
            body: Array(raw[16...])
        )
    }

    private func read(_ count: Int) throws -> [UInt8] {
        var octets = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let got = octets[received...].withUnsafeMutableBytes {
                recv(self.descriptor, $0.baseAddress, $0.count, 0)
            }
            guard got > 0 else { throw Failure(description: "recv() got \(got), errno \(errno) (5 s timeout)") }
            received += got
        }
        return octets
    }

    // MARK: Octets by hand

    static func integer(_ octets: ArraySlice<UInt8>) -> UInt32 {
        octets.reduce(0) { $0 << 8 | UInt32($1) }
    }

    static func u32(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A C-Octet String: the ASCII characters and a NUL.
    static func cString(_ text: String) -> [UInt8] {
        Array(text.utf8) + [0]
    }

    /// Header (command_length including itself, command_id, command_status 0, sequence_number) and body.
    static func pdu(commandID: UInt32, sequenceNumber: UInt32, body: [UInt8]) -> [UInt8] {
        u32(UInt32(16 + body.count)) + u32(commandID) + u32(0) + u32(sequenceNumber) + body
    }

    /// Octets from a hex dump with spaces, as printed in the specification.
    static func hex(_ dump: String) -> [UInt8] {
        let digits = Array(dump.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
    }
}
