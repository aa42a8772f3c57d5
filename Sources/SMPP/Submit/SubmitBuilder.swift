public import NIOCore

/// Turns an ``OutgoingMessage`` into submit_sm parts: TON/NPI chosen by policy, the encoding (GSM-7
/// when every character fits, else UCS-2, unless the message says), data_coding per alphabet, the
/// long-message method, a maximum number of parts, registered_delivery. A text that needs more parts
/// than allowed, or has a character its encoding cannot carry, is refused — never cut.
public struct SubmitBuilder: Sendable, Hashable {
    public var sourceAddress: AddressPolicy = .detect
    public var destinationAddress: AddressPolicy = .detect
    public var dataCodings = DataCodings()
    public var longMessages: ConcatenationMethod = .udh8
    /// The most parts a message may need. Default 10.
    public var maximumParts: Int = 10
    /// registered_delivery of messages that do not say. Default a receipt on the final outcome.
    public var registeredDelivery: RegisteredDelivery = .receipt
    /// priority_flag for the messages an application calls urgent (it sets
    /// ``OutgoingMessage/priorityFlag`` to this one). Default 1.
    public var urgentPriorityFlag: UInt8 = 1

    public init() {}

    /// Why a message cannot be sent as it is.
    public enum Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// A character its encoding cannot carry.
        case unencodable(TextEncodingError)
        /// The text needs more parts than allowed.
        case tooManyParts(needed: Int, maximum: Int)
        /// Longer than one `message_payload` can carry.
        case payloadTooLong(octets: Int, maximum: Int)
        /// A field does not fit the protocol (e.g. a sender longer than 20 octets).
        case invalidField(PDUField, String)

        public var description: String {
            switch self {
            case .unencodable(let error): "\(error)"
            case .tooManyParts(let needed, let maximum):
                "the text needs \(needed) parts; at most \(maximum) are allowed"
            case .payloadTooLong(let octets, let maximum): "\(octets) octets exceed the payload maximum of \(maximum)"
            case .invalidField(let field, let reason): "\(field): \(reason)"
            }
        }
    }

    /// The encoding a text goes out in: the one asked for, or GSM-7 when every character fits, else UCS-2.
    public func encoding(for message: OutgoingMessage) -> TextEncoding? {
        guard case .text(let text, let encoding) = message.body else { return nil }
        return encoding ?? TextEncoding.automatic(for: text)
    }

    /// A part as built: its submit_sm body, and the body encoded as a frame (sequence number 1).
    public struct EncodedPart: Sendable {
        public var pdu: SubmitSM
        public var frame: ByteBuffer
    }

    /// The submit_sm bodies of a message, in order. `reference` is the concatenation reference the
    /// parts share; pick a different one for each message to a handset.
    public func parts(for message: OutgoingMessage, reference: UInt16) throws(Failure) -> [SubmitSM] {
        let parts = try self.build(message, reference: reference)
        // Encode once, so that what the encoder would refuse is refused here, with the field.
        var scratch = ByteBuffer()
        for part in parts {
            try Self.encode(part, into: &scratch)
            scratch.clear()
        }
        return parts
    }

    /// The parts of a message with their encoded frames, for a caller that keeps the encoded form
    /// (the bridge stores it): each part is encoded once, and what the encoder would refuse is
    /// refused here, with the field.
    public func encodedParts(for message: OutgoingMessage, reference: UInt16) throws(Failure) -> [EncodedPart] {
        var encoded: [EncodedPart] = []
        for part in try self.build(message, reference: reference) {
            var frame = ByteBuffer()
            try Self.encode(part, into: &frame)
            encoded.append(EncodedPart(pdu: part, frame: frame))
        }
        return encoded
    }

    private func build(_ message: OutgoingMessage, reference: UInt16) throws(Failure) -> [SubmitSM] {
        let template = SubmitSM(
            serviceType: message.serviceType,
            source: self.sourceAddress.address(message.from),
            destination: self.destinationAddress.address(message.to),
            priorityFlag: message.priorityFlag,
            scheduleDeliveryTime: message.scheduleDeliveryTime,
            validityPeriod: message.validity.map(OutgoingMessage.relativeValidity) ?? "",
            registeredDelivery: message.registeredDelivery ?? self.registeredDelivery,
            tlvs: message.tlvs
        )
        let segmenter: MessageSegmenter
        do {
            segmenter = try MessageSegmenter(
                configuration: .init(method: self.longMessages, maximumParts: self.maximumParts)
            )
        } catch {
            throw .invalidField(.shortMessage, "\(error)")
        }
        var parts: [SubmitSM]
        do {
            switch message.body {
            case .text(let text, let encoding):
                let encoding = encoding ?? TextEncoding.automatic(for: text)
                let dataCoding = self.dataCodings.dataCoding(for: encoding)
                parts = try segmenter.segments(for: text, encoding: encoding, reference: reference).map { segment in
                    var part = template.applying(segment)
                    part.dataCoding = dataCoding
                    return part
                }
            case .binary(let octets, let dataCoding):
                parts = try segmenter.segments(forBinary: octets, dataCoding: dataCoding, reference: reference)
                    .map { template.applying($0) }
            }
        } catch {
            switch error {
            case .unencodable(let error): throw .unencodable(error)
            case .tooManyParts(let needed, let maximum): throw .tooManyParts(needed: needed, maximum: maximum)
            case .payloadTooLong(let octets, let maximum): throw .payloadTooLong(octets: octets, maximum: maximum)
            case .invalidConfiguration(let key, let reason): throw .invalidField(.shortMessage, "\(key): \(reason)")
            }
        }
        return parts
    }

    /// Appends `part` as a frame (sequence number 1); an encoder's refusal becomes the field's failure.
    private static func encode(_ part: SubmitSM, into buffer: inout ByteBuffer) throws(Failure) {
        do {
            try buffer.writeSMPPFrame(SMPPFrame(.submitSM(part), sequenceNumber: 1))
        } catch {
            switch error.kind {
            case .valueTooLong(let field, _, let maximum):
                throw .invalidField(field, "longer than \(maximum - 1) octets")
            case .containsNUL(let field):
                throw .invalidField(field, "contains a NUL character")
            case .invalidTimeLength(let field, _):
                throw .invalidField(field, "not an SMPP time")
            default:
                throw .invalidField(.shortMessage, "\(error)")
            }
        }
    }
}
