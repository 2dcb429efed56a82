public import FiletSyntax

/// A step placed in the plan: the steps it waits for and its dependency level.
public struct PlannedStep: Sendable {
    public var step: Step
    /// The ids of the steps this one waits for (its `needs`, or the step above it).
    public var needs: [String]
    /// 0 for steps that wait for nothing; otherwise one more than the highest level it waits for.
    public var level: Int
}

/// The order a runbook runs in: the main steps and the finally steps, each a DAG
/// grouped by dependency level (the steps of one level may run in parallel).
public struct Plan: Sendable {
    public let runbook: Runbook
    public let steps: [PlannedStep]
    public let finallySteps: [PlannedStep]

    public var levels: [[PlannedStep]] { Self.grouped(steps) }
    public var finallyLevels: [[PlannedStep]] { Self.grouped(finallySteps) }

    /// Orders the runbook's steps, reporting unknown needs, cycles and `steps.ID`
    /// references to steps that do not run before the step that reads them.
    init(_ runbook: Runbook, stepReferences: [(from: String, to: StepReference)], declaredSteps: Set<String> = []) throws(DiagnosticList) {
        var diagnostics: [Diagnostic] = []
        let finallyIDs = Set(runbook.finallySteps.map(\.id))
        let mainIDs = Set(runbook.steps.map(\.id))
        let main = Self.order(runbook.steps, otherPhase: finallyIDs, invalid: declaredSteps, diagnostics: &diagnostics)
        let finals = Self.order(runbook.finallySteps, otherPhase: mainIDs, invalid: declaredSteps, diagnostics: &diagnostics)
        if diagnostics.isEmpty {
            Self.checkReferences(stepReferences, main: main, finally: finals, diagnostics: &diagnostics)
        }
        guard diagnostics.isEmpty else { throw DiagnosticList(diagnostics) }
        self.runbook = runbook
        steps = main
        finallySteps = finals
    }

    private static func grouped(_ steps: [PlannedStep]) -> [[PlannedStep]] {
        guard let deepest = steps.map(\.level).max() else { return [] }
        var levels = [[PlannedStep]](repeating: [], count: deepest + 1)
        for step in steps { levels[step.level].append(step) }
        return levels
    }

    /// Resolves needs and levels. Needs naming a step in `invalid` (one that was written but
    /// did not validate, already reported) are left out rather than reported again.
    private static func order(_ steps: [Step], otherPhase: Set<String>, invalid: Set<String>, diagnostics: inout [Diagnostic])
        -> [PlannedStep]
    {
        let index = Dictionary(steps.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        var needs = [[Int]](repeating: [], count: steps.count)
        for (position, step) in steps.enumerated() {
            guard let explicit = step.explicitNeeds else {
                if position > 0 { needs[position] = [position - 1] }
                continue
            }
            for need in explicit {
                if let target = index[need.id] {
                    if needs[position].contains(target) {
                        diagnostics.append(
                            Diagnostic(
                                "duplicate-need", "step '\(step.id)' lists '\(need.id)' twice in needs", at: need.location,
                                hint: "remove one"))
                    } else {
                        needs[position].append(target)
                    }
                } else if invalid.contains(need.id) {
                    continue
                } else if otherPhase.contains(need.id) {
                    let message =
                        step.isFinally
                        ? "finally step '\(step.id)' needs '\(need.id)', a main step: finally steps always run after every main step"
                        : "step '\(step.id)' needs '\(need.id)', a finally step: finally steps run after every main step"
                    diagnostics.append(
                        Diagnostic(
                            "need-across-phases", message, at: need.location,
                            hint: step.isFinally ? "remove it from needs" : "move one of the two steps"))
                } else {
                    diagnostics.append(
                        Diagnostic(
                            "unknown-step", "step '\(step.id)' needs '\(need.id)', which is not a step of this runbook",
                            at: need.location, hint: Suggestion.hint(for: need.id, in: steps.map(\.id), listing: "steps")))
                }
            }
        }
        guard let levels = levels(needs: needs, steps: steps, diagnostics: &diagnostics) else { return [] }
        return steps.enumerated().map { position, step in
            PlannedStep(step: step, needs: needs[position].map { steps[$0].id }, level: levels[position])
        }
    }

    /// Kahn's algorithm; on a cycle, reports the cycle's path.
    private static func levels(needs: [[Int]], steps: [Step], diagnostics: inout [Diagnostic]) -> [Int]? {
        var waiting = needs.map(\.count)
        var dependents = [[Int]](repeating: [], count: needs.count)
        for (step, targets) in needs.enumerated() { for target in targets { dependents[target].append(step) } }
        var level = [Int](repeating: 0, count: needs.count)
        var ready = waiting.indices.filter { waiting[$0] == 0 }
        var placed = 0
        while let step = ready.popLast() {
            placed += 1
            for dependent in dependents[step] {
                level[dependent] = max(level[dependent], level[step] + 1)
                waiting[dependent] -= 1
                if waiting[dependent] == 0 { ready.append(dependent) }
            }
        }
        guard placed < needs.count else { return level }
        // Walk back along unplaced needs until a step repeats: that is a cycle.
        var path: [Int] = []
        var current = waiting.firstIndex { $0 > 0 }!
        while !path.contains(current) {
            path.append(current)
            current = needs[current].first { waiting[$0] > 0 }!
        }
        let cycle = Array(path[path.firstIndex(of: current)!...]) + [current]
        let names = cycle.map { steps[$0].id }
        let start = steps[cycle.first!]
        diagnostics.append(
            Diagnostic(
                "cycle", "the steps wait for each other in a circle (→ reads 'waits for'): " + names.joined(separator: " → "),
                at: start.explicitNeeds?.first?.location ?? start.location,
                hint: "remove one of these needs so that the circle is broken"))
        return nil
    }

    private static func checkReferences(
        _ references: [(from: String, to: StepReference)], main: [PlannedStep], finally: [PlannedStep],
        diagnostics: inout [Diagnostic]
    ) {
        let mainIndex = Dictionary(main.enumerated().map { ($1.step.id, $0) }, uniquingKeysWith: { first, _ in first })
        let finallyIndex = Dictionary(finally.enumerated().map { ($1.step.id, $0) }, uniquingKeysWith: { first, _ in first })
        for (from, target) in references {
            let isFinally = finallyIndex[from] != nil
            let phase = isFinally ? finally : main
            let index = isFinally ? finallyIndex : mainIndex
            if isFinally && mainIndex[target.id] != nil { continue }
            guard let targetPosition = index[target.id] else {
                let known = (mainIndex[target.id] ?? finallyIndex[target.id]) != nil
                diagnostics.append(
                    Diagnostic(
                        known ? "step-reference-order" : "unknown-step",
                        known
                            ? "step '\(from)' reads step '\(target.id)', a finally step, which runs after it"
                            : "step '\(from)' reads 'steps.\(target.id)', which is not a step of this runbook",
                        at: target.location,
                        hint: known ? nil : Suggestion.hint(for: target.id, in: (main + finally).map(\.step.id), listing: "steps")))
                continue
            }
            if target.id == from {
                diagnostics.append(
                    Diagnostic(
                        "step-reference-order",
                        "step '\(from)' reads its own 'steps.\(target.id)', which is known only once it has finished",
                        at: target.location, hint: "read it from a later step that needs '\(from)'"))
            } else if !isAncestor(targetPosition, of: index[from]!, in: phase, index: index) {
                diagnostics.append(
                    Diagnostic(
                        "step-reference-order",
                        "step '\(from)' reads 'steps.\(target.id)', but '\(target.id)' is not sure to have finished before '\(from)' starts",
                        at: target.location,
                        hint: "add '\(target.id)' to the needs of '\(from)' (directly or through a step it needs)"))
            }
        }
    }

    /// Whether `ancestor` is reached from `step` by following needs; only steps of a lower level can be.
    private static func isAncestor(_ ancestor: Int, of step: Int, in steps: [PlannedStep], index: [String: Int]) -> Bool {
        let floor = steps[ancestor].level
        var visited = Set<Int>()
        var stack = [step]
        while let current = stack.popLast() {
            for need in steps[current].needs {
                let position = index[need]!
                if position == ancestor { return true }
                if steps[position].level > floor, visited.insert(position).inserted { stack.append(position) }
            }
        }
        return false
    }
}

/// Reads runbook files: parse, validate and plan, or every diagnostic found.
public enum RunbookLoader: Sendable {
    public static func load(_ file: SourceFile) throws(DiagnosticList) -> Plan {
        let root = try Syntax.parse(file)
        var decoder = RunbookDecoder()
        let runbook = decoder.decode(root)
        var diagnostics = decoder.reader.diagnostics
        if let runbook {
            // Order the steps that did validate even when others did not, so that one run reports everything.
            let invalid = Set(decoder.declaredSteps.keys).subtracting((runbook.steps + runbook.finallySteps).map(\.id))
            do throws(DiagnosticList) {
                let plan = try Plan(runbook, stepReferences: diagnostics.isEmpty ? decoder.stepReferences : [], declaredSteps: invalid)
                if diagnostics.isEmpty { return plan }
            } catch {
                diagnostics += error.diagnostics
            }
        }
        throw DiagnosticList(diagnostics.sorted { $0.location < $1.location })
    }
}
