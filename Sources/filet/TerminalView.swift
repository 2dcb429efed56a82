import FiletActions
import FiletEngine
import FiletJournal
import FiletReports
import FiletRunbook
import FiletSupport
import Foundation

/// Shows a run as it happens. On a terminal, the live view (``LiveView``): lines written once above, a few
/// live rows redrawn in place below, at most ten times a second. Otherwise plain lines appended as things
/// happen (for logs); with `--format json`, one JSON event per line.
actor TerminalView: RunObserver {
    private let format: OutputFormat
    private let language: Language
    private let colors: Bool
    /// The terminal, when there is one to draw on.
    private var screen: TerminalScreen?
    private var live: LiveView?
    /// Set once the summary is printed: nothing is drawn after it.
    private var ended = false
    private var paused = false
    private var ticker: Task<Void, Never>?
    private var prompt: Prompt?
    private var promptQueue: [CheckedContinuation<Void, Never>] = []
    private var plain: PlainProgress
    /// Only the live view shows a command's output lines.
    nonisolated let followsOutput: Bool

    /// A question on screen, below the live rows; the cursor waits at the end of its last line.
    private struct Prompt {
        var liveRows: Int
        var lines: [String]
        var columns: Int
        var shown: [String]
    }

    init(format: OutputFormat, language: Language, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.format = format
        self.language = language
        plain = PlainProgress(language: language)
        colors = (environment["NO_COLOR"] ?? "").isEmpty
        if format == .text, isatty(STDOUT_FILENO) == 1, environment["TERM"] != "dumb" {
            screen = TerminalScreen(environment: environment)
        }
        followsOutput = screen != nil
    }

    func begin(_ prepared: PreparedRun) {
        let runID = prepared.runID
        let journalPath = prepared.journalPath
        if format == .json {
            emit(.object([("event", .event(.runStarted)), ("run", .string(runID)), ("journal", .string(journalPath))]))
            return
        }
        let header = LiveView.Header(
            title: prepared.plan.runbook.title, runbookID: prepared.plan.runbook.id, mode: prepared.mode,
            drillPrefix: prepared.drillPrefix, operatorName: prepared.operatorName, runID: runID, journalPath: journalPath)
        let view = LiveView(header: header, plan: prepared.plan, language: language)
        live = view
        guard let width = screen?.width else {
            Terminal.output(plain.start(runID: runID, journalPath: journalPath))
            return
        }
        let tag = view.tag
        Terminal.output(view.headerLines(width: width).map { styled($0, tag: tag) + "\n" }.joined())
        draw()
        ticker = Task { [weak self] in
            // A cancelled sleep ends the loop: a redraw after end() would overwrite the summary.
            while (try? await Task.sleep(for: .milliseconds(100))) != nil {
                await self?.tick()
            }
        }
    }

    func handle(_ event: RunEvent) {
        switch format {
        case .json:
            if let value = json(event) { emit(value) }
        case .text where screen != nil:
            live?.apply(event)
        case .text:
            let line = plain.line(event)
            if !line.isEmpty { Terminal.output(line) }
        }
    }

    func end(_ outcome: RunOutcome, journalPath: String) {
        ticker?.cancel()
        switch format {
        case .json:
            ended = true
            emit(
                .object([
                    ("event", .event(.runFinished)), ("run", .string(outcome.runID)), ("status", .string(outcome.status.rawValue)),
                    ("exit_code", .integer(Int(ExitStatus(outcome).rawValue))), ("journal", .string(journalPath)),
                ]))
        case .text where screen != nil:
            screen?.measure()
            let width = screen!.width
            var out = screen!.erase()
            out += (live!.lastingLines(width: width, all: true) + live!.endLines(outcome, width: width)).map { $0 + "\n" }.joined()
            Terminal.output(out)
            ended = true
        case .text:
            ended = true
            if let live { Terminal.output(plain.end(outcome, view: live)) }
        }
    }

    /// Stops drawing while something else is printed (the live rows are erased first), until ``resume()``.
    func pause() {
        paused = true
        if var screen, !ended {
            Terminal.output(screen.erase())
            self.screen = screen
        }
    }

    func resume() {
        paused = false
        draw()
    }

    /// The terminal changed size (SIGWINCH): the live rows are laid out again for it.
    func resized() {
        guard prompt == nil else { return }
        draw(force: true)
    }

    // MARK: Questions

    /// Asks the operator a question for step `stepID` and returns the line typed (nil at the end of input, or
    /// once the task is cancelled). On a terminal, the question goes below the live rows, which keep counting
    /// (how long the confirmation has waited, among others) without touching the line being typed; once
    /// answered, the exchange is written once above. Elsewhere, the question is printed as it is.
    func ask(stepID: String, question: String, hint: String) async -> String? {
        guard screen != nil, live != nil, !ended, !paused else {
            Terminal.output("\n? \(stepID): \(question)\n  \(hint)")
            return await Terminal.readLine()
        }
        while prompt != nil { await withCheckedContinuation { promptQueue.append($0) } }
        defer { if !promptQueue.isEmpty { promptQueue.removeFirst().resume() } }
        guard !Task.isCancelled, !ended else { return nil }
        live?.asking(stepID: stepID)
        draw(force: true)
        let width = screen!.width
        let lines =
            TerminalText.wrap(
                "? " + TerminalText.displayable(stepID) + ": " + TerminalText.displayable(question), width: width, indent: "  ")
            + TerminalText.wrap("  " + TerminalText.displayable(hint), width: width, indent: "  ")
        Terminal.output(lines.dropLast().map { $0 + "\n" }.joined() + lines.last!)
        prompt = Prompt(liveRows: screen!.drawn.count, lines: lines, columns: screen!.columns, shown: screen!.drawn)
        let answer = await Terminal.readLine()
        let cancelled = Task.isCancelled
        if let shown = prompt, var screen {
            prompt = nil
            screen.measure()
            let columns = screen.columns
            // The typed answer follows the last line (wrapping past the edge), and its line feed moves one row down.
            let typed = TerminalText.width(lines.last!) + (answer.map(TerminalText.width) ?? (cancelled ? 2 : 0))
            var up = screen.rows(of: shown.shown) + screen.rows(of: Array(lines.dropLast()))
            up += max(1, (typed + columns - 1) / columns) - 1 + (answer == nil ? 0 : 1)
            Terminal.output((up > 0 ? "\u{1B}[\(up)A" : "") + "\r\u{1B}[J")
            screen.forget()
            self.screen = screen
        }
        live?.answered(stepID: stepID, question: question, answer: answer)
        draw(force: true)
        return answer
    }

    // MARK: Drawing

    private func tick() {
        if prompt != nil { updateAbovePrompt() } else { draw() }
    }

    /// Writes what finished since the last frame, then the live rows in place of the previous ones: one write.
    /// The live rows are written with the terminal's automatic wrap off, so that none of them can ever take two
    /// rows (a character the terminal draws wider than its width here): going back over them needs their count.
    private func draw(force: Bool = false) {
        guard var screen, var live, !ended, !paused, prompt == nil else { return }
        if force { screen.measure() }
        let width = screen.width
        let lasting = live.lastingLines(width: width)
        let rows = live.liveLines(width: width, height: screen.liveHeight)
        self.live = live
        guard force || !lasting.isEmpty || rows != screen.drawn else { return }
        var out = screen.erase()
        for line in lasting { out += line + "\n" }
        out += "\u{1B}[?7l"
        for line in rows { out += styled(line, tag: live.tag) + "\n" }
        screen.drew(rows)
        self.screen = screen
        Terminal.output(out + "\u{1B}[?7h")
    }

    /// While a question waits for its answer: rewrites the live rows that changed above it, the cursor saved
    /// and restored around, so that what the operator types stays where it is. Not while the terminal's width
    /// differs from the question's, nor once a line was typed (the cursor has moved): the answer redraws all.
    private func updateAbovePrompt() {
        guard var shown = prompt, var screen, let live else { return }
        screen.measure()
        guard screen.columns == shown.columns, !Self.inputLineWaiting() else { return }
        let rows = live.liveLines(width: screen.width, height: shown.liveRows, exactly: true)
        let changed = rows.indices.filter { $0 < shown.shown.count && rows[$0] != shown.shown[$0] }
        guard !changed.isEmpty else { return }
        var out = "\u{1B}7\u{1B}[?7l"
        for index in changed {
            let up = shown.lines.count - 1 + shown.liveRows - index
            out += "\u{1B}8\u{1B}[\(up)A\r\u{1B}[2K" + styled(rows[index], tag: live.tag)
        }
        Terminal.output(out + "\u{1B}8\u{1B}[?7h")
        shown.shown = rows
        prompt = shown
    }

    /// Whether a whole line waits on the terminal's input: Enter was pressed and the cursor went down a row.
    private static func inputLineWaiting() -> Bool {
        var count: Int32 = 0
        return ioctl(STDIN_FILENO, UInt(FIONREAD), &count) == 0 && count > 0
    }

    /// The banner's tag in colours (unless NO_COLOR), where a line starts with it.
    private func styled(_ line: String, tag: String) -> String {
        guard colors, line.hasPrefix(tag) else { return line }
        let colour = live?.header.mode == .drill ? "\u{1B}[1;30;43m" : "\u{1B}[1;97;41m"
        return colour + tag + "\u{1B}[0m" + line.dropFirst(tag.count)
    }

    // MARK: JSON

    /// The event's JSON line; nil for the live view's own events (countdowns, output lines), which
    /// `--format json` does not carry.
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

/// The terminal's size and the live rows on it, as written (for the cursor to go back over them).
struct TerminalScreen {
    private(set) var columns = 80
    private(set) var rows = 24
    private let fallback: (columns: Int, rows: Int)
    /// The live rows last written, below the cursor's row… above it, rather: the cursor waits under them.
    private(set) var drawn: [String] = []
    private var drawnWidths: [Int] = []

    init(environment: [String: String]) {
        fallback = (Int(environment["COLUMNS"] ?? "") ?? 80, Int(environment["LINES"] ?? "") ?? 24)
        measure()
    }

    /// The width lines are fitted to: one column is left free, so that no line ever ends on the edge.
    var width: Int { max(1, columns - 1) }

    /// At most half the screen for the live rows, so that a terminal made shorter never pushes them into its scrollback.
    var liveHeight: Int { max(1, min(rows - 1, max(3, rows / 2))) }

    /// Reads the size (ioctl TIOCGWINSZ on stdout).
    mutating func measure() {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 {
            columns = Int(size.ws_col)
            rows = size.ws_row > 0 ? Int(size.ws_row) : fallback.rows
        } else {
            (columns, rows) = (max(1, fallback.columns), max(1, fallback.rows))
        }
    }

    /// The rows `lines` take now: one each at the width they were written for; at a narrower width, a terminal
    /// that reflows its lines (tmux, most of today's) spreads a long one over several.
    func rows(of lines: [String]) -> Int {
        lines.reduce(0) { $0 + max(1, (TerminalText.width($1) + columns - 1) / columns) }
    }

    /// Goes back to the first live row and erases from there to the end of the screen.
    mutating func erase() -> String {
        let count = drawnWidths.reduce(0) { $0 + max(1, ($1 + columns - 1) / columns) }
        forget()
        return (count > 0 ? "\u{1B}[\(count)A" : "") + "\r\u{1B}[J"
    }

    /// The live rows were erased by other means.
    mutating func forget() {
        drawn = []
        drawnWidths = []
    }

    mutating func drew(_ lines: [String]) {
        drawn = lines
        drawnWidths = lines.map(TerminalText.width)
    }
}

extension Terminal {
    /// `text` with each line wrapped to the terminal's width when standard output is one (as the live view's lines
    /// are); unchanged through a pipe.
    static func fitted(_ text: String) -> String {
        let environment = ProcessInfo.processInfo.environment
        guard isatty(STDOUT_FILENO) == 1, environment["TERM"] != "dumb" else { return text }
        let width = TerminalScreen(environment: environment).width
        return text.split(separator: "\n", omittingEmptySubsequences: false).flatMap { line in
            line.isEmpty ? [""] : TerminalText.wrap(String(line), width: width, indent: "    ")
        }.joined(separator: "\n")
    }
}

/// SIGWINCH: the terminal changed size. Not Sendable (its Dispatch source is not): the task that creates it stops it.
final class ResizeWatcher {
    private let source: any DispatchSourceSignal

    init(view: TerminalView) {
        source = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
        source.setEventHandler { Task { await view.resized() } }
        source.resume()
    }

    func stop() { source.cancel() }
}

extension JSONValue {
    /// An event named as the journal names the record it goes with. The terminal's own events
    /// (`attempt.started`, `attempt.finished`, `step.undone`) have no record of that name.
    fileprivate static func event(_ kind: JournalRecordKind) -> JSONValue { .string(kind.rawValue) }
}
