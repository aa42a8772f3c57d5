import NIOCore
import SMPP
import Testing

@Suite struct SubmitBuilderTests {
    private let builder = SubmitBuilder()

    @Test func shortTextIsOnePartWithDetectedAddresses() throws {
        let parts = try self.builder.parts(for: .text("Hello", from: "MyShop", to: "+447700900123"), reference: 1)
        #expect(parts.count == 1)
        #expect(parts[0].source == Address(ton: .alphanumeric, npi: .unknown, "MyShop"))
        #expect(parts[0].destination == Address(ton: .international, npi: .isdn, "447700900123"))
        #expect(parts[0].dataCoding == .smscDefault)
        #expect(parts[0].registeredDelivery == .receipt)
        #expect(String(buffer: parts[0].shortMessage) == "Hello")
    }

    @Test func unicodeGoesAsUCS2AndLongTextsAreSplit() throws {
        let parts = try self.builder.parts(
            for: .text(String(repeating: "ж", count: 71), from: "1234", to: "447700900123"),
            reference: 9
        )
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.dataCoding == .ucs2 && $0.esmClass.hasUDHI })
        #expect(self.builder.encoding(for: .text("ж", from: "a", to: "b")) == .ucs2)
    }

    @Test func configuredDataCodingsAndFixedAddressesAreUsed() throws {
        var builder = SubmitBuilder()
        builder.dataCodings.gsm7 = .ia5
        builder.sourceAddress = .fixed(.national, .isdn)
        let part = try builder.parts(for: .text("Hi", from: "+0123", to: "447700900123"), reference: 1)[0]
        #expect(part.dataCoding == .ia5)
        #expect(part.source == Address(ton: .national, npi: .isdn, "0123"))
    }

    @Test func validityBecomesARelativeTime() throws {
        var message = OutgoingMessage.text("Hi", from: "Shop", to: "447700900123")
        message.validity = 90_061  // 1 day, 1 hour, 1 minute, 1 second
        let part = try self.builder.parts(for: message, reference: 1)[0]
        #expect(part.validityPeriod == "000001010101000R")
    }

    @Test func encodedPartsAreThePartsAsFrames() throws {
        let message = OutgoingMessage.text(String(repeating: "ж", count: 71), from: "Shop", to: "447700900123")
        let encoded = try self.builder.encodedParts(for: message, reference: 7)
        #expect(encoded.map(\.pdu) == (try self.builder.parts(for: message, reference: 7)))
        for part in encoded {
            var frame = part.frame
            let decoded = try #require(try frame.readSMPPFrame())
            #expect(decoded.sequenceNumber == 1)
            #expect(decoded.pdu == .submitSM(part.pdu))
            #expect(frame.readableBytes == 0, "one frame each")
        }
        #expect(throws: SubmitBuilder.Failure.invalidField(.sourceAddress, "longer than 20 octets")) {
            try self.builder.encodedParts(for: .text("Hi", from: "A-sender-name-far-too-long", to: "4477"), reference: 1)
        }
    }

    @Test func refusalsSayWhy() {
        var builder = SubmitBuilder()
        builder.maximumParts = 2
        #expect(throws: SubmitBuilder.Failure.tooManyParts(needed: 3, maximum: 2)) {
            try builder.parts(for: .text(String(repeating: "a", count: 307), from: "Shop", to: "4477"), reference: 1)
        }
        #expect(throws: SubmitBuilder.Failure.invalidField(.sourceAddress, "longer than 20 octets")) {
            try builder.parts(for: .text("Hi", from: "A-sender-name-far-too-long", to: "4477"), reference: 1)
        }
        do {
            _ = try builder.parts(for: .text("€", from: "Shop", to: "4477", encoding: .latin1), reference: 1)
            Issue.record("expected an unencodable character")
        } catch {
            guard case .unencodable(let encodingError) = error else {
                Issue.record("expected unencodable, got \(error)")
                return
            }
            #expect(encodingError.character == "€")
        }
    }
}
