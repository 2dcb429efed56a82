import FiletRunbook
import FiletSyntax
import FiletTestSupport
import Testing

/// The generated runbooks that the benchmarks time must be valid runbooks, or the figures time an error path.
@Suite struct GeneratedRunbookTests {
    @Test(arguments: [40, 5000])
    func theLargeRunbookValidatesAndPlans(steps: Int) throws {
        let source = SourceFile(path: "generated-\(steps).yaml", text: RunbookGenerator.largeRunbook(steps: steps))
        let plan = try RunbookLoader.load(source)
        #expect(plan.steps.count == steps)
    }
}
