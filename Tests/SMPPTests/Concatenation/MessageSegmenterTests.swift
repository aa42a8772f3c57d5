import NIOCore
import SMPP
import Testing

@Suite struct MessageSegmenterTests {
    typealias Support = TextTestSupport

    static func segmenter(
        _ method: ConcatenationMethod = .udh8,
        maximumParts: Int = 255,
        packs: Bool = false,
        graphemes: Bool = true,
        extra: [UserDataHeader.Element] = []
    ) throws -> MessageSegmenter {
        try MessageSegmenter(
            configuration: .init(
                method: method,
                maximumParts: maximumParts,
                packsGSM7: packs,
                prefersGraphemeBoundaries: graphemes,
                additionalHeaderElements: extra
            )
        )
    }

    static func units(_ segments: [MessageSegment]) -> [Int] {
        segments.map(\.unitCount)
    }

    // MARK: Part counts at the boundaries (SMPP.md §9.4)

    @Test(arguments: [
        (ConcatenationMethod.udh8, TextEncoding.gsm7, 160, [160]),
        (.udh8, .gsm7, 161, [153, 8]),
        (.udh8, .gsm7, 306, [153, 153]),
        (.udh8, .gsm7, 307, [153, 153, 1]),
        (.udh16, .gsm7, 160, [160]),
        (.udh16, .gsm7, 161, [152, 9]),
        (.udh16, .gsm7, 304, [152, 152]),
        (.udh16, .gsm7, 305, [152, 152, 1]),
        (.sar, .gsm7, 161, [153, 8]),
        (.sar, .gsm7, 306, [153, 153]),
        (.udh8, .latin1, 140, [140]),
        (.udh8, .latin1, 141, [134, 7]),
        (.udh16, .latin1, 267, [133, 133, 1]),
        (.sar, .ascii, 268, [134, 134]),
    ])
    func singleByteBoundaries(method: ConcatenationMethod, encoding: TextEncoding, length: Int, expected: [Int]) throws
    {
        let text = String(repeating: "a", count: length)
        let segments = try Self.segmenter(method).segments(for: text, encoding: encoding, reference: 1)
        #expect(Self.units(segments) == expected)
        #expect(try Self.segmenter(method).partCount(for: text, encoding: encoding) == expected.count)
    }

    @Test(arguments: [
        (ConcatenationMethod.udh8, 70, [70]),
        (.udh8, 71, [67, 4]),
        (.udh8, 134, [67, 67]),
        (.udh8, 135, [67, 67, 1]),
        (.udh16, 71, [66, 5]),
        (.udh16, 132, [66, 66]),
        (.sar, 71, [67, 4]),
    ])
    func ucs2Boundaries(method: ConcatenationMethod, length: Int, expected: [Int]) throws {
        let text = String(repeating: "ж", count: length)
        let segments = try Self.segmenter(method).segments(for: text, encoding: .ucs2, reference: 1)
        #expect(Self.units(segments) == expected)
        // 8-bit part sizes of UCS-2 are even, and never above 140 octets with the header.
        for segment in segments {
            #expect((segment.userData.readableBytes - segment.userDataHeaderLength) % 2 == 0)
            #expect(segment.userData.readableBytes <= 140)
        }
    }

    @Test func binaryBoundaries() throws {
        let segmenter = try Self.segmenter()
        #expect(
            Self.units(try segmenter.segments(forBinary: [UInt8](repeating: 0xFF, count: 140), reference: 1)) == [140]
        )
        let parts = try segmenter.segments(forBinary: [UInt8](repeating: 0xFF, count: 141), reference: 1)
        #expect(Self.units(parts) == [134, 7])
        #expect(parts.allSatisfy { $0.dataCoding == .binary })
        let udh16 = try Self.segmenter(.udh16).segments(
            forBinary: [UInt8](repeating: 0, count: 267),
            dataCoding: DataCoding(rawValue: 0xF5),
            reference: 1
        )
        #expect(Self.units(udh16) == [133, 133, 1])
        #expect(udh16[0].dataCoding.rawValue == 0xF5)
    }

    @Test func euroCountsTwiceAgainstCapacity() throws {
        // 157 characters with three € are 160 septets: still one SMS; one more character is not.
        let fits = String(repeating: "a", count: 154) + "€€€"
        #expect(Self.units(try Self.segmenter().segments(for: fits, encoding: .gsm7, reference: 1)) == [160])
        let over = fits + "a"
        #expect(Self.units(try Self.segmenter().segments(for: over, encoding: .gsm7, reference: 1)) == [153, 8])
    }

    // MARK: Split points

    @Test func escapePairAtBoundaryMovesToNextPart() throws {
        let text = String(repeating: "a", count: 152) + "€" + String(repeating: "b", count: 10)
        let segments = try Self.segmenter().segments(for: text, encoding: .gsm7, reference: 9)
        #expect(Self.units(segments) == [152, 12])
        #expect(segments[0].userData.readableBytesView.last == 0x61)
        #expect(Support.hex(segments[1].userData.readableBytesView.dropFirst(6).prefix(3)) == "1B6562")
    }

    @Test func surrogatePairAtBoundaryMovesToNextPart() throws {
        let text = String(repeating: "ж", count: 66) + "😀" + String(repeating: "ж", count: 10)
        let segments = try Self.segmenter().segments(for: text, encoding: .ucs2, reference: 9)
        #expect(Self.units(segments) == [66, 12])
        #expect(Support.hex(segments[1].userData.readableBytesView.dropFirst(6).prefix(4)) == "D83DDE00")
    }

    @Test func graphemeClustersStayTogetherWhenItCostsNoPart() throws {
        // 65 + 🇩🇪 (two scalars, four units) + 10: a plain cut at 67 would split the flag.
        let text = String(repeating: "ж", count: 65) + "🇩🇪" + String(repeating: "ж", count: 10)
        #expect(Self.units(try Self.segmenter().segments(for: text, encoding: .ucs2, reference: 1)) == [65, 14])
        #expect(
            Self.units(try Self.segmenter(graphemes: false).segments(for: text, encoding: .ucs2, reference: 1)) == [
                67, 12,
            ]
        )
        // A ZWJ family of eight units straddling the cut.
        let family = String(repeating: "ж", count: 63) + "👨‍👩‍👧" + "ж"
        #expect(Self.units(try Self.segmenter().segments(for: family, encoding: .ucs2, reference: 1)) == [63, 9])
    }

    @Test func graphemePreferenceNeverCostsAPart() throws {
        // Exactly two full parts: keeping the flag together would need a third, so the plain cut stays.
        let text = String(repeating: "ж", count: 65) + "🇩🇪" + String(repeating: "ж", count: 65)
        #expect(UCS2.unitCount(of: text) == 134)
        #expect(Self.units(try Self.segmenter().segments(for: text, encoding: .ucs2, reference: 1)) == [67, 67])
    }

    @Test func clusterLongerThanAPartIsCutAtScalars() throws {
        // One user-perceived character of 1 + 100 combining marks.
        let text = "a" + String(repeating: "\u{301}", count: 100)
        #expect(text.count == 1)
        #expect(Self.units(try Self.segmenter().segments(for: text, encoding: .ucs2, reference: 1)) == [67, 34])
    }

    // MARK: Headers and carriers

    @Test func udh8HeadersAreNumbered() throws {
        let text = String(repeating: "x", count: 400)
        let segments = try Self.segmenter().segments(for: text, encoding: .gsm7, reference: 0x012A)
        #expect(segments.count == 3)
        for (index, segment) in segments.enumerated() {
            #expect(Support.hex(segment.userData.readableBytesView.prefix(6)) == "0500032A030\(index + 1)")
            #expect(segment.hasUserDataHeader)
            #expect(segment.userDataHeaderLength == 6)
            #expect(segment.concatenation == ConcatenationInfo(reference: 0x2A, total: 3, sequence: UInt8(index + 1)))
            #expect(segment.carrier == .shortMessage)
            #expect(segment.dataCoding == .smscDefault)
            #expect(segment.sar == nil)
        }
        #expect(segments[0].userData.readableBytes == 159)
    }

    @Test func udh16HeadersCarryTheWholeReference() throws {
        let text = String(repeating: "ж", count: 100)
        let segments = try Self.segmenter(.udh16).segments(for: text, encoding: .ucs2, reference: 0xBEEF)
        #expect(
            segments.map { Support.hex($0.userData.readableBytesView.prefix(7)) } == [
                "060804BEEF0201", "060804BEEF0202",
            ]
        )
        #expect(segments.allSatisfy { $0.dataCoding == .ucs2 })
        #expect(segments[0].userData.readableBytes == 7 + 132)
    }

    @Test func singleMessageHasNoHeaderNorNumbers() throws {
        for method in ConcatenationMethod.allCases where method != .payload {
            let segments = try Self.segmenter(method).segments(for: "Hello", encoding: .gsm7, reference: 5)
            #expect(segments.count == 1)
            #expect(!segments[0].hasUserDataHeader)
            #expect(segments[0].concatenation == nil)
            #expect(segments[0].sar == nil)
            #expect(Support.hex(segments[0].userData) == "48656C6C6F")
        }
        let empty = try Self.segmenter().segments(for: "", encoding: .ucs2, reference: 5)
        #expect(empty.count == 1 && empty[0].userData.readableBytes == 0)
    }

    @Test func sarPartsHaveNoHeader() throws {
        let segments = try Self.segmenter(.sar).segments(
            for: String(repeating: "z", count: 200),
            encoding: .gsm7,
            reference: 0x0305
        )
        #expect(segments.count == 2)
        #expect(segments.allSatisfy { !$0.hasUserDataHeader })
        #expect(
            segments.map(\.sar) == [
                ConcatenationInfo(reference: 0x0305, total: 2, sequence: 1),
                ConcatenationInfo(reference: 0x0305, total: 2, sequence: 2),
            ]
        )
        #expect(segments[0].userData.readableBytes == 153)
    }

    @Test func payloadCarriesEverythingOnce() throws {
        let text = String(repeating: "p", count: 1_000)
        let segments = try Self.segmenter(.payload).segments(for: text, encoding: .gsm7, reference: 1)
        #expect(segments.count == 1)
        #expect(segments[0].carrier == .messagePayload)
        #expect(segments[0].userData.readableBytes == 1_000)
        #expect(segments[0].concatenation == nil)
        #expect(throws: SegmentationError.payloadTooLong(octets: 65_536, maximum: 65_535)) {
            try Self.segmenter(.payload).segments(forBinary: [UInt8](repeating: 0, count: 65_536), reference: 1)
        }
    }

    @Test func portAddressingGoesInEveryHeader() throws {
        let ports = UserDataHeader.Element.applicationPorts(ApplicationPorts(destination: 0x0B84, originator: 0x23F0))
        let segmenter = try Self.segmenter(extra: [ports])
        let single = try segmenter.segments(forBinary: [UInt8](repeating: 1, count: 133), reference: 7)
        #expect(single.count == 1)
        #expect(Support.hex(single[0].userData.readableBytesView.prefix(7)) == "0605040B8423F0")
        let parts = try segmenter.segments(forBinary: [UInt8](repeating: 1, count: 134), reference: 7)
        #expect(Self.units(parts) == [128, 6])
        #expect(Support.hex(parts[1].userData.readableBytesView.prefix(12)) == "0B05040B8423F0000307020" + "2")
    }

    @Test func packedGSM7UsesFillBits() throws {
        let segmenter = try Self.segmenter(packs: true)
        let single = try segmenter.segments(for: String(repeating: "a", count: 160), encoding: .gsm7, reference: 1)
        #expect(single[0].userData.readableBytes == 140)
        let text = "hellohello" + String(repeating: "a", count: 151)
        let parts = try segmenter.segments(for: text, encoding: .gsm7, reference: 0x2A)
        #expect(Self.units(parts) == [153, 8])
        #expect(parts[0].userData.readableBytes == 140)
        // After the 6-octet UDH, one fill bit: "hellohello" shifted left by one (its last octet
        // also holds bits of the next character, so compare the first eight).
        #expect(Support.hex(parts[0].userData.readableBytesView.prefix(14)) == "0500032A0201" + "D06536FB8D2EB3D9")
        let septets = GSM7.unpack(parts[0].userData.readableBytesView.dropFirst(6), septetCount: 153, fillBits: 1)
        #expect(GSM7.string(fromSeptets: septets) == String(text.prefix(153)))
    }

    // MARK: Refusals

    @Test func tooManyPartsNamesTheNeed() throws {
        let text = String(repeating: "a", count: 153 * 3 + 1)
        #expect(throws: SegmentationError.tooManyParts(needed: 4, maximum: 3)) {
            try Self.segmenter(maximumParts: 3).segments(for: text, encoding: .gsm7, reference: 1)
        }
        #expect(throws: SegmentationError.tooManyParts(needed: 4, maximum: 2)) {
            try Self.segmenter().segments(for: text, encoding: .gsm7, reference: 1, maximumParts: 2)
        }
        #expect(
            try Self.segmenter().segments(for: String(repeating: "a", count: 153 * 255), encoding: .gsm7, reference: 1)
                .count == 255
        )
        #expect(throws: SegmentationError.tooManyParts(needed: 256, maximum: 255)) {
            try Self.segmenter().segments(
                for: String(repeating: "a", count: 153 * 255 + 1),
                encoding: .gsm7,
                reference: 1
            )
        }
        let description = SegmentationError.tooManyParts(needed: 4, maximum: 3).description
        #expect(description == "the message needs 4 parts, more than the maximum of 3")
    }

    @Test func unencodableTextIsRefused() throws {
        #expect(
            throws: SegmentationError.unencodable(
                TextEncodingError(encoding: .gsm7, character: "😀", characterOffset: 3)
            )
        ) {
            try Self.segmenter().segments(for: "Hi 😀", encoding: .gsm7, reference: 1)
        }
    }

    @Test func invalidConfigurationNamesTheKey() {
        #expect(throws: SegmentationError.invalidConfiguration(key: "maximumParts", reason: "must be 1–255, got 0")) {
            try Self.segmenter(maximumParts: 0)
        }
        #expect(throws: SegmentationError.self) {
            try Self.segmenter(maximumParts: 256)
        }
        #expect(
            throws: SegmentationError.invalidConfiguration(
                key: "additionalHeaderElements",
                reason: "concatenation elements are added by the segmenter"
            )
        ) {
            try Self.segmenter(extra: [.concatenation(reference: 1, total: 1, sequence: 1)])
        }
        #expect(throws: SegmentationError.self) {
            try Self.segmenter(extra: [UserDataHeader.Element(identifier: 0x70, data: Array(repeating: 0, count: 130))])
        }
    }
}
