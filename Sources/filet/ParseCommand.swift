import ArgumentParser
import FiletSupport
import FiletSyntax

struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Print the document a runbook file composes to, as JSON (or its located errors).",
        discussion: "Every scalar is a JSON string (an empty value is \"\"), mapping order is kept. Exit 0, 1 on errors, 2 on usage errors."
    )

    @Argument(help: "The runbook file.")
    var file: String

    @Flag(help: "Print the JSON on one line.")
    var compact = false

    func run() throws {
        let source = try SourceFile.read(path: file)
        do throws(DiagnosticList) {
            let root = try Syntax.parse(source)
            Terminal.output(root.json.rendered(pretty: !compact) + "\n")
        } catch {
            Terminal.error(DiagnosticRenderer(file: source).render(error.diagnostics))
            throw ExitStatus.failure.exitCode
        }
    }
}
