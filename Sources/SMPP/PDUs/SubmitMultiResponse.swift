internal import NIOCore

/// The body of submit_multi_resp: the message id and the destinations that failed.
public struct SubmitMultiResponse: Hashable, Sendable {
    /// One destination the SMSC could not accept, with the reason.
    public struct UnsuccessfulDelivery: Hashable, Sendable {
        public var address: Address
        public var errorStatus: CommandStatus

        public init(address: Address, errorStatus: CommandStatus) {
            self.address = address
            self.errorStatus = errorStatus
        }
    }

    public var messageID: String
    public var unsuccessful: [UnsuccessfulDelivery]
    /// Allowed by SMPP 5.0; kept when a peer sends them.
    public var tlvs: TLVs

    public init(messageID: String = "", unsuccessful: [UnsuccessfulDelivery] = [], tlvs: TLVs = []) {
        self.messageID = messageID
        self.unsuccessful = unsuccessful
        self.tlvs = tlvs
    }
}

extension SubmitMultiResponse {
    init(decoding body: inout ByteBuffer, limits: FieldLimits) throws(SMPPDecodingError) {
        self.messageID = try body.readSMPPCString(.messageID, maxLength: limits.maximum(65))
        let count = try body.readSMPPInteger(.numberOfUnsuccessful, as: UInt8.self)
        var unsuccessful: [UnsuccessfulDelivery] = []
        unsuccessful.reserveCapacity(Int(count))
        for _ in 0..<count {
            let address = try body.readSMPPAddress(.destinationAddress, maxLength: limits.maximum(21))
            let status = try body.readSMPPInteger(.errorStatusCode, as: UInt32.self)
            unsuccessful.append(UnsuccessfulDelivery(address: address, errorStatus: CommandStatus(rawValue: status)))
        }
        self.unsuccessful = unsuccessful
        self.tlvs = try body.readSMPPTLVs(limits)
    }

    func encode(into buffer: inout ByteBuffer) throws(SMPPEncodingError) {
        try buffer.writeSMPPCString(self.messageID, .messageID, maxLength: 65)
        guard self.unsuccessful.count <= 255 else {
            throw SMPPEncodingError(.tooManyEntries(.numberOfUnsuccessful, count: self.unsuccessful.count))
        }
        buffer.writeInteger(UInt8(self.unsuccessful.count))
        for entry in self.unsuccessful {
            try buffer.writeSMPPAddress(entry.address, .destinationAddress, maxLength: 21)
            buffer.writeInteger(entry.errorStatus.rawValue)
        }
        try buffer.writeSMPPTLVs(self.tlvs)
    }
}
