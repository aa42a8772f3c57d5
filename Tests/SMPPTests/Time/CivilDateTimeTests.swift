import SMPP
import Testing

@Suite struct CivilDateTimeTests {
    @Test(arguments: [
        (1970, 1, 1, 0),
        (1969, 12, 31, -1),
        (2000, 1, 1, 10_957),
        (2000, 3, 1, 11_017),
        (2024, 2, 29, 19_782),
        (2099, 12, 31, 47_481),
        (1600, 3, 1, -135_080),
        (1, 1, 1, -719_162),
    ])
    func daysFromCivilMatchesKnownValues(year: Int, month: Int, day: Int, days: Int) {
        #expect(CivilDateTime.daysSinceEpoch(year: year, month: month, day: day) == days)
        let back = CivilDateTime.date(daysSinceEpoch: days)
        #expect(back.year == year && back.month == month && back.day == day)
    }

    @Test func year2038RolloverInstant() {
        let dateTime = CivilDateTime(year: 2038, month: 1, day: 19, hour: 3, minute: 14, second: 8)
        #expect(dateTime.secondsSinceEpoch == 2_147_483_648)
        #expect(CivilDateTime(secondsSinceEpoch: 2_147_483_648) == dateTime)
        #expect(CivilDateTime(secondsSinceEpoch: 2_147_483_647).second == 7)
    }

    @Test func everyDayFrom1900To2200RoundTripsAndIsConsecutive() {
        var expected = CivilDateTime.daysSinceEpoch(year: 1900, month: 1, day: 1)
        for year in 1900...2200 {
            for month in 1...12 {
                for day in 1...CivilDateTime.daysInMonth(year: year, month: month) {
                    let days = CivilDateTime.daysSinceEpoch(year: year, month: month, day: day)
                    #expect(days == expected)
                    let back = CivilDateTime.date(daysSinceEpoch: days)
                    if back.year != year || back.month != month || back.day != day {
                        Issue.record("\(days) -> \(back), expected \(year)-\(month)-\(day)")
                        return
                    }
                    expected += 1
                }
            }
        }
    }

    @Test func negativeInstantsFloorToThePreviousDay() {
        #expect(
            CivilDateTime(secondsSinceEpoch: -1)
                == CivilDateTime(year: 1969, month: 12, day: 31, hour: 23, minute: 59, second: 59)
        )
        #expect(UTCInstant(millisecondsSinceEpoch: -1).secondsSinceEpoch == -1)
        #expect(UTCInstant(millisecondsSinceEpoch: -1).millisecondOfSecond == 999)
    }

    @Test func leapYearsAndMonthLengths() {
        #expect(CivilDateTime.isLeapYear(2000))
        #expect(!CivilDateTime.isLeapYear(2100))
        #expect(CivilDateTime.isLeapYear(2024))
        #expect(CivilDateTime.daysInMonth(year: 2025, month: 2) == 28)
        #expect(CivilDateTime.daysInMonth(year: 2024, month: 2) == 29)
        #expect(CivilDateTime.daysInMonth(year: 2024, month: 13) == 0)
        #expect(!CivilDateTime(year: 2025, month: 2, day: 29).isValid)
        #expect(CivilDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59).isValid)
        #expect(!CivilDateTime(year: 2024, month: 1, day: 1, hour: 24).isValid)
    }

    @Test func offsetsShiftTheWallClock() {
        let noonAtPlusOne = CivilDateTime(year: 2025, month: 1, day: 1, hour: 12)
        let instant = noonAtPlusOne.utcInstant(utcOffsetSeconds: 3600)
        #expect(instant.secondsSinceEpoch == 1_735_729_200)
        #expect(instant.description == "2025-01-01T11:00:00.000Z")
        #expect(CivilDateTime(instant, utcOffsetSeconds: -5 * 3600).description == "2025-01-01T06:00:00")
    }
}
