import ArgumentParser
import FiletJournal
import FiletReports
import FiletSupport
import Foundation

struct AuditReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a report of a run (a journal) or of every run in a folder.",
        discussion: """
            For one journal: the runbook, mode, operator, host, times, status and integrity verdict, then the steps, \
            notifications, confirmations, failures, a timeline and, for a drill, its readiness. For a folder: one row per \
            run, oldest first, and readiness over time. Formats: md, html (one self-contained file), json (schema in \
            docs/reports.md). Exit 0 once written, 2 on usage errors.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case md, html, json
    }

    @Argument(help: "A journal file (.jsonl), or a folder of journals.")
    var journal: String

    @Option(help: "md, html or json.")
    var format: Format = .md

    @Option(help: "Write the report to this file instead of standard output.")
    var output: String?

    @Option(help: "The environment variable that holds the journal key.")
    var keyEnv: String = JournalKey.environmentVariable

    func run() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: journal, isDirectory: &isDirectory) else {
            throw InputError("\(journal): no such file")
        }
        let text: String
        if isDirectory.boolValue {
            let summary: RunsSummary
            let key = try journalKey(keyEnv)
            do throws(JournalError) {
                summary = try RunsSummary.load(directory: journal, key: key)
            } catch {
                throw InputError(error.message)
            }
            switch format {
            case .md: text = summary.markdown()
            case .html: text = ReportHTML.render(summary)
            case .json: text = summary.json().rendered() + "\n"
            }
        } else {
            let timeline = try loadTimeline(journal, keyEnv: keyEnv)
            switch format {
            case .md: text = ReportMarkdown.render(timeline)
            case .html: text = ReportHTML.render(timeline)
            case .json: text = ReportJSON.render(timeline)
            }
        }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                throw InputError("\(output): cannot write the report: \(error.localizedDescription)")
            }
            Terminal.error("filet: report written to \(output)")
        } else {
            Terminal.output(text)
        }
    }
}
