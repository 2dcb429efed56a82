import ArgumentParser
import FiletRunbook
import FiletSupport
import FiletSyntax
import Foundation

struct PlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Show what a runbook would do, step by step and level by level, without doing anything.",
        discussion: """
            Steps are grouped by dependency level: the steps of one level can run in parallel. \
            Interpolations known before the run (vars, env, runbook id) are resolved; secrets and \
            webhook URLs are masked. Exit 0, 1 when the runbook has errors, 2 on usage errors.
            """
    )

    @Argument(help: "The runbook file.")
    var file: String

    @Option(name: .customLong("var"), help: ArgumentHelp("Set a variable of the runbook.", valueName: "NAME=VALUE"))
    var variables: [String] = []

    @Option(help: "Output format: text, or json for scripts.")
    var format: OutputFormat = .text

    func run() throws {
        let overrides = try variableAssignments(variables)
        let source = try SourceFile.read(path: file)
        guard let plan = loadPlan(source) else { throw ExitStatus.failure.exitCode }
        let view: PlanView
        do throws(PlanView.VariableError) {
            view = try PlanView(plan: plan, path: file, overrides: overrides, environment: ProcessInfo.processInfo.environment)
        } catch {
            throw InputError(error.description)
        }
        Terminal.say(format == .json ? view.json().rendered() + "\n" : view.text())
    }
}
