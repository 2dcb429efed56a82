import FiletSupport
import Testing

@Suite struct JournalJSONParsingTests {
    @Test func readsBackWhatItRenders() throws {
        let value: JSONValue = .object([
            ("text", "é \"quoted\" \\ \n\t\u{0}\u{7F}\u{2028} 🚒"), ("int", .integer(Int.min)), ("max", .integer(Int.max)),
            ("list", .array([true, false, .null, .object([]), .array([])])), ("same", 1), ("same", 2),
        ])
        #expect(try JSONValue(parsing: value.rendered(pretty: false)) == value)
        #expect(try JSONValue(parsing: value.rendered(pretty: true)) == value)
    }

    @Test func decodesEscapes() throws {
        #expect(try JSONValue(parsing: #""\u00e9\uD83D\uDE92\/\b\f""#) == .string("é🚒/\u{8}\u{C}"))
        #expect(try JSONValue(parsing: " [ 1 , -0 ] ") == .array([1, 0]))
    }

    @Test func refusesWhatItCannotHold() {
        let cases: [(String, String)] = [
            ("1.5", "byte 1: a number with a fraction or an exponent; filet's JSON holds integers only"),
            ("1e3", "byte 1: a number with a fraction or an exponent; filet's JSON holds integers only"),
            ("012", "byte 1: a number with a leading zero"),
            ("99999999999999999999", "byte 1: the integer does not fit in 64 bits"),
            (#""abc"#, "byte 1: a string that is never closed"),
            (#""\x""#, #"byte 2: an unknown escape '\x'"#),
            (#""\uD83D""#, "byte 2: a high surrogate escape without its low surrogate"),
            ("{\"a\" 1}", "byte 6: expected ':' after a member name"),
            ("[1,]", "byte 4: expected a value (a string, number, object, array, true, false or null)"),
            ("tru", "byte 1: expected a value (a string, number, object, array, true, false or null)"),
            ("{} {}", "byte 4: unexpected text after the JSON value"),
            ("\"\u{1}\"", "byte 2: a control character inside a string (it must be escaped)"),
        ]
        for (text, message) in cases {
            #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
            do { _ = try JSONValue(parsing: text) } catch { #expect(error.description == message, "\(text)") }
        }
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: [0x22, 0xC3, 0x28, 0x22]) }
        #expect(throws: JSONValue.ParseError.self) {
            try JSONValue(parsing: String(repeating: "[", count: 300) + String(repeating: "]", count: 300))
        }
    }
}
