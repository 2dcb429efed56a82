#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// UTC time in milliseconds since 1970, formatted by hand: the journal stamps every record,
/// and a `DateFormatter` per record would cost more than the record's SHA-256.
package enum UTCTime {
    /// The wall clock now, in milliseconds since 1970-01-01T00:00:00Z.
    package static func nowMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    /// The civil date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
    static func days(year: Int64, month: Int64, day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    struct Fields {
        var year, month, day, hour, minute, second, millisecond: Int64
    }

    static func fields(_ milliseconds: Int64) -> Fields {
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(days: days)
        return Fields(
            year: year, month: month, day: day, hour: secondOfDay / 3600, minute: secondOfDay / 60 % 60,
            second: secondOfDay % 60, millisecond: milliseconds - seconds * 1000)
    }

    static func appendDigits(_ value: Int64, _ width: Int, to out: inout [UInt8]) {
        var divisor: Int64 = 1
        for _ in 1..<width { divisor *= 10 }
        var value = value
        while divisor > 0 {
            out.append(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            value %= divisor
            divisor /= 10
        }
    }

    /// Appends RFC 3339 UTC with milliseconds, `2026-11-29T08:15:02.123Z`: always 24 bytes
    /// (years 0000 to 9999), so that text order is time order.
    package static func appendRFC3339(_ milliseconds: Int64, to out: inout [UInt8]) {
        let time = fields(milliseconds)
        appendDigits(time.year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(time.month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        appendDigits(time.day, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(time.hour, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(time.minute, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        appendDigits(time.second, 2, to: &out)
        out.append(UInt8(ascii: "."))
        appendDigits(time.millisecond, 3, to: &out)
        out.append(UInt8(ascii: "Z"))
    }

    /// `20261129T081502Z`: the time part of a run id (basic ISO 8601, to the second).
    package static func compact(_ milliseconds: Int64) -> String {
        let time = fields(milliseconds)
        var out: [UInt8] = []
        appendDigits(time.year, 4, to: &out)
        appendDigits(time.month, 2, to: &out)
        appendDigits(time.day, 2, to: &out)
        out.append(UInt8(ascii: "T"))
        appendDigits(time.hour, 2, to: &out)
        appendDigits(time.minute, 2, to: &out)
        appendDigits(time.second, 2, to: &out)
        out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The milliseconds of the 24 bytes at `start` when they are exactly the form that
    /// ``appendRFC3339(_:to:)`` writes (a valid date and time), else nil.
    package static func parseRFC3339(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> Int64? {
        guard start + 24 <= bytes.count else { return nil }
        func number(_ offset: Int, _ width: Int) -> Int64? {
            var value: Int64 = 0
            for position in (start + offset)..<(start + offset + width) {
                let byte = bytes[position]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard bytes[start + 4] == UInt8(ascii: "-"), bytes[start + 7] == UInt8(ascii: "-"), bytes[start + 10] == UInt8(ascii: "T"),
            bytes[start + 13] == UInt8(ascii: ":"), bytes[start + 16] == UInt8(ascii: ":"), bytes[start + 19] == UInt8(ascii: "."),
            bytes[start + 23] == UInt8(ascii: "Z")
        else { return nil }
        guard let year = number(0, 4), let month = number(5, 2), let day = number(8, 2), let hour = number(11, 2),
            let minute = number(14, 2), let second = number(17, 2), let millisecond = number(20, 3),
            (1...12).contains(month), day >= 1, hour < 24, minute < 60, second < 60
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthLength: Int64 =
            switch month {
            case 2: leap ? 29 : 28
            case 4, 6, 9, 11: 30
            default: 31
            }
        guard day <= monthLength else { return nil }
        let seconds = days(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second
        return seconds * 1000 + millisecond
    }
}
