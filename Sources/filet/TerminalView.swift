import FiletActions
import FiletEngine
import FiletJournal
import FiletReports
import FiletRunbook
import FiletSupport
import Foundation

/// Shows a run as it happens. On a terminal, one line per step updated in place; otherwise
/// plain lines appended as things happen; with `--format json`, one JSON event per line.
actor TerminalView: RunObserver {
    private struct Line {
        var id: String
        var state: String
        var started: ContinuousClock.Instant
        var finished: Bool
    }

    private let format: OutputFormat
    private let interactive: Bool
    private let clock = ContinuousClock()
    private var lines: [Line] = []
    private var drawnLines = 0
    private var paused = false
    /// Set once the summary is printed: nothing is drawn after it.
    private var ended = false
    private var ticker: Task<Void, Never>?

    init(format: OutputFormat) {
        self.format = format
        interactive = format == .text && isatty(STDOUT_FILENO) == 1
    }

    func begin(runID: String, journalPath: String) {
        switch format {
        case .json:
            emit(.object([("event", .event(.runStarted)), ("run", .string(runID)), ("journal", .string(journalPath))]))
        case .text:
            Terminal.output("Run \(runID) — journal: \(journalPath)\n")
        }
        if interactive {
            ticker = Task { [weak self] in
                // A cancelled sleep ends the loop: a redraw after end() would overwrite the summary.
                while (try? await Task.sleep(for: .milliseconds(250))) != nil {
                    await self?.redraw()
                }
            }
        }
    }

    func handle(_ event: RunEvent) {
        switch format {
        case .json: if let value = json(event) { emit(value) }
        case .text where interactive:
            update(event)
            redraw()
        case .text: Terminal.output(plainLine(event))
        }
    }

    func end(_ outcome: RunOutcome, journalPath: String) {
        ticker?.cancel()
        if interactive { redraw() }
        ended = true
        switch format {
        case .json:
            emit(
                .object([
                    ("event", .event(.runFinished)), ("run", .string(outcome.runID)), ("status", .string(outcome.status.rawValue)),
                    ("exit_code", .integer(Int(ExitStatus(outcome).rawValue))), ("journal", .string(journalPath)),
                ]))
        case .text:
            Terminal.output("\n" + RunSummary.table(outcome) + "\n" + RunSummary.verdict(outcome) + "\n")
            Terminal.output("Journal: \(journalPath)\nVerify it with: filet audit verify \(journalPath)\n")
        }
    }

    /// Stops drawing while an operator answers a question, so the prompt stays readable.
    func pause() { paused = true }

    func resume() {
        paused = false
        drawnLines = 0
        redraw()
    }

    // MARK: Terminal

    private func update(_ event: RunEvent) {
        switch event {
        case .stepStarted(let id, let isFinally):
            lines.append(Line(id: id + (isFinally ? " (finally)" : ""), state: "started", started: clock.now, finished: false))
        case .attemptStarted(let id, let attempt, let total):
            setState(id, total > 1 ? "running, attempt \(attempt)/\(total)" : "running")
        case .attemptFinished(let id, let attempt, let outcome, let reason) where outcome != .succeeded:
            setState(id, "attempt \(attempt) \(outcome.rawValue): \(reason ?? "")")
        case .attemptFinished:
            break
        case .stepFinished(let result, let isFinally):
            let id = result.stepID + (isFinally ? " (finally)" : "")
            let text = "\(RunSummary.symbol(result.status)) \(result.status.rawValue)" + (result.reason.map { ": \($0)" } ?? "")
            if let index = lines.firstIndex(where: { $0.id == id }) {
                lines[index].state = text + " (\(RunSummary.elapsed(result.duration)))"
                lines[index].finished = true
            } else {
                lines.append(Line(id: id, state: text, started: clock.now, finished: true))
            }
        case .undone(let id, let succeeded):
            lines.append(Line(id: id, state: succeeded ? "↶ undone" : "↶ undo failed", started: clock.now, finished: true))
        case .interrupted(let signal, let second):
            lines.append(
                Line(
                    id: "!",
                    state: second
                        ? "second signal: stopping finally steps too"
                        : "signal \(signal): stopping steps, then finally", started: clock.now, finished: true))
        case .timedOut:
            lines.append(Line(id: "!", state: "time limit reached: stopping steps, then finally", started: clock.now, finished: true))
        case .waiting, .retryScheduled, .outputLine:
            break
        }
    }

    private func setState(_ id: String, _ state: String) {
        guard let index = lines.lastIndex(where: { $0.id == id || $0.id == id + " (finally)" }) else { return }
        lines[index].state = state
    }

    private func redraw() {
        guard interactive, !paused, !ended else { return }
        let width = max(8, lines.map(\.id.count).max() ?? 8)
        var out = drawnLines > 0 ? "\u{1B}[\(drawnLines)A" : ""
        for line in lines {
            let elapsed = line.finished ? "" : "  \(RunSummary.elapsed(clock.now - line.started))"
            out += "\r\u{1B}[2K  \(line.id.padding(toLength: width, withPad: " ", startingAt: 0))  \(line.state)\(elapsed)\n"
        }
        drawnLines = lines.count
        Terminal.output(out)
    }

    // MARK: Plain and JSON

    private func plainLine(_ event: RunEvent) -> String {
        let time = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withTime, .withColonSeparatorInTime])
        switch event {
        case .stepStarted(let id, let isFinally): return "\(time) ▶ \(id)\(isFinally ? " (finally)" : "") started\n"
        case .attemptStarted(let id, let attempt, let total) where attempt > 1: return "\(time) ↻ \(id) attempt \(attempt)/\(total)\n"
        case .attemptStarted: return ""
        case .attemptFinished(let id, let attempt, let outcome, let reason) where outcome != .succeeded:
            return "\(time)   \(id) attempt \(attempt) \(outcome.rawValue): \(reason ?? "")\n"
        case .attemptFinished: return ""
        case .stepFinished(let result, _):
            return "\(time) \(RunSummary.symbol(result.status)) \(result.stepID) \(result.status.rawValue)"
                + (result.reason.map { ": \($0)" } ?? "") + " (\(RunSummary.elapsed(result.duration)))\n"
        case .undone(let id, let succeeded): return "\(time) ↶ \(id) \(succeeded ? "undone" : "undo failed")\n"
        case .interrupted(let signal, let second):
            return "\(time) ! signal \(signal): " + (second ? "stopping finally steps too\n" : "stopping steps, then finally\n")
        case .timedOut: return "\(time) ! time limit reached: stopping steps, then finally\n"
        case .waiting, .retryScheduled, .outputLine: return ""
        }
    }

    private func json(_ event: RunEvent) -> JSONValue? {
        switch event {
        case .stepStarted(let id, let isFinally):
            .object([
                ("event", .event(.stepStarted)), ("step", .string(id)),
                ("phase", .string((isFinally ? StepPhase.finally : .main).rawValue)),
            ])
        case .attemptStarted(let id, let attempt, let total):
            .object([("event", "attempt.started"), ("step", .string(id)), ("attempt", .integer(attempt)), ("of", .integer(total))])
        case .attemptFinished(let id, let attempt, let outcome, let reason):
            .object([
                ("event", "attempt.finished"), ("step", .string(id)), ("attempt", .integer(attempt)),
                ("outcome", .string(outcome.rawValue)), ("reason", .optional(reason)),
            ])
        case .stepFinished(let result, _):
            .object([
                ("event", .event(.stepFinished)), ("step", .string(result.stepID)), ("status", .string(result.status.rawValue)),
                ("reason", .optional(result.reason)), ("attempts", .integer(result.attempts)),
                ("duration_ms", .integer(Int(result.duration.milliseconds))),
            ])
        case .undone(let id, let succeeded):
            .object([("event", "step.undone"), ("step", .string(id)), ("succeeded", .bool(succeeded))])
        case .interrupted(let signal, let second):
            .object([("event", .event(.runInterrupted)), ("signal", .integer(Int(signal))), ("second", .bool(second))])
        case .timedOut:
            .object([("event", .event(.runTimedOut))])
        case .waiting, .retryScheduled, .outputLine:
            nil
        }
    }

    private func emit(_ value: JSONValue) {
        Terminal.output(value.rendered(pretty: false) + "\n")
    }
}

extension JSONValue {
    /// An event named as the journal names the record it goes with. The terminal's own events
    /// (`attempt.started`, `attempt.finished`, `step.undone`) have no record of that name.
    fileprivate static func event(_ kind: JournalRecordKind) -> JSONValue { .string(kind.rawValue) }
}
