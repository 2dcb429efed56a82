public import FiletEngine
public import FiletRunbook
public import FiletSupport
public import Foundation

/// What `filet run` shows on a terminal while a run goes on, as lines that fit a given width; the
/// terminal mechanics (cursor, size, rate) are the command line's.
///
/// The screen has two parts. Above, what is written once and stays (the scrollback keeps it): the header,
/// then a row per finished step with the full reason of a failure under it, the notices of an interruption,
/// and at the end the verdict, the failures and the command that resumes the run. Below, a few live rows
/// redrawn in place: the progress line, then each running step with its elapsed time, its countdown (a
/// `wait`, the pause before a retry), the last line its command wrote or how long a confirmation has waited.
/// The live rows never hold a finished step, so no step's row is ever written twice.
public struct LiveView: Sendable {
    /// What the header says of the run.
    public struct Header: Sendable {
        public var title: String
        public var runbookID: String
        public var mode: RunMode
        public var drillPrefix: String
        public var operatorName: String
        public var runID: String
        public var journalPath: String
        public var started: Date

        public init(
            title: String, runbookID: String, mode: RunMode, drillPrefix: String, operatorName: String, runID: String,
            journalPath: String, started: Date = Date()
        ) {
            self.title = title
            self.runbookID = runbookID
            self.mode = mode
            self.drillPrefix = drillPrefix
            self.operatorName = operatorName
            self.runID = runID
            self.journalPath = journalPath
            self.started = started
        }
    }

    private enum Activity {
        case working
        case waiting(until: ContinuousClock.Instant)
        case retrying(attempt: Int, of: Int, at: ContinuousClock.Instant, after: String?)
        case answering(since: ContinuousClock.Instant)
    }

    private struct Running {
        var name: String
        var started: ContinuousClock.Instant
        var attempt = 1
        var attempts = 1
        var activity = Activity.working
        var output: String?
    }

    /// What is written once, in the order it happened.
    private enum Lasting {
        case step(StepResult, name: String, at: Date)
        case undone(name: String, succeeded: Bool, at: Date)
        case notice(Message, at: Date)
        case answered(stepID: String, question: String, answer: String?, at: Date)
    }

    public let header: Header
    public let language: Language
    /// The steps of the plan, main and finally.
    public let total: Int
    private let longestName: Int
    private let started: ContinuousClock.Instant
    private var running: [String: Running] = [:]
    /// The running steps' ids, in the order they started.
    private var order: [String] = []
    private var finished = 0
    private var failed = 0
    private var lasting: [Lasting] = []
    /// The live reminder of what a signal or the time limit started.
    private var stopping: Message?
    /// Why the last attempt of a running step failed, shown while it waits to retry.
    private var lastReason: [String: String] = [:]

    public init(header: Header, plan: Plan, language: Language, now: ContinuousClock.Instant = .now) {
        self.header = header
        self.language = language
        total = plan.steps.count + plan.finallySteps.count
        let names =
            plan.steps.map { TerminalText.width(TerminalText.displayable($0.step.id)) }
            + plan.finallySteps.map { TerminalText.width(TerminalText.displayable($0.step.id)) + Self.finallySuffix.count }
        longestName = names.max() ?? 4
        started = now
    }

    /// The tag that starts the banner and the progress line: a drill cannot be taken for the real thing.
    public var tag: String {
        header.mode == .drill ? "EXERCICE" : Message.liveRealTag.text(language)
    }

    // MARK: Events

    public mutating func apply(_ event: RunEvent, now: ContinuousClock.Instant = .now) {
        switch event {
        case .stepStarted(let id, let isFinally):
            if running[id] == nil { order.append(id) }
            running[id] = Running(name: Self.name(id, isFinally: isFinally), started: now)
        case .attemptStarted(let id, let attempt, let attempts):
            running[id]?.attempt = attempt
            running[id]?.attempts = attempts
            running[id]?.activity = .working
        case .attemptFinished(let id, _, _, _):
            running[id]?.output = nil
        case .waiting(let id, let until):
            running[id]?.activity = .waiting(until: until)
        case .retryScheduled(let id, let attempt, let attempts, let at):
            let reason = lastReason[id]
            running[id]?.activity = .retrying(attempt: attempt, of: attempts, at: at, after: reason)
        case .outputLine(let id, let line):
            guard running[id] != nil else { return }
            let shown = TerminalText.displayable(line).trimmingCharacters(in: .whitespaces)
            if !shown.isEmpty { running[id]?.output = shown }
        case .stepFinished(let result, let isFinally):
            if running.removeValue(forKey: result.stepID) != nil, let position = order.firstIndex(of: result.stepID) {
                order.remove(at: position)
            }
            finished += 1
            if result.status == .failed { failed += 1 }
            lasting.append(.step(result, name: Self.name(result.stepID, isFinally: isFinally), at: Date()))
        case .undone(let id, let succeeded):
            lasting.append(.undone(name: id, succeeded: succeeded, at: Date()))
        case .interrupted(let signal, let second):
            lasting.append(.notice(Message.liveInterrupted(signal: signal, second: second), at: Date()))
            stopping = second ? Message.liveStoppingFinally : Message.liveStopping(signal: signal)
        case .timedOut:
            lasting.append(.notice(Message.liveTimedOut, at: Date()))
            stopping = Message.liveStoppingAfterTimeout
        }
        if case .attemptFinished(let id, _, _, let reason?) = event {
            lastReason[id] = reason
        } else if case .stepFinished(let result, _) = event {
            lastReason[result.stepID] = nil
        }
    }

    /// A confirmation is being asked for step `id`: its row counts the time it waits.
    public mutating func asking(stepID id: String, now: ContinuousClock.Instant = .now) {
        running[id]?.activity = .answering(since: now)
    }

    /// The operator answered (nil: no answer came); the question and answer are written once, above.
    public mutating func answered(stepID id: String, question: String, answer: String?) {
        if case .answering = running[id]?.activity { running[id]?.activity = .working }
        lasting.append(.answered(stepID: id, question: question, answer: answer, at: Date()))
    }

    // MARK: Lines

    /// The header, written once when the run starts: the banner, the runbook, who runs it, the journal.
    public func headerLines(width: Int) -> [String] {
        let banner =
            header.mode == .drill ? Message.liveDrillBanner(prefix: header.drillPrefix) : Message.liveRealBanner
        var lines = TerminalText.wrap(tag + " — " + banner.text(language), width: width, indent: "  ")
        let runbook = Message.liveRunbook(title: clean(header.title), id: clean(header.runbookID)).text(language)
        lines += TerminalText.wrap(runbook, width: width, indent: "  ")
        let who = Message.liveWho(
            operatorName: clean(header.operatorName), runID: header.runID, started: LocalTime.dateAndTime(header.started))
        lines += TerminalText.wrap(who.text(language), width: width, indent: "  ")
        lines += TerminalText.wrap(Message.liveJournal(clean(header.journalPath)).text(language), width: width, indent: "  ")
        return lines
    }

    /// What finished since the last call, as lines to write once; `all` also gives the last group of
    /// steps skipped for the same reason, which is otherwise kept back in case it grows.
    public mutating func lastingLines(width: Int, all: Bool = false) -> [String] {
        guard !lasting.isEmpty else { return [] }
        var taken = lasting[...]
        if !all, let trailing = trailingSkips(), trailing.count < taken.count || trailing.count >= Self.collapsedSkips {
            taken = taken.dropLast(trailing.count)
        }
        var lines: [String] = []
        var index = taken.startIndex
        while index < taken.endIndex {
            if case .step(let result, _, _) = taken[index], Self.collapses(result) {
                var end = index
                while end < taken.endIndex, case .step(let next, _, _) = taken[end], Self.collapses(next), next.reason == result.reason {
                    end += 1
                }
                if end - index >= Self.collapsedSkips {
                    let line = Message.liveSkippedGroup(count: end - index, reason: clean(result.reason ?? "")).text(language)
                    lines.append(TerminalText.clip(RunSummary.symbol(.skipped) + " " + line, to: width))
                    index = end
                    continue
                }
            }
            lines += self.lines(taken[index], width: width)
            index += 1
        }
        lasting.removeFirst(taken.count)
        return lines
    }

    /// Steps skipped because the run stopped (not on purpose) are written as one line past this many in a row.
    static let collapsedSkips = 4

    private static func collapses(_ result: StepResult) -> Bool {
        result.status == .skipped && !result.isDeliberateSkip
    }

    /// How many entries at the end are steps skipped for one same reason, not on purpose.
    private func trailingSkips() -> ArraySlice<Lasting>? {
        guard case .step(let last, _, _)? = lasting.last, Self.collapses(last) else { return nil }
        var start = lasting.endIndex - 1
        while start > lasting.startIndex, case .step(let previous, _, _) = lasting[start - 1], Self.collapses(previous),
            previous.reason == last.reason
        {
            start -= 1
        }
        return lasting[start...]
    }

    private func lines(_ entry: Lasting, width: Int) -> [String] {
        let time = width >= 72
        switch entry {
        case .step(let result, let name, let at):
            var row = (time ? LocalTime.time(at) + " " : "") + RunSummary.symbol(result.status) + " " + pad(name, width: width)
            row += "  " + Message.word(for: result.status).text(language)
            if result.status != .skipped || result.duration > .zero { row += "  " + RunSummary.elapsed(result.duration) }
            if result.attempts > 1 { row += " · " + Message.liveAttempts(result.attempts).text(language) }
            guard let reason = result.reason.map(clean), !reason.isEmpty else { return [TerminalText.clip(row, to: width)] }
            if result.status == .failed || result.status == .cancelled {
                return [TerminalText.clip(row, to: width)] + TerminalText.wrap("    " + reason, width: width, indent: "    ")
            }
            return [TerminalText.clip(row + "  " + reason, to: width)]
        case .undone(let name, let succeeded, let at):
            let text = (succeeded ? Message.liveUndone : Message.liveUndoFailed).text(language)
            return [
                TerminalText.clip((time ? LocalTime.time(at) + " " : "") + "↶ " + pad(clean(name), width: width) + "  " + text, to: width)
            ]
        case .notice(let message, let at):
            return TerminalText.wrap("! " + LocalTime.time(at) + " " + message.text(language), width: width, indent: "  ")
        case .answered(let id, let question, let answer, _):
            let said = answer.map { "→ " + clean($0) } ?? Message.liveNoAnswer.text(language)
            return TerminalText.wrap("? " + clean(id) + ": " + clean(question) + " " + said, width: width, indent: "  ")
        }
    }

    /// The live rows: the progress line, the running steps (as many as fit in `height` rows, the rest
    /// counted), and what a signal started. With `exactly`, always `height` rows (blank ones at the end).
    public func liveLines(width: Int, height: Int, now: ContinuousClock.Instant = .now, exactly: Bool = false) -> [String] {
        let height = max(1, height)
        var lines = [TerminalText.clip(progress(now: now), to: width)]
        let reminder = stopping.map { TerminalText.clip("! " + $0.text(language), to: width) }
        let room = height - 1 - (reminder == nil ? 0 : 1)
        if room > 0 {
            let shown = order.count <= room ? order[...] : order.prefix(room - 1)
            for id in shown {
                if let step = running[id] { lines.append(row(step, width: width, now: now)) }
            }
            if shown.count < order.count {
                lines.append(TerminalText.clip("  " + Message.liveMoreRunning(order.count - shown.count).text(language), to: width))
            }
        }
        if let reminder, lines.count < height { lines.append(reminder) }
        if exactly {
            lines = Array(lines.prefix(height))
            while lines.count < height { lines.append("") }
        }
        return lines
    }

    private func progress(now: ContinuousClock.Instant) -> String {
        var text = tag + " · " + Message.liveDone(finished, of: total).text(language)
        if failed > 0 { text += " · " + Message.liveFailed(failed).text(language) }
        if !order.isEmpty { text += " · " + Message.liveRunning(order.count).text(language) }
        return text + " · " + Self.clock(now - started)
    }

    private func row(_ step: Running, width: Int, now: ContinuousClock.Instant) -> String {
        let symbol: String
        var state: String
        switch step.activity {
        case .working:
            symbol = "▶"
            state =
                step.attempts > 1
                ? Message.liveAttempt(step.attempt, of: step.attempts, elapsed: Self.clock(now - step.started)).text(language)
                : Message.liveWorking(elapsed: Self.clock(now - step.started)).text(language)
            if let output = step.output { state += " · " + output }
        case .waiting(let until):
            symbol = "~"
            state = Message.liveWaiting(left: Self.clock(max(.zero, until - now), roundingUp: true)).text(language)
        case .retrying(let attempt, let attempts, let at, let reason):
            symbol = "↻"
            state = Message.liveRetry(attempt, of: attempts, in: Self.clock(max(.zero, at - now), roundingUp: true)).text(language)
            if let reason { state += " · " + clean(reason) }
        case .answering(let since):
            symbol = "?"
            state = Message.liveAnswering(since: Self.clock(now - since)).text(language)
        }
        return TerminalText.clip(symbol + " " + pad(step.name, width: width) + "  " + state, to: width)
    }

    // MARK: The end

    /// What is written once the run ended: the verdict, every failure in full, the command that resumes the
    /// run when it did not succeed, and where its journal is.
    public func endLines(_ outcome: RunOutcome, width: Int, now: Date = Date()) -> [String] {
        var lines: [String] = []
        let all = outcome.steps.map { ($0, false) } + outcome.finallySteps.map { ($0, true) }
        let counts = StepStatus.allCases.compactMap { status -> String? in
            let count = all.count { $0.0.status == status }
            return count == 0 ? nil : Message.liveCount(count, status).text(language)
        }.joined(separator: ", ")
        let verdict: Message =
            outcome.journalFailure.map { Message.liveJournalFailed(runID: outcome.runID, failure: clean($0)) }
            ?? Message.liveVerdict(
                runID: outcome.runID, status: outcome.status, elapsed: RunSummary.elapsed(outcome.duration), counts: counts,
                ended: LocalTime.time(now))
        lines += TerminalText.wrap(verdict.text(language), width: width, indent: "  ")
        let failures = all.filter { $0.0.status == .failed || $0.0.status == .cancelled }
        if !failures.isEmpty {
            lines.append(Message.liveFailures.text(language))
            for (step, isFinally) in failures {
                let text =
                    RunSummary.symbol(step.status) + " " + Self.name(step.stepID, isFinally: isFinally) + ": "
                    + clean(step.reason ?? Message.word(for: step.status).text(language))
                lines += TerminalText.wrap("  " + text, width: width, indent: "    ")
            }
        }
        if outcome.journalFailure == nil, outcome.status != .succeeded {
            lines += TerminalText.wrap(Message.liveResumeHint.text(language), width: width, indent: "  ")
            lines += ShellCommand.lines(["filet", "resume", header.journalPath], width: width)
        }
        lines += TerminalText.wrap(Message.liveJournal(clean(header.journalPath)).text(language), width: width, indent: "  ")
        let verify = ["filet", "audit", "verify", header.journalPath]
        let oneLine = Message.liveVerify.text(language) + " " + verify.map(ShellCommand.quoted).joined(separator: " ")
        if TerminalText.width(oneLine) <= width {
            lines.append(oneLine)
        } else {
            lines += TerminalText.wrap(Message.liveVerify.text(language), width: width, indent: "  ")
            lines += ShellCommand.lines(verify, width: width)
        }
        return lines
    }

    // MARK: Helpers

    static let finallySuffix = " (finally)"

    private static func name(_ id: String, isFinally: Bool) -> String {
        TerminalText.displayable(id) + (isFinally ? finallySuffix : "")
    }

    private func clean(_ text: String) -> String { TerminalText.displayable(text) }

    /// A step's name padded to the names' column, which takes at most a third of the width.
    private func pad(_ name: String, width: Int) -> String {
        let column = min(longestName, max(8, width / 3))
        let clipped = TerminalText.clip(name, to: column)
        return clipped + String(repeating: " ", count: max(0, column - TerminalText.width(clipped)))
    }

    /// `7s`, `1m05s`, `2h03m`: whole seconds, for times that tick.
    static func clock(_ duration: Duration, roundingUp: Bool = false) -> String {
        let milliseconds = max(0, duration.milliseconds)
        let seconds = roundingUp ? (milliseconds + 999) / 1000 : milliseconds / 1000
        if seconds < 60 { return "\(seconds)s" }
        if seconds < 3600 { return "\(seconds / 60)m" + two(seconds % 60) + "s" }
        return "\(seconds / 3600)h" + two(seconds / 60 % 60) + "m"
    }

    private static func two(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// A command line to type, as lines of at most a width: words quoted for the shell where they need it,
/// and a line too long cut with a backslash at its end, which the shell joins back (inside a word too).
enum ShellCommand {
    static func quoted(_ word: String) -> String {
        let plain =
            !word.isEmpty
            && word.utf8.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                    || "_./:=,@%+-".utf8.contains(byte)
            }
        return plain ? word : "'" + word.replacing("'", with: "'\\''") + "'"
    }

    static func lines(_ words: [String], width: Int) -> [String] {
        let line = words.map(quoted).joined(separator: " ")
        if TerminalText.width(line) <= width { return [line] }
        // Cut the words' characters into pieces, each quoted on its own: 'a''b' is ab to the shell.
        var lines: [String] = []
        var current = ""
        let room = max(2, width - 1)
        for (position, word) in words.enumerated() {
            var rest = Substring(word)
            if position > 0 {
                if TerminalText.width(current) + 1 >= room {
                    lines.append(current + "\\")
                    current = ""
                } else {
                    current += " "
                }
            }
            while !rest.isEmpty {
                let left = room - TerminalText.width(current)
                var piece = ""
                for character in rest {
                    let candidate = quoted(piece + String(character))
                    if TerminalText.width(candidate) > left { break }
                    piece.append(character)
                }
                if piece.isEmpty {
                    if current.isEmpty {
                        piece = String(rest.first!)
                    } else {
                        lines.append(current + "\\")
                        current = ""
                        continue
                    }
                }
                current += quoted(piece)
                rest = rest.dropFirst(piece.count)
                if !rest.isEmpty {
                    lines.append(current + "\\")
                    current = ""
                }
            }
        }
        lines.append(current)
        return lines
    }
}

extension LocalTime {
    /// ``timeOfDay(_:)`` in the host's zone: `03:12:05 +02:00`.
    static func time(_ date: Date) -> String { host.timeOfDay(milliseconds(date)) }

    /// ``dateTime(_:)`` in the host's zone: `2026-11-29 03:12:05 +02:00`.
    static func dateAndTime(_ date: Date) -> String { host.dateTime(milliseconds(date)) }

    private static func milliseconds(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded(.down)) }
}
