import FiletReports
import Testing

@Suite struct RunSummaryTests {
    @Test func elapsedIsShortAndRounded() {
        #expect(RunSummary.elapsed(.milliseconds(40)) == "0.0s")
        #expect(RunSummary.elapsed(.milliseconds(1250)) == "1.3s")
        #expect(RunSummary.elapsed(.seconds(65)) == "1m05s")
        #expect(RunSummary.elapsed(.seconds(3725)) == "1h02m")
    }
}
