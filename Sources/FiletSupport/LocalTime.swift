#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Times for people, in a time zone and with its offset: `2026-11-29 10:37:57 +01:00`. The journal stays
/// UTC (``UTCTime``); this only renders what it recorded.
///
/// Formatted by hand, like ``UTCTime``: one shared value (``host``) serves every line, with no formatter
/// built per line. ``host`` asks the C library for the offset, so `TZ` is honoured as every other program
/// on the host honours it (`Europe/Paris`, `:Asia/Kolkata`, a POSIX rule; unset: `/etc/localtime`), and the
/// zone file is read once per process.
public struct LocalTime: Sendable {
    /// Seconds east of UTC at an instant, in milliseconds since 1970.
    private let offsetAt: @Sendable (Int64) -> Int

    /// A zone given by its offset at each instant (seconds east of UTC): what tests use to render in a
    /// named zone without changing the process's `TZ`.
    public init(offsetAt: @escaping @Sendable (_ milliseconds: Int64) -> Int) {
        self.offsetAt = offsetAt
    }

    /// A zone whose offset never changes.
    public init(fixedOffsetSeconds offset: Int) {
        self.offsetAt = { _ in offset }
    }

    /// UTC, shown as `+00:00`.
    public static let utc = LocalTime(fixedOffsetSeconds: 0)

    /// The host's time zone: `TZ` when set, else the system's.
    public static let host = LocalTime { milliseconds in
        var seconds = time_t(Self.floorDivide(milliseconds, 1000))
        var fields = tm()
        guard localtime_r(&seconds, &fields) != nil else { return 0 }
        return Int(fields.tm_gmtoff)
    }

    /// Seconds east of UTC at `milliseconds`.
    public func offsetSeconds(at milliseconds: Int64) -> Int { offsetAt(milliseconds) }

    /// `2026-11-29 10:37:57 +01:00`: to the second, with the offset.
    public func dateTime(_ milliseconds: Int64) -> String {
        let offset = offsetAt(milliseconds)
        let time = UTCTime.fields(milliseconds + Int64(offset) * 1000)
        var out: [UInt8] = []
        out.reserveCapacity(26)
        appendDate(time, to: &out)
        out.append(UInt8(ascii: " "))
        appendClock(time, milliseconds: false, to: &out)
        out.append(UInt8(ascii: " "))
        out += Self.offsetText(offset).utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// `10:37:57 +01:00`: the time of day to the second, with the offset, without the date.
    public func timeOfDay(_ milliseconds: Int64) -> String {
        let offset = offsetAt(milliseconds)
        let time = UTCTime.fields(milliseconds + Int64(offset) * 1000)
        var out: [UInt8] = []
        out.reserveCapacity(15)
        appendClock(time, milliseconds: false, to: &out)
        out.append(UInt8(ascii: " "))
        out += Self.offsetText(offset).utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// `10:37:57.670`: the wall clock to the millisecond, without the date or the offset.
    public func clock(_ milliseconds: Int64) -> String {
        let time = UTCTime.fields(milliseconds + Int64(offsetAt(milliseconds)) * 1000)
        var out: [UInt8] = []
        out.reserveCapacity(12)
        appendClock(time, milliseconds: true, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `2026-11-29T10:37:57.670+01:00`: RFC 3339 in this zone, for machines.
    public func rfc3339(_ milliseconds: Int64) -> String {
        let offset = offsetAt(milliseconds)
        let time = UTCTime.fields(milliseconds + Int64(offset) * 1000)
        var out: [UInt8] = []
        out.reserveCapacity(29)
        appendDate(time, to: &out)
        out.append(UInt8(ascii: "T"))
        appendClock(time, milliseconds: true, to: &out)
        out += Self.offsetText(offset).utf8
        return String(decoding: out, as: UTF8.self)
    }

    /// `+01:00`, `-03:30`, `+05:45`; `+00:09:21` for an offset that is not a whole minute (old local mean times).
    public static func offsetText(_ seconds: Int) -> String {
        let magnitude = seconds.magnitude
        var out: [UInt8] = [seconds < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")]
        UTCTime.appendDigits(Int64(magnitude / 3600), 2, to: &out)
        out.append(UInt8(ascii: ":"))
        UTCTime.appendDigits(Int64(magnitude % 3600 / 60), 2, to: &out)
        if magnitude % 60 != 0 {
            out.append(UInt8(ascii: ":"))
            UTCTime.appendDigits(Int64(magnitude % 60), 2, to: &out)
        }
        return String(decoding: out, as: UTF8.self)
    }

    // MARK: Journal timestamps

    /// The milliseconds of a journal `ts` (`2026-11-29T09:37:57.670Z`), nil when it is not one.
    public static func milliseconds(journal timestamp: String) -> Int64? {
        var timestamp = timestamp
        return timestamp.withUTF8 { UTCTime.parseRFC3339($0, at: 0) }
    }

    /// ``dateTime(_:)`` of a journal `ts`; a text that is not one is shown as written.
    public func dateTime(journal timestamp: String) -> String {
        Self.milliseconds(journal: timestamp).map(dateTime) ?? timestamp
    }

    /// ``clock(_:)`` of a journal `ts`; a text that is not one is shown as written.
    public func clock(journal timestamp: String) -> String {
        Self.milliseconds(journal: timestamp).map(clock) ?? timestamp
    }

    /// ``rfc3339(_:)`` of a journal `ts`, nil when it is not one.
    public func rfc3339(journal timestamp: String) -> String? {
        Self.milliseconds(journal: timestamp).map(rfc3339)
    }

    /// The offset of a journal `ts` in this zone, nil when it is not one.
    public func offsetSeconds(journal timestamp: String) -> Int? {
        Self.milliseconds(journal: timestamp).map(offsetAt)
    }

    // MARK: Digits

    private func appendDate(_ time: UTCTime.Fields, to out: inout [UInt8]) {
        UTCTime.appendDigits(time.year, 4, to: &out)
        out.append(UInt8(ascii: "-"))
        UTCTime.appendDigits(time.month, 2, to: &out)
        out.append(UInt8(ascii: "-"))
        UTCTime.appendDigits(time.day, 2, to: &out)
    }

    private func appendClock(_ time: UTCTime.Fields, milliseconds: Bool, to out: inout [UInt8]) {
        UTCTime.appendDigits(time.hour, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        UTCTime.appendDigits(time.minute, 2, to: &out)
        out.append(UInt8(ascii: ":"))
        UTCTime.appendDigits(time.second, 2, to: &out)
        if milliseconds {
            out.append(UInt8(ascii: "."))
            UTCTime.appendDigits(time.millisecond, 3, to: &out)
        }
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        value >= 0 ? value / divisor : (value - divisor + 1) / divisor
    }
}
