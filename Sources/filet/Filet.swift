import ArgumentParser
import FiletActions
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation
import Synchronization

@main
struct Filet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filet",
        abstract: "Crisis-continuity runbooks: validate, plan and run them, drill them, audit them.",
        discussion: """
            Exit codes: 0 success; 1 the runbook has errors (or the run failed); 2 usage error \
            (bad flag, unreadable file).
            """,
        version: FiletVersion.current,
        subcommands: [
            ParseCommand.self, ValidateCommand.self, PlanCommand.self, RunCommand.self, DrillCommand.self, AuditCommand.self,
            OutboxCommand.self, ResumeCommand.self,
        ]
    )

    /// Runs the command line, mapping every usage error to exit code 2.
    static func main() async {
        // A journal that reaches the file size limit (RLIMIT_FSIZE) must fail its write (EFBIG) and end
        // the run with exit 3, not kill filet half-way through a record. Commands get the default back.
        signal(SIGXFSZ, SIG_IGN)
        // Processes that leave a step's process group (setsid, setpgid) are re-parented to filet when their parent
        // ends, so that the end of their step kills them too (FiletActions' Subreaper).
        Subreaper.enable()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as SourceFile.ReadError {
            Terminal.error("filet: \(error)")
            Foundation.exit(ExitStatus.usage.rawValue)
        } catch let error as InputError {
            Terminal.error("filet: \(error.message)")
            Foundation.exit(ExitStatus.usage.rawValue)
        } catch {
            if exitCode(for: error) == .validationFailure {
                Terminal.error(fullMessage(for: error))
                Foundation.exit(ExitStatus.usage.rawValue)
            }
            exit(withError: error)
        }
    }
}

/// An input that cannot be used (a journal that is not a regular file, a key that does not parse): said as
/// `filet: message`, exit 2, without the usage text that a mistyped flag gets.
struct InputError: Error {
    var message: String

    init(_ message: String) { self.message = message }
}

enum Terminal {
    private static let chosenLanguage = Mutex(Language(environment: ProcessInfo.processInfo.environment))

    /// The language of the operator's surfaces: the one `--lang` chose, else French when `LC_ALL`,
    /// `LC_MESSAGES` or `LANG` says so, else English.
    static var language: Language { chosenLanguage.withLock { $0 } }

    /// `--lang`: the language the rest of the command speaks.
    static func choose(_ language: Language) {
        chosenLanguage.withLock { $0 = language }
    }

    /// Writes `text` and a line break to standard error, inert (``TerminalText/inert(_:)``): a message may quote a
    /// journal, a runbook or a receiver's answer.
    static func error(_ text: String) {
        let inert = TerminalText.inert(text)
        FileHandle.standardError.write(Data((inert.hasSuffix("\n") ? inert : inert + "\n").utf8))
    }

    /// Writes `text` to standard output, inert: for what quotes journals, outboxes and receivers (not the live
    /// view, which writes its own control sequences around text it made inert itself).
    static func say(_ text: String) {
        output(TerminalText.inert(text))
    }

    static func output(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

/// `--lang fr|en`, on the commands an operator watches (`run`, `drill`, `resume`).
struct LanguageOption: ParsableArguments {
    @Option(
        name: .customLong("lang"),
        help: "The language of the view, prompts and summaries: fr or en (default: from LC_ALL, LC_MESSAGES or LANG).")
    var language: Choice?

    enum Choice: String, ExpressibleByArgument, CaseIterable {
        case fr, en

        var language: Language { self == .fr ? .fr : .en }
    }

    /// Applied as soon as the command line is parsed, so that what is said next (a refusal, a usage error of the
    /// command's own checks) is already in that language.
    func validate() throws {
        if let language { Terminal.choose(language.language) }
    }
}

/// `--format text|json`, shared by the commands that print results.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// Reads a runbook file and plans it; on errors, prints every diagnostic and returns nil.
func loadPlan(_ source: SourceFile) -> Plan? {
    do throws(DiagnosticList) {
        return try RunbookLoader.load(source)
    } catch {
        Terminal.error(DiagnosticRenderer(file: source).render(error.diagnostics))
        return nil
    }
}

/// `--var NAME=VALUE` options as a dictionary.
func variableAssignments(_ assignments: [String]) throws -> [String: String] {
    var values: [String: String] = [:]
    for assignment in assignments {
        guard let equals = assignment.firstIndex(of: "="), equals != assignment.startIndex else {
            throw ValidationError("--var takes NAME=VALUE, not '\(assignment)'")
        }
        values[String(assignment[..<equals])] = String(assignment[assignment.index(after: equals)...])
    }
    return values
}
