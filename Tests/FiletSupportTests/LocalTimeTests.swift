import FiletSupport
import Foundation
import Testing

/// A zone of the tz database, through Foundation: renders in it without changing the process's `TZ`
/// (the host's zone, `LocalTime.host`, is tested through the binary, with `TZ` set for the subprocess).
func zone(_ identifier: String) throws -> LocalTime {
    let zone = try #require(TimeZone(identifier: identifier))
    return LocalTime { zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0) / 1000)) }
}

@Suite struct LocalTimeTests {
    static func instant(_ timestamp: String) throws -> Int64 { try #require(LocalTime.milliseconds(journal: timestamp)) }

    @Test func parisInWinterAndInSummer() throws {
        let paris = try zone("Europe/Paris")
        let winter = try Self.instant("2026-11-29T09:37:57.670Z")
        let summer = try Self.instant("2026-07-14T09:37:57.670Z")
        #expect(paris.dateTime(winter) == "2026-11-29 10:37:57 +01:00")
        #expect(paris.dateTime(summer) == "2026-07-14 11:37:57 +02:00")
        #expect(paris.clock(winter) == "10:37:57.670")
        #expect(paris.rfc3339(winter) == "2026-11-29T10:37:57.670+01:00")
        #expect(paris.rfc3339(summer) == "2026-07-14T11:37:57.670+02:00")
    }

    @Test func offsetsThatAreNotWholeHours() throws {
        let instant = try Self.instant("2026-11-29T09:37:57.670Z")
        #expect(try zone("Asia/Kolkata").dateTime(instant) == "2026-11-29 15:07:57 +05:30")
        #expect(try zone("Asia/Kathmandu").dateTime(instant) == "2026-11-29 15:22:57 +05:45")
        // West of UTC, and the day before.
        #expect(try zone("America/St_Johns").dateTime(try Self.instant("2026-11-29T02:00:00.000Z")) == "2026-11-28 22:30:00 -03:30")
        #expect(try zone("America/St_Johns").rfc3339(try Self.instant("2026-11-29T02:00:00.000Z")) == "2026-11-28T22:30:00.000-03:30")
    }

    @Test func theDaylightSavingChangeIsToTheMillisecond() throws {
        // Paris leaves summer time on 2026-10-25 at 01:00 UTC: 03:00 +02:00 becomes 02:00 +01:00.
        let paris = try zone("Europe/Paris")
        #expect(paris.dateTime(try Self.instant("2026-10-25T00:59:59.999Z")) == "2026-10-25 02:59:59 +02:00")
        #expect(paris.dateTime(try Self.instant("2026-10-25T01:00:00.000Z")) == "2026-10-25 02:00:00 +01:00")
        #expect(paris.clock(try Self.instant("2026-10-25T00:59:59.999Z")) == "02:59:59.999")
    }

    @Test func utcAndFixedOffsets() throws {
        let instant = try Self.instant("2026-11-29T23:59:59.999Z")
        #expect(LocalTime.utc.dateTime(instant) == "2026-11-29 23:59:59 +00:00")
        #expect(LocalTime.utc.rfc3339(instant) == "2026-11-29T23:59:59.999+00:00")
        #expect(LocalTime(fixedOffsetSeconds: 3600).dateTime(instant) == "2026-11-30 00:59:59 +01:00")
        #expect(LocalTime(fixedOffsetSeconds: -3600).dateTime(0) == "1969-12-31 23:00:00 -01:00")
        #expect(LocalTime.utc.clock(-1) == "23:59:59.999")
    }

    @Test func offsetTexts() {
        #expect(LocalTime.offsetText(0) == "+00:00")
        #expect(LocalTime.offsetText(3600) == "+01:00")
        #expect(LocalTime.offsetText(19800) == "+05:30")
        #expect(LocalTime.offsetText(-12600) == "-03:30")
        #expect(LocalTime.offsetText(-36000) == "-10:00")
        #expect(LocalTime.offsetText(561) == "+00:09:21")
    }

    @Test func journalTimestamps() {
        let paris = LocalTime(fixedOffsetSeconds: 3600)
        #expect(paris.dateTime(journal: "2026-11-29T09:37:57.670Z") == "2026-11-29 10:37:57 +01:00")
        #expect(paris.clock(journal: "2026-11-29T09:37:57.670Z") == "10:37:57.670")
        #expect(paris.offsetSeconds(journal: "2026-11-29T09:37:57.670Z") == 3600)
        // What is not a journal timestamp is shown as written.
        #expect(paris.dateTime(journal: "not a time") == "not a time")
        #expect(paris.clock(journal: "2026-11-29T09:37:57Z") == "2026-11-29T09:37:57Z")
        #expect(paris.rfc3339(journal: "2026-13-01T00:00:00.000Z") == nil)
    }
}
