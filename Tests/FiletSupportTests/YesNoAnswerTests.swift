import FiletSupport
import Testing

@Suite struct YesNoAnswerTests {
    @Test(arguments: ["yes", "y", "oui", "o", "YES", "Oui", " O ", "\ty\t"])
    func theseSayYes(_ typed: String) {
        #expect(YesNoAnswer(typed: typed) == .yes)
    }

    @Test(arguments: ["no", "n", "non", "NO", "Non", "  n  "])
    func theseSayNo(_ typed: String) {
        #expect(YesNoAnswer(typed: typed) == .no)
    }

    @Test(arguments: ["", " ", "d", "yep", "nope", "ok", "peut-être", "oui oui", "0", "ye s"])
    func anythingElseIsNoAnswer(_ typed: String) {
        #expect(YesNoAnswer(typed: typed) == nil)
    }
}
