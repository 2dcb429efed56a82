import ArgumentParser
import FiletEngine
import FiletJournal
import FiletNotify
import FiletSupport
import Foundation

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Notifications that could not be delivered: list them, deliver them again.",
        subcommands: [OutboxListCommand.self, OutboxDeliverCommand.self]
    )
}

/// `--journal DIR`, shared by the outbox commands: the outbox is `DIR/outbox`.
struct OutboxLocation: ParsableArguments {
    @Option(help: "The directory of journals; the outbox is its outbox/ directory.")
    var journal: String = "filet-journal"

    var outbox: Outbox { Outbox(journalDirectory: journal) }

    /// The journal directory must exist: a mistyped path is not an empty outbox.
    func validate() throws {
        guard !journal.isEmpty else { throw ValidationError("--journal takes a directory, not an empty text") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: journal, isDirectory: &isDirectory) else {
            throw ValidationError("--journal \(journal): no such directory (the directory of journals the runs wrote)")
        }
        guard isDirectory.boolValue else { throw ValidationError("--journal \(journal): not a directory") }
    }
}

struct OutboxListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show what waits in the outbox, oldest first.",
        discussion: "A file of the outbox that is not a valid entry is listed as such. Exit 0; 2 on usage errors."
    )

    @OptionGroup var location: OutboxLocation

    @Option(help: "Output format: text, or json.")
    var format: OutputFormat = .text

    func run() throws {
        let outbox = location.outbox
        let scan: OutboxScan
        do throws(OutboxError) { scan = try outbox.scan() } catch { throw InputError(error.message) }
        let now = OutboxEntry.nowMilliseconds()
        switch format {
        case .json:
            Terminal.say(
                JSONValue.object([
                    ("outbox", .string(outbox.directory)),
                    (
                        "entries",
                        .array(
                            scan.entries.map { entry in
                                .object([
                                    ("id", .string(entry.id)), ("channel", .string(entry.channel)), ("step", .string(entry.message.stepID)),
                                    ("run", .string(entry.journalRunID)), ("runbook", .string(entry.runbookPath)),
                                    ("created", .string(entry.created)),
                                    ("age_seconds", .integer(Int(max(0, now - entry.createdMilliseconds) / 1000))),
                                    ("attempts", .integer(entry.attempts)), ("last_error", .optional(entry.lastError)),
                                ])
                            })
                    ),
                    (
                        "unreadable",
                        .array(
                            scan.problems.map { problem in
                                .object([
                                    ("file", .string(problem.file)), ("kind", .string(problem.kind.rawValue)),
                                    ("problem", .string(problem.message)),
                                ])
                            })
                    ),
                ]).rendered() + "\n")
        case .text:
            if scan.entries.isEmpty && scan.problems.isEmpty {
                Terminal.say("the outbox is empty (\(outbox.directory))\n")
                return
            }
            let header = ["AGE", "CHANNEL", "STEP", "RUN", "ATTEMPTS", "LAST ERROR"]
            let rows = scan.entries.map { entry in
                [
                    HumanAge.describe(milliseconds: now - entry.createdMilliseconds), entry.channel, entry.message.stepID,
                    entry.journalRunID,
                    String(entry.attempts), entry.lastError ?? "-",
                ]
            }
            Terminal.say(Table.render([header] + rows))
            for problem in scan.problems {
                Terminal.say("\(problem.kind.rawValue): \(outbox.directory)/\(problem.file): \(problem.message)\n")
            }
            var summary = "\(scan.entries.count) waiting in \(outbox.directory)"
            if !scan.problems.isEmpty { summary += ", \(scan.problems.count) unreadable" }
            Terminal.say(summary + "\n")
        }
    }
}

struct OutboxDeliverCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver",
        abstract: "Try every waiting notification again, oldest first, recording each outcome in a journal.",
        discussion: """
            Each entry's runbook is read again and must be byte for byte the one the run used (same SHA-256); the \
            channel's destination is resolved from it and the environment. An entry leaves the outbox only once its \
            delivery is durable in this session's journal (<journal dir>/<run id>.jsonl).

            Exit codes: 0 everything selected was delivered; 1 entries remain (or an outbox file is unreadable); \
            2 usage error; 3 the journal or the outbox could not be written.
            """
    )

    @OptionGroup var location: OutboxLocation

    @Option(help: "Deliver only this channel's entries.")
    var channel: String?

    @Option(
        name: .customLong("var"),
        help: ArgumentHelp(
            "Give again a variable a run was given with --var and whose value its journal masks (a secret).", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(help: "Output format: text, or json.")
    var format: OutputFormat = .text

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let session = OutboxSession(
            journalDirectory: location.journal, channel: channel, operatorName: Operator.loginName(environment),
            environment: environment, variables: try variableAssignments(variables))
        let textOutput = format == .text
        let result: OutboxSessionResult
        do throws(OutboxSessionFailure) {
            result = try await session.deliver(
                started: { runID, journalPath in
                    if textOutput { Terminal.say("outbox delivery \(runID): journal \(journalPath)\n") }
                },
                attempted: { entry, result in
                    guard textOutput else { return }
                    let reason = result.reason.map { ": \($0)" } ?? ""
                    Terminal.say("  \(result.outcome) \(entry.id) (channel \(entry.channel), step \(entry.message.stepID))\(reason)\n")
                })
        } catch {
            switch error {
            case .refused(let message): throw InputError(message)
            case .busy(let message): Terminal.error("filet: \(message)")
            case .write(let message, let journalPath):
                Terminal.error("filet: \(message)" + (journalPath.map { "\nfilet: journal \($0)" } ?? ""))
            }
            throw ExitStatus(error).exitCode
        }
        switch result {
        case .nothingToDeliver(let directory):
            let what = channel.map { "nothing waits for channel \($0)" } ?? "the outbox is empty"
            switch format {
            case .json:
                Terminal.say(
                    JSONValue.object([("journal", .null), ("delivered", 0), ("waiting", 0), ("entries", .array([]))]).rendered() + "\n")
            case .text: Terminal.say("\(what) (\(directory)): nothing to deliver\n")
            }
        case .delivered(let journalPath, let summary):
            show(summary, journalPath: journalPath, outboxDirectory: session.outbox.directory)
            if !summary.isComplete { throw ExitStatus.failure.exitCode }
        }
    }

    private func show(_ summary: OutboxDeliverySummary, journalPath: String, outboxDirectory: String) {
        switch format {
        case .json:
            Terminal.say(
                JSONValue.object([
                    ("journal", .string(journalPath)), ("delivered", .integer(summary.delivered)), ("waiting", .integer(summary.waiting)),
                    (
                        "unreadable",
                        .array(summary.unreadable.map { .object([("file", .string($0.file)), ("problem", .string($0.message))]) })
                    ),
                    (
                        "channels",
                        .array(
                            summary.channels.map {
                                .object([
                                    ("channel", .string($0.channel)), ("delivered", .integer($0.delivered)),
                                    ("waiting", .integer($0.waiting)),
                                ])
                            })
                    ),
                    (
                        "entries",
                        .array(
                            summary.outcomes.map {
                                .object([
                                    ("id", .string($0.id)), ("channel", .string($0.channel)), ("step", .string($0.stepID)),
                                    ("run", .string($0.journalRunID)), ("outcome", .string($0.outcome)), ("reason", .optional($0.reason)),
                                    ("attempts", .integer($0.attempts)),
                                ])
                            })
                    ),
                ]).rendered() + "\n")
        case .text:
            for problem in summary.unreadable {
                Terminal.say("  unreadable \(outboxDirectory)/\(problem.file): \(problem.message)\n")
            }
            for count in summary.channels {
                Terminal.say("channel \(count.channel): \(count.delivered) delivered, \(count.waiting) waiting\n")
            }
            var line = "\(summary.delivered) delivered, \(summary.waiting) waiting"
            if !summary.unreadable.isEmpty { line += ", \(summary.unreadable.count) unreadable" }
            Terminal.say(line + "; journal \(journalPath)\n")
        }
    }
}

/// Ages as people say them: `42s`, `5m`, `3h12m`, `2d4h`.
enum HumanAge {
    static func describe(milliseconds: Int64) -> String {
        let seconds = max(0, milliseconds / 1000)
        switch seconds {
        case ..<60: return "\(seconds)s"
        case ..<3600: return "\(seconds / 60)m"
        case ..<86400: return "\(seconds / 3600)h" + (seconds % 3600 / 60 == 0 ? "" : "\(seconds % 3600 / 60)m")
        default: return "\(seconds / 86400)d" + (seconds % 86400 / 3600 == 0 ? "" : "\(seconds % 86400 / 3600)h")
        }
    }
}

/// Left-aligned columns separated by two spaces; the last column is not padded.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let columns = rows.first?.count else { return "" }
        let widths = (0..<columns).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index == columns - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
