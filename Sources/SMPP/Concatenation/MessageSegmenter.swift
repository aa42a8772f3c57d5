internal import NIOCore

/// Cuts a text or binary message into the parts of a concatenated SMS (SMPP.md §9.4, §10).
///
/// Part sizes follow §9.4: GSM-7 160 septets in one SMS, 153 per part with an 8-bit reference (or
/// SAR), 152 with a 16-bit reference; 8-bit data 140 / 134 / 133 octets; UCS-2 70 / 67 / 66 code
/// units (so 8-bit part sizes of UCS-2 are always even). Extra header elements (port addressing)
/// reduce these by their size. A message that fits one SMS gets no UDH concatenation element and no
/// SAR TLVs.
///
/// Split rules: a part never ends between ESC and its code (the pair moves to the next part, which
/// leaves that part one septet short) nor between the two code units of a surrogate pair. With
/// ``Configuration/prefersGraphemeBoundaries``, UCS-2 parts also end on a grapheme-cluster boundary
/// (no flag, skin-tone or ZWJ emoji sequence cut in two) whenever that needs no more parts than the
/// plain cut; otherwise the plain cut is kept. GSM-7, ASCII and Latin-1 texts are cut on unit
/// boundaries only: there the only multi-scalar cluster their alphabets can form is CR LF.
///
/// The gateway refuses a message that needs more than the allowed number of parts
/// (``SegmentationError/tooManyParts(needed:maximum:)``); it never cuts text off. The parts' user
/// data share one buffer allocation.
public struct MessageSegmenter: Hashable, Sendable {
    /// How to segment, chosen per SMSC connection.
    public struct Configuration: Hashable, Sendable {
        /// How parts are numbered and carried. Default ``ConcatenationMethod/udh8``.
        public var method: ConcatenationMethod
        /// The most parts a message may need, 1–255. Default 255.
        public var maximumParts: Int
        /// Whether GSM-7 text is packed eight septets in seven octets (after fill bits following a
        /// UDH) instead of one septet per octet. Default `false`, what most SMSCs expect.
        public var packsGSM7: Bool
        /// Whether UCS-2 parts end on grapheme-cluster boundaries when that costs no extra part.
        /// Default `true`.
        public var prefersGraphemeBoundaries: Bool
        /// Elements to put in every part's UDH besides concatenation, such as application port
        /// addressing; a message then has a UDH even in one part. Default none.
        public var additionalHeaderElements: [UserDataHeader.Element]

        public init(
            method: ConcatenationMethod = .udh8,
            maximumParts: Int = 255,
            packsGSM7: Bool = false,
            prefersGraphemeBoundaries: Bool = true,
            additionalHeaderElements: [UserDataHeader.Element] = []
        ) {
            self.method = method
            self.maximumParts = maximumParts
            self.packsGSM7 = packsGSM7
            self.prefersGraphemeBoundaries = prefersGraphemeBoundaries
            self.additionalHeaderElements = additionalHeaderElements
        }
    }

    /// The most octets of user data one SMS carries.
    public static let userDataCapacity = 140
    /// The most octets one `message_payload` TLV carries.
    public static let payloadCapacity = 65_535
    /// The most parts the one-octet part counters allow.
    public static let partLimit = 255

    /// The validated configuration.
    public let configuration: Configuration
    /// The encoded additional elements (without UDHL).
    private let additionalHeader: [UInt8]

    /// Creates a segmenter after checking the configuration.
    ///
    /// - Throws: ``SegmentationError/invalidConfiguration(key:reason:)`` when `maximumParts` is not
    ///   1–255, or the additional elements are malformed, include a concatenation element, or leave
    ///   too little room for text.
    public init(configuration: Configuration = Configuration()) throws(SegmentationError) {
        guard (1...Self.partLimit).contains(configuration.maximumParts) else {
            throw .invalidConfiguration(
                key: "maximumParts",
                reason: "must be 1–\(Self.partLimit), got \(configuration.maximumParts)"
            )
        }
        let elements = configuration.additionalHeaderElements
        if elements.contains(where: {
            $0.identifier == UserDataHeader.Element.concatenation8BitIdentifier
                || $0.identifier == UserDataHeader.Element.concatenation16BitIdentifier
        }) {
            throw .invalidConfiguration(
                key: "additionalHeaderElements",
                reason: "concatenation elements are added by the segmenter"
            )
        }
        let encoded: [UInt8]
        do {
            encoded = try UserDataHeader(elements: elements).encoded()
        } catch {
            throw .invalidConfiguration(key: "additionalHeaderElements", reason: error.description)
        }
        // The largest header (16-bit concatenation element) must leave room for two UCS-2 units.
        guard encoded.count + 6 <= Self.userDataCapacity - 4 else {
            throw .invalidConfiguration(
                key: "additionalHeaderElements",
                reason: "\(encoded.count - 1) octets leave too little room for text"
            )
        }
        self.configuration = configuration
        self.additionalHeader = Array(encoded.dropFirst())
    }

    /// Encodes `text` and cuts it into parts.
    ///
    /// - Parameters:
    ///   - reference: the concatenation reference shared by the parts (only its low 8 bits with
    ///     ``ConcatenationMethod/udh8``); pick it per destination so concurrent messages differ.
    ///   - maximumParts: a stricter limit for this message than the configuration's, if any.
    /// - Throws: ``SegmentationError/unencodable(_:)`` for a character outside `encoding`,
    ///   ``SegmentationError/tooManyParts(needed:maximum:)`` or
    ///   ``SegmentationError/payloadTooLong(octets:maximum:)``.
    public func segments(
        for text: String,
        encoding: TextEncoding,
        reference: UInt16,
        maximumParts: Int? = nil
    ) throws(SegmentationError) -> [MessageSegment] {
        let units: [UInt8]
        do {
            units = try encoding.encode(text)
        } catch {
            throw .unencodable(error)
        }
        let kind = UnitKind(encoding)
        return try self.makeSegments(
            units: units,
            kind: kind,
            dataCoding: encoding.dataCoding,
            reference: reference,
            maximumParts: maximumParts,
            graphemeSource: kind == .utf16 && self.configuration.prefersGraphemeBoundaries ? text : nil
        )
    }

    /// Cuts binary user data (no UDH of its own) into parts; any octet boundary is a split point.
    public func segments(
        forBinary octets: some Collection<UInt8>,
        dataCoding: DataCoding = .binary,
        reference: UInt16,
        maximumParts: Int? = nil
    ) throws(SegmentationError) -> [MessageSegment] {
        try self.makeSegments(
            units: Array(octets),
            kind: .octet,
            dataCoding: dataCoding,
            reference: reference,
            maximumParts: maximumParts,
            graphemeSource: nil
        )
    }

    /// The number of parts `text` needs in `encoding` (1 with ``ConcatenationMethod/payload``),
    /// without building them and whatever the maximum.
    public func partCount(for text: String, encoding: TextEncoding) throws(SegmentationError) -> Int {
        let units: [UInt8]
        do {
            units = try encoding.encode(text)
        } catch {
            throw .unencodable(error)
        }
        let kind = UnitKind(encoding)
        let plan = units.withUnsafeBufferPointer { self.plan(units: $0, kind: kind, graphemeSource: nil) }
        return plan.ends.count
    }

    // MARK: - Cutting

    /// The unit a part size is counted in.
    enum UnitKind {
        case septet, octet, utf16

        init(_ encoding: TextEncoding) {
            switch encoding {
            case .gsm7: self = .septet
            case .ascii, .latin1: self = .octet
            case .ucs2: self = .utf16
            }
        }

        var size: Int { self == .utf16 ? 2 : 1 }

        /// How many units fit beside a UDH of `headerLength` octets (UDHL included, 0 for none).
        func capacity(headerLength: Int) -> Int {
            let octets = MessageSegmenter.userDataCapacity - headerLength
            switch self {
            case .septet: return octets * 8 / 7
            case .octet: return octets
            case .utf16: return octets / 2
            }
        }
    }

    /// Where the parts end (in units), and whether they are numbered.
    struct Plan {
        var ends: [Int]
        var isConcatenated: Bool
    }

    /// The UDH length of every part, UDHL included: additional elements, plus the concatenation
    /// element when the parts carry one in their header.
    private func headerLength(concatenated: Bool) -> Int {
        var length = self.additionalHeader.count
        if concatenated {
            switch self.configuration.method {
            case .udh8: length += 5
            case .udh16: length += 6
            case .sar, .payload: break
            }
        }
        return length == 0 ? 0 : length + 1
    }

    private func plan(units: UnsafeBufferPointer<UInt8>, kind: UnitKind, graphemeSource: String?) -> Plan {
        let count = units.count / kind.size
        if self.configuration.method == .payload {
            return Plan(ends: [count], isConcatenated: false)
        }
        if count <= kind.capacity(headerLength: self.headerLength(concatenated: false)) {
            return Plan(ends: [count], isConcatenated: false)
        }
        // SAR parts hold what a part with an 8-bit reference UDH holds: the SMSC adds that header.
        let sizingHeader =
            self.configuration.method == .sar
            ? self.additionalHeader.count + 5 + 1 : self.headerLength(concatenated: true)
        let capacity = kind.capacity(headerLength: sizingHeader)
        let ends = Self.ends(units: units, count: count, kind: kind, capacity: capacity)
        if let graphemeSource, ends.count > 1 {
            let refined = Self.graphemeEnds(text: graphemeSource, units: units, count: count, capacity: capacity)
            if refined.count == ends.count {
                return Plan(ends: refined, isConcatenated: true)
            }
        }
        return Plan(ends: ends, isConcatenated: true)
    }

    /// Greedy cut: as many units per part as fit, never splitting an ESC pair or a surrogate pair.
    static func ends(units: UnsafeBufferPointer<UInt8>, count: Int, kind: UnitKind, capacity: Int) -> [Int] {
        var ends: [Int] = []
        ends.reserveCapacity(count / capacity + 1)
        var start = 0
        while start < count {
            var end = min(start + capacity, count)
            if end < count, Self.splitsPair(units: units, kind: kind, before: end) {
                end -= 1
            }
            ends.append(end)
            start = end
        }
        return ends
    }

    /// Whether ending a part before unit `index` would separate ESC from its code or a high
    /// surrogate from its low one. (The encoders never emit ESC except as the first of a pair.)
    @inline(__always)
    static func splitsPair(units: UnsafeBufferPointer<UInt8>, kind: UnitKind, before index: Int) -> Bool {
        switch kind {
        case .septet: units[index - 1] == GSM7.escape
        case .utf16: units[2 * (index - 1)] & 0xFC == 0xD8
        case .octet: false
        }
    }

    /// Greedy cut that moves each end back to the last grapheme-cluster boundary inside the part,
    /// when there is one.
    static func graphemeEnds(text: String, units: UnsafeBufferPointer<UInt8>, count: Int, capacity: Int) -> [Int] {
        let utf16 = text.utf16
        let scalars = text.unicodeScalars
        var ends: [Int] = []
        ends.reserveCapacity(count / capacity + 1)
        var start = 0
        while start < count {
            var end = min(start + capacity, count)
            if end < count, Self.splitsPair(units: units, kind: .utf16, before: end) {
                end -= 1
            }
            if end < count, !Self.isCertainBoundary(units: units, before: end) {
                // String indices only here: UTF-16 offsets of native strings are found via breadcrumbs.
                var candidate = utf16.index(utf16.startIndex, offsetBy: end)
                var candidateEnd = end
                while candidateEnd > start, candidate.samePosition(in: text) == nil {
                    let previous = scalars.index(before: candidate)
                    candidateEnd -= scalars[previous].value > 0xFFFF ? 2 : 1
                    candidate = previous
                }
                if candidateEnd > start {
                    end = candidateEnd
                }
            }
            ends.append(end)
            start = end
        }
        return ends
    }

    /// A cheap sufficient test for a grapheme-cluster boundary before UTF-16 unit `index`: both
    /// neighbours are letters of scripts without combining or joining behaviour (printable ASCII,
    /// Latin-1 to spacing modifiers, Greek, basic Cyrillic, kana, CJK ideographs). No rule of
    /// UAX #29 (CR LF, Extend, ZWJ, SpacingMark, Prepend, Hangul, regional indicators, emoji,
    /// Indic conjuncts) can join two such characters.
    @inline(__always)
    static func isCertainBoundary(units: UnsafeBufferPointer<UInt8>, before index: Int) -> Bool {
        func unit(_ position: Int) -> UInt16 {
            UInt16(units[2 * position]) << 8 | UInt16(units[2 * position + 1])
        }
        func isSimple(_ unit: UInt16) -> Bool {
            switch unit {
            case 0x0020...0x007E, 0x00A0...0x02FF, 0x0370...0x03FF, 0x0400...0x0482, 0x048A...0x052F,
                0x3041...0x3096, 0x30A1...0x30FA, 0x4E00...0x9FFF:
                true
            default:
                false
            }
        }
        return isSimple(unit(index - 1)) && isSimple(unit(index))
    }

    // MARK: - Building

    private func makeSegments(
        units: [UInt8],
        kind: UnitKind,
        dataCoding: DataCoding,
        reference: UInt16,
        maximumParts: Int?,
        graphemeSource: String?
    ) throws(SegmentationError) -> [MessageSegment] {
        let limit = min(maximumParts ?? self.configuration.maximumParts, self.configuration.maximumParts)
        guard limit >= 1 else {
            throw .invalidConfiguration(key: "maximumParts", reason: "must be at least 1, got \(limit)")
        }
        let result: Result<[MessageSegment], SegmentationError> = units.withUnsafeBufferPointer { units in
            let plan = self.plan(units: units, kind: kind, graphemeSource: graphemeSource)
            if plan.ends.count > limit {
                return .failure(.tooManyParts(needed: plan.ends.count, maximum: limit))
            }
            return self.build(units: units, kind: kind, plan: plan, dataCoding: dataCoding, reference: reference)
        }
        return try result.get()
    }

    private func build(
        units: UnsafeBufferPointer<UInt8>,
        kind: UnitKind,
        plan: Plan,
        dataCoding: DataCoding,
        reference: UInt16
    ) -> Result<[MessageSegment], SegmentationError> {
        let method = self.configuration.method
        let packs = kind == .septet && self.configuration.packsGSM7
        let headerLength = self.headerLength(concatenated: plan.isConcatenated)
        let fillBits = packs ? GSM7.fillBits(afterHeaderOfLength: headerLength) : 0
        let total = plan.ends.count

        func bodyLength(_ unitCount: Int) -> Int {
            packs ? (fillBits + unitCount * 7 + 7) / 8 : unitCount * kind.size
        }

        var storageSize = 0
        var start = 0
        for end in plan.ends {
            storageSize += headerLength + bodyLength(end - start)
            start = end
        }
        if method == .payload, storageSize > Self.payloadCapacity {
            return .failure(.payloadTooLong(octets: storageSize, maximum: Self.payloadCapacity))
        }

        // Headers and bodies are laid out one after another in one buffer, written in one go; each
        // segment's user data is a slice of it.
        var storage = ByteBufferAllocator().buffer(capacity: storageSize)
        let base = storage.writerIndex
        storage.writeWithUnsafeMutableBytes(minimumWritableBytes: storageSize) { output in
            var written = 0
            var start = 0
            for (index, end) in plan.ends.enumerated() {
                if headerLength > 0 {
                    output[written] = UInt8(headerLength - 1)
                    written += 1
                    self.additionalHeader.withUnsafeBytes { extra in
                        UnsafeMutableRawBufferPointer(rebasing: output[written...]).copyMemory(from: extra)
                    }
                    written += self.additionalHeader.count
                    if plan.isConcatenated, method == .udh8 || method == .udh16 {
                        let sixteen = method == .udh16
                        output[written] =
                            sixteen
                            ? UserDataHeader.Element.concatenation16BitIdentifier
                            : UserDataHeader.Element.concatenation8BitIdentifier
                        output[written + 1] = sixteen ? 4 : 3
                        written += 2
                        if sixteen {
                            output[written] = UInt8(reference >> 8)
                            written += 1
                        }
                        output[written] = UInt8(truncatingIfNeeded: reference)
                        output[written + 1] = UInt8(total)
                        output[written + 2] = UInt8(truncatingIfNeeded: index + 1)
                        written += 3
                    }
                }
                let part = UnsafeBufferPointer(rebasing: units[(start * kind.size)..<(end * kind.size)])
                let body = UnsafeMutableRawBufferPointer(rebasing: output[written...])
                if packs {
                    written += GSM7.pack(part, fillBits: fillBits, into: body)
                } else {
                    body.copyMemory(from: UnsafeRawBufferPointer(part))
                    written += part.count
                }
                start = end
            }
            return written
        }

        var segments: [MessageSegment] = []
        segments.reserveCapacity(total)
        var offset = base
        start = 0
        for (index, end) in plan.ends.enumerated() {
            let length = headerLength + bodyLength(end - start)
            let concatenation: ConcatenationInfo?
            if plan.isConcatenated {
                concatenation = ConcatenationInfo(
                    reference: method == .udh8 ? reference & 0xFF : reference,
                    total: UInt8(total),
                    sequence: UInt8(truncatingIfNeeded: index + 1)
                )
            } else {
                concatenation = nil
            }
            segments.append(
                MessageSegment(
                    userData: storage.getSlice(at: offset, length: length) ?? ByteBuffer(),
                    hasUserDataHeader: headerLength > 0,
                    userDataHeaderLength: headerLength,
                    dataCoding: dataCoding,
                    carrier: method == .payload ? .messagePayload : .shortMessage,
                    method: method,
                    concatenation: concatenation,
                    unitCount: end - start
                )
            )
            offset += length
            start = end
        }
        return .success(segments)
    }
}
