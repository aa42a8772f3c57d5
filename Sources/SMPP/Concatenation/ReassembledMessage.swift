public import NIOCore

/// A message put back together from its parts, or the parts of an incomplete one that timed out or
/// was evicted.
///
/// The user data of the parts is concatenated with their UDHs stripped, so that the text is decoded
/// once, after concatenation (an ESC pair or a surrogate pair cut by the sender decodes correctly).
public struct ReassembledMessage: Hashable, Sendable {
    /// One received part.
    public struct Part: Hashable, Sendable {
        /// The part number, 1…`total` (1 for a message that was not concatenated).
        public var sequence: UInt8
        /// The part's UDH, when its esm_class had UDHI.
        public var header: UserDataHeader?
        /// The part's user data after the UDH.
        public var userData: ByteBuffer
        /// The part's own data_coding.
        public var dataCoding: DataCoding
        /// The part's own esm_class.
        public var esmClass: ESMClass

        public init(
            sequence: UInt8,
            header: UserDataHeader?,
            userData: ByteBuffer,
            dataCoding: DataCoding,
            esmClass: ESMClass
        ) {
            self.sequence = sequence
            self.header = header
            self.userData = userData
            self.dataCoding = dataCoding
            self.esmClass = esmClass
        }
    }

    public var source: Address
    public var destination: Address
    /// The concatenation reference, or `nil` for a message that came in one PDU.
    public var reference: UInt16?
    /// The number of parts the message announced (1 when not concatenated).
    public var total: Int
    /// The data_coding of the first received part (parts of one message should agree).
    public var dataCoding: DataCoding
    /// The received parts, in part-number order.
    public var parts: [Part]
    /// The user data of the received parts in order, UDHs stripped.
    public var userData: ByteBuffer
    /// When the first part arrived.
    public var firstReceived: ContinuousClock.Instant

    public init(
        source: Address,
        destination: Address,
        reference: UInt16?,
        total: Int,
        parts: [Part],
        firstReceived: ContinuousClock.Instant
    ) {
        self.source = source
        self.destination = destination
        self.reference = reference
        self.total = total
        self.dataCoding = parts.first?.dataCoding ?? .smscDefault
        self.parts = parts
        var userData = ByteBufferAllocator().buffer(capacity: parts.reduce(0) { $0 + $1.userData.readableBytes })
        for part in parts {
            userData.writeImmutableBuffer(part.userData)
        }
        self.userData = userData
        self.firstReceived = firstReceived
    }

    /// Whether every announced part arrived.
    public var isComplete: Bool {
        self.parts.count == self.total
    }

    /// The part numbers that did not arrive, in order.
    public var missingSequences: [UInt8] {
        guard !self.isComplete else { return [] }
        var present = [Bool](repeating: false, count: self.total + 1)
        for part in self.parts { present[Int(part.sequence)] = true }
        return (1...self.total).filter { !present[$0] }.map { UInt8($0) }
    }

    /// The application ports of the first part's UDH, if any.
    public var applicationPorts: ApplicationPorts? {
        self.parts.first?.header?.applicationPorts
    }

    /// Decodes the parts' user data as text, each run of parts with its own data_coding (see
    /// ``ConcatenatedText``), or `nil` when a part is binary or of an unsupported data_coding.
    ///
    /// With `packedGSM7`, GSM-7 parts are unpacked one by one (each after its own fill bits) and
    /// their septets decoded together.
    public func text(smscDefault: TextEncoding = .gsm7, packedGSM7: Bool = false) -> String? {
        let isGSM7 =
            self.dataCoding == .smscDefault ? smscDefault == .gsm7 : self.dataCoding.alphabet == .gsm7
        guard packedGSM7, isGSM7 else {
            return ConcatenatedText(
                parts: self.parts.map { ($0.dataCoding, $0.userData.readableBytesView) },
                smscDefault: smscDefault
            ).text
        }
        var septets: [UInt8] = []
        for part in self.parts {
            let fillBits = GSM7.fillBits(afterHeaderOfLength: part.header?.encodedLength ?? 0)
            septets += GSM7.unpack(part.userData.readableBytesView, fillBits: fillBits)
        }
        return GSM7.string(fromSeptets: septets)
    }
}
