import SMPP
import Testing

@Suite struct SMPPTimeTests {
    private func absolute(_ text: String) throws -> SMPPTime.Absolute {
        guard case .absolute(let time) = try SMPPTime(parsing: text) else {
            Issue.record("\(text) is not absolute")
            throw SMPPTimeError.invalidLength(0)
        }
        return time
    }

    private func relative(_ text: String) throws -> SMPPTime.Relative {
        guard case .relative(let period) = try SMPPTime(parsing: text) else {
            Issue.record("\(text) is not relative")
            throw SMPPTimeError.invalidLength(0)
        }
        return period
    }

    @Test func endOfYearInUTC() throws {
        let time = try self.absolute("251231235959000+")
        #expect(time.dateTime == CivilDateTime(year: 2025, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(time.tenths == 0)
        #expect(time.utcOffsetSeconds == 0)
        #expect(time.utcInstant == UTCInstant(secondsSinceEpoch: 1_767_225_599))
    }

    @Test func localNoonAtUTCPlusOneIsElevenUTC() throws {
        let time = try self.absolute("250101120000004+")
        #expect(time.offsetQuarterHours == 4)
        #expect(time.direction == .ahead)
        #expect(time.utcOffsetSeconds == 3600)
        #expect(time.utcInstant.description == "2025-01-01T11:00:00.000Z")
    }

    @Test func behindUTCAddsTheOffsetAndTenthsCount() throws {
        let time = try self.absolute("250101120000520-")  // 12:00:00.5 at UTC-05:00
        #expect(time.utcOffsetSeconds == -18_000)
        #expect(time.tenths == 5)
        #expect(time.utcInstant.description == "2025-01-01T17:00:00.500Z")
    }

    @Test func oneDayRelative() throws {
        let period = try self.relative("000001000000000R")
        #expect(period == (try SMPPTime.Relative(days: 1)))
        let base = UTCInstant(secondsSinceEpoch: 1_735_729_200)
        #expect(period.added(to: base) == base.adding(seconds: 86_400))
    }

    @Test func tenMinutesRelative() throws {
        let period = try self.relative("000000001000000R")
        #expect(period == (try SMPPTime.Relative(minutes: 10)))
        let base = UTCInstant(millisecondsSinceEpoch: 1_735_729_200_250)
        #expect(
            SMPPTime.relative(period).resolved(relativeTo: base)
                == UTCInstant(millisecondsSinceEpoch: 1_735_729_800_250)
        )
    }

    @Test(arguments: [
        "251231235959000+", "250101120000004+", "000001000000000R", "000000001000000R",
        "991231235959948-", "000101000000000-", "240229120000348+", "999999999999000R",
    ])
    func formatsBackByteForByte(text: String) throws {
        let time = try SMPPTime(parsing: text)
        #expect(time.description == text)
        #expect(SMPPTime(text) == time)
    }

    @Test func zeroOffsetKeepsItsSign() throws {
        #expect(try SMPPTime(parsing: "250101120000000-").description == "250101120000000-")
        #expect(try SMPPTime(parsing: "250101120000000-") != (try SMPPTime(parsing: "250101120000000+")))
    }

    @Test(arguments: [
        ("251301000000000+", SMPPTimeError.outOfRange(.month, 13)),
        ("250001000000000+", .outOfRange(.month, 0)),
        ("250100000000000+", .outOfRange(.day, 0)),
        ("250230000000000+", .outOfRange(.day, 30)),
        ("250229000000000+", .outOfRange(.day, 29)),
        ("250101240000000+", .outOfRange(.hour, 24)),
        ("250101236000000+", .outOfRange(.minute, 60)),
        ("250101235960000+", .outOfRange(.second, 60)),
        ("250101120000049+", .outOfRange(.utcOffset, 49)),
        ("250101120000099-", .outOfRange(.utcOffset, 99)),
        ("000001000000100R", .relativeSuffixNotZero),
        ("000001000000004R", .relativeSuffixNotZero),
        ("250101120000004Z", .invalidIndicator(UInt8(ascii: "Z"))),
        ("2501011200000 4+", .notADigit(position: 14)),
        ("x50101120000004+", .notADigit(position: 1)),
        ("25010112000000+", .invalidLength(15)),
        ("250101120000004+\0", .invalidLength(17)),
        ("", .invalidLength(0)),
    ])
    func invalidValuesAreRejected(text: String, error: SMPPTimeError) {
        #expect(throws: error) { try SMPPTime(parsing: text) }
        #expect(SMPPTime(text) == nil)
    }

    @Test func leapDayParses() throws {
        #expect(try self.absolute("240229000000000+").dateTime.day == 29)
    }

    @Test func emptyFieldIsNull() throws {
        #expect(try SMPPTime(field: "") == nil)
        #expect(try SMPPTime(field: "000001000000000R") == .relative(try SMPPTime.Relative(days: 1)))
        #expect(throws: SMPPTimeError.invalidLength(3)) { try SMPPTime(field: "abc") }
    }

    @Test func buildsFromAnInstant() throws {
        let instant = UTCInstant(millisecondsSinceEpoch: 1_735_729_200_789)  // 2025-01-01T11:00:00.789Z
        #expect(SMPPTime.absolute(try SMPPTime.Absolute(instant)).description == "250101110000700+")
        #expect(
            SMPPTime.absolute(try SMPPTime.Absolute(instant, utcOffsetQuarterHours: 4)).description
                == "250101120000704+"
        )
        #expect(
            SMPPTime.absolute(try SMPPTime.Absolute(instant, utcOffsetQuarterHours: -22)).description
                == "250101053000722-"
        )
        let back = try SMPPTime.Absolute(instant, utcOffsetQuarterHours: -22).utcInstant
        #expect(back == UTCInstant(millisecondsSinceEpoch: 1_735_729_200_700))
        #expect(throws: SMPPTimeError.outOfRange(.utcOffset, 49)) {
            try SMPPTime.Absolute(instant, utcOffsetQuarterHours: 49)
        }
        #expect(throws: SMPPTimeError.outOfRange(.year, 1999)) {
            try SMPPTime.Absolute(UTCInstant(secondsSinceEpoch: 946_684_799))  // 1999-12-31T23:59:59Z
        }
        #expect(throws: SMPPTimeError.outOfRange(.year, 2100)) {
            try SMPPTime.Absolute(UTCInstant(secondsSinceEpoch: 4_102_444_800))  // 2100-01-01T00:00:00Z
        }
    }

    @Test func instantRoundTripsAcrossTheWholeRange() throws {
        var generator = SeededRandom(seed: 0x5EED_7153)
        let first: Int64 = 946_684_800 + 2 * 86_400  // 2000-01-03, so every offset stays in range
        let last: Int64 = 4_102_444_800 - 2 * 86_400
        for _ in 0..<2_000 {
            let seconds = first + Int64(generator.next(upperBound: UInt64(last - first)))
            let instant = UTCInstant(
                secondsSinceEpoch: seconds,
                milliseconds: Int64(generator.next(upperBound: UInt64(10))) * 100
            )
            let offset = Int(generator.next(upperBound: UInt64(97))) - 48
            let time = SMPPTime.absolute(try SMPPTime.Absolute(instant, utcOffsetQuarterHours: offset))
            #expect(time.resolved(relativeTo: UTCInstant(millisecondsSinceEpoch: 0)) == instant)
            #expect(try SMPPTime(parsing: time.description) == time)
        }
    }

    @Test func monthsAreCalendarStepsClampedToTheMonthEnd() throws {
        let january31 = CivilDateTime(year: 2025, month: 1, day: 31, hour: 10).utcInstant(utcOffsetSeconds: 0)
        let oneMonth = try SMPPTime.Relative(months: 1)
        #expect(CivilDateTime(oneMonth.added(to: january31)) == CivilDateTime(year: 2025, month: 2, day: 28, hour: 10))
        let leapJanuary = CivilDateTime(year: 2024, month: 1, day: 31).utcInstant(utcOffsetSeconds: 0)
        #expect(CivilDateTime(oneMonth.added(to: leapJanuary)) == CivilDateTime(year: 2024, month: 2, day: 29))
        let leapDay = CivilDateTime(year: 2024, month: 2, day: 29).utcInstant(utcOffsetSeconds: 0)
        #expect(
            CivilDateTime(try SMPPTime.Relative(years: 1).added(to: leapDay))
                == CivilDateTime(year: 2025, month: 2, day: 28)
        )
        let december = CivilDateTime(year: 2025, month: 12, day: 15).utcInstant(utcOffsetSeconds: 0)
        #expect(
            CivilDateTime(try SMPPTime.Relative(months: 14).added(to: december))
                == CivilDateTime(year: 2027, month: 2, day: 15)
        )
    }

    @Test func fixedComponentsAddAfterTheCalendarStep() throws {
        let base = CivilDateTime(year: 2025, month: 1, day: 31, hour: 23, minute: 30).utcInstant(utcOffsetSeconds: 0)
        let period = try SMPPTime(parsing: "000101010100000R")  // 1 month, 1 day, 1 hour, 1 minute
        let result = CivilDateTime(period.resolved(relativeTo: base))
        // 31 Jan + 1 month -> 28 Feb 23:30; + 1 day 1 h 1 min -> 2 Mar 00:31.
        #expect(result == CivilDateTime(year: 2025, month: 3, day: 2, hour: 0, minute: 31))
    }

    @Test func relativeComponentsAreBounded() {
        #expect(throws: SMPPTimeError.outOfRange(.hour, 100)) { try SMPPTime.Relative(hours: 100) }
        #expect(throws: SMPPTimeError.outOfRange(.day, -1)) { try SMPPTime.Relative(days: -1) }
    }
}
