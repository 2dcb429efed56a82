import ArgumentParser
import FiletRunbook
import FiletSupport
import FiletSyntax

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check runbook files and report every problem, as file:line:column: error: message.",
        discussion: "Exit 0 when every file is clean, 1 when any has errors, 2 on usage errors."
    )

    @Argument(help: "The runbook files.")
    var files: [String]

    @Option(help: "Output format: text, or json for editors and CI.")
    var format: OutputFormat = .text

    func validate() throws {
        if files.isEmpty { throw ValidationError("give at least one runbook file, for example: filet validate Runbooks/*.yaml") }
    }

    func run() throws {
        let sources = try files.map { path throws(SourceFile.ReadError) in try SourceFile.read(path: path) }
        var results: [(SourceFile, Result<Plan, DiagnosticList>)] = []
        for source in sources {
            do throws(DiagnosticList) {
                results.append((source, .success(try RunbookLoader.load(source))))
            } catch {
                results.append((source, .failure(error)))
            }
        }
        let failed = results.filter { if case .failure = $0.1 { true } else { false } }.count
        switch format {
        case .json:
            let errors = results.reduce(0) { total, result in
                if case .failure(let list) = result.1 { total + list.diagnostics.count } else { total }
            }
            let json = JSONValue.object([
                ("valid", .bool(failed == 0)),
                ("errors", .integer(errors)),
                (
                    "files",
                    .array(
                        results.map { source, result in
                            let diagnostics: [Diagnostic]
                            if case .failure(let list) = result { diagnostics = list.diagnostics } else { diagnostics = [] }
                            return .object([
                                ("file", .string(source.path)),
                                ("valid", .bool(diagnostics.isEmpty)),
                                ("diagnostics", .array(diagnostics.map { $0.json(file: source.path) })),
                            ])
                        })
                ),
            ])
            Terminal.output(json.rendered() + "\n")
        case .text:
            for (source, result) in results {
                switch result {
                case .success(let plan):
                    let finals = plan.finallySteps.isEmpty ? "" : " + \(plan.finallySteps.count) finally"
                    let steps = "\(plan.steps.count) step\(plan.steps.count == 1 ? "" : "s")"
                    Terminal.output("\(source.path): ok (runbook \(plan.runbook.id), \(steps)\(finals))\n")
                case .failure(let list):
                    Terminal.output(DiagnosticRenderer(file: source).render(list.diagnostics))
                    let count = list.diagnostics.count
                    Terminal.output("\(source.path): \(count) error\(count == 1 ? "" : "s")\n")
                }
            }
            if results.count > 1 {
                Terminal.output("\(results.count) files: \(results.count - failed) valid, \(failed) with errors\n")
            }
        }
        if failed > 0 { throw ExitStatus.failure.exitCode }
    }
}
