import FiletSupport
import Testing

/// Display columns as a terminal counts them, and lines fitted to a width.
@Suite struct TerminalTextTests {
    @Test(arguments: [
        ("plain ascii", 11), ("é", 1), ("e\u{301}", 1), ("Ångström", 8), ("漢字", 4), ("🚀", 2), ("👍🏽", 2), ("🇫🇷", 2),
        ("👨‍👩‍👧", 2), ("⚠️", 2), ("✔ ok", 4), ("日本語 text", 11), ("한국", 4), ("ｆｕｌｌ", 8), ("\u{200B}", 0), ("a\u{20DD}", 1),
    ])
    func widths(text: String, columns: Int) {
        #expect(TerminalText.width(text) == columns, "\(text)")
    }

    @Test func clipKeepsWhatFitsAndEndsWithAnEllipsis() {
        #expect(TerminalText.clip("short", to: 10) == "short")
        #expect(TerminalText.clip("exactly10!", to: 10) == "exactly10!")
        #expect(TerminalText.clip("a little too long", to: 10) == "a little …")
        // A wide character that would cross the edge is left out whole.
        #expect(TerminalText.clip("ab漢字漢字", to: 5) == "ab漢…")
        #expect(TerminalText.width(TerminalText.clip("ab漢字漢字", to: 6)) <= 6)
        #expect(TerminalText.clip("Ångström éé", to: 9) == "Ångström…")
        #expect(TerminalText.clip("anything", to: 0) == "")
        for width in 1...30 {
            for text in ["🚀🚀🚀 launch 漢字 é\u{301} and more text", String(repeating: "x", count: 40)] {
                #expect(TerminalText.width(TerminalText.clip(text, to: width)) <= width)
            }
        }
    }

    @Test func wrapLosesNothingButTheBreakingSpaces() {
        let text = "HTTP 503 from http://127.0.0.1:8080/health, expected 200; the body does not contain 'ok' (déploiement 漢字 🚀)"
        for width in [10, 17, 24, 40, 80] {
            let lines = TerminalText.wrap(text, width: width, indent: "  ")
            for line in lines { #expect(TerminalText.width(line) <= width, "\(width): \(line)") }
            let words = lines.flatMap { $0.split(separator: " ") }.joined()
            #expect(words == text.split(separator: " ").joined(), "\(width)")
        }
        #expect(TerminalText.wrap("fits", width: 10) == ["fits"])
        #expect(TerminalText.wrap("one two three", width: 7) == ["one two", "three"])
        #expect(TerminalText.wrap("one two three", width: 7, indent: "  ") == ["one two", "  three"])
        #expect(TerminalText.wrap("    indented text here", width: 12, indent: "    ") == ["    indented", "    text", "    here"])
        #expect(TerminalText.wrap("abcdefghij", width: 4) == ["abcd", "efgh", "ij"])
    }

    @Test func displayableTextCannotActOnTheTerminal() {
        #expect(TerminalText.displayable("plain") == "plain")
        #expect(TerminalText.displayable("\u{1B}[31mred\u{1B}[0m \u{1B}[1;32mgreen\u{1B}[m") == "red green")
        #expect(TerminalText.displayable("\u{1B}[2J\u{1B}[10;1H\u{1B}[") == "\\e[2J\\e[10;1H\\e[")
        #expect(TerminalText.displayable("\u{1B}]0;PWNED\u{07}\u{1B}[2Jafter") == "\\e]0;PWNED\\x07\\e[2Jafter")
        #expect(TerminalText.displayable("a\tb\nc\rd") == "a b c d")
        #expect(TerminalText.displayable("bell\u{07} del\u{7F} c1\u{9B} nul\u{0}") == "bell\\x07 del\\x7F c1\\u{9B} nul\\x00")
        #expect(TerminalText.displayable("abc\u{202E}fed") == "abc\\u{202E}fed")
        #expect(TerminalText.inert("line 1\n\tline 2\r\n\u{1B}[2J") == "line 1\n\tline 2\\x0D\n\\e[2J")
        #expect(TerminalText.displayable("déjà 漢字 🚀") == "déjà 漢字 🚀")
    }
}
