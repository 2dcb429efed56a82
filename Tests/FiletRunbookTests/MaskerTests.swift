import FiletRunbook
import FiletSupport
import Foundation
import Testing

@Suite struct MaskerTests {
    static let secret = "s3cr3t-Tok€n/with+chars=\"quoted\""

    @Test func hidesTheSecretInEveryEncodedForm() throws {
        let masker = Masker(secrets: [Self.secret])
        let bytes = Data(Self.secret.utf8)
        var forms = [
            Self.secret,
            JSONValue.quoted(Self.secret),
            Self.secret.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!,
            bytes.base64EncodedString(),
        ]
        // Inside a longer base64 text, at every alignment.
        for prefix in ["", "a", "ab", "abc"] {
            forms.append(Data((prefix + Self.secret + "tail").utf8).base64EncodedString())
        }
        for form in forms {
            let shown = masker("before \(form) after")
            #expect(shown.contains(Masker.mask), "\(form)")
            #expect(!shown.contains(Self.secret))
            #expect(!shown.contains(bytes.base64EncodedString().dropLast(4)), "base64 leaked in \(shown)")
        }
    }

    @Test func hidesEachLineOfAMultilineSecret() {
        let key = "-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD9\nQ0XhYWdBi3JRFj1fpEKq\n-----END KEY-----"
        let masker = Masker(secrets: [key])
        let printed = key.split(separator: "\n").map { "log: \($0)" }.joined(separator: "\n")
        let shown = masker(printed)
        for line in key.split(separator: "\n") { #expect(!shown.contains(line)) }
    }

    @Test func longerSecretsAreHiddenWhole() {
        let masker = Masker(secrets: ["abcdefgh", "abcdefgh-ijkl"])
        #expect(masker("x abcdefgh-ijkl y") == "x *** y")
    }

    @Test func masksInsideJSONValues() {
        let masker = Masker(secrets: ["topsecret"])
        let value: JSONValue = .object([("a", .array([.string("is topsecret"), .integer(3)]))])
        #expect(masker.mask(value) == .object([("a", .array([.string("is ***"), .integer(3)]))]))
    }
}

@Suite struct RetryPolicyTests {
    @Test func backoffDoublesWithJitterAndCap() {
        let policy = RetryPolicy(retries: 5, backoff: .seconds(1), cap: .seconds(5))
        #expect(policy.maximumAttempts == 6)
        #expect(policy.delay(beforeAttempt: 1, random: 0.5) == .zero)
        #expect(policy.delay(beforeAttempt: 2, random: 0.5) == .seconds(1))
        #expect(policy.delay(beforeAttempt: 3, random: 0.5) == .seconds(2))
        #expect(policy.delay(beforeAttempt: 3, random: 0) == .milliseconds(1600))
        #expect(policy.delay(beforeAttempt: 3, random: 0.999_999) == .milliseconds(2399))
        #expect(policy.delay(beforeAttempt: 6, random: 0.5) == .seconds(5))
    }
}

@Suite struct MaskerFormTests {
    static let secret = "Zq8w tok/x+y=Kp4r"

    @Test(arguments: [
        "Zq8w tok/x+y=Kp4r\u{301}",  // a combining mark after it
        "Zq8w+tok%2Fx%2By%3DKp4r",  // form encoding
        "Zq8w%20tok%2fx%2by%3dKp4r",  // percent-encoding, lowercase hex digits
        Hex.string(Array(secret.utf8)), Hex.string(Array(secret.utf8)).uppercased(),
        Data(secret.utf8).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_"),
    ])
    func hidesTheForm(_ form: String) {
        let shown = Array(Masker(secrets: [Self.secret])("before \(form) after").utf8)
        // Bytes, not characters: "***" followed by a combining mark is not a `Character` "*".
        #expect(!shown.contains(Array(form.utf8)) && !shown.contains(Array(Self.secret.utf8)))
        #expect(shown.contains(Array(Masker.mask.utf8)))
    }

    @Test func hidesBase64WrappedAcrossLines() {
        let secret = String(repeating: "Wr4pped-secret-", count: 8)
        let encoded = Data(("prefix " + secret).utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn])
        let shown = Masker(secrets: [secret])(encoded)
        let core = Data(secret.utf8).base64EncodedString().dropFirst(8).dropLast(8)
        #expect(!shown.replacing("\r", with: "").replacing("\n", with: "").contains(core))
    }

    @Test func hidesTheTokensOfAWebhookURL() {
        var masker = Masker()
        masker.addParts(ofURL: "https://hooks.example/services/T0KEN1234abc?key=Qu3ryKey99&x=1")
        #expect(masker("unknown token T0KEN1234abc, key Qu3ryKey99 for services") == "unknown token ***, key *** for services")
    }

    @Test func findsWhereSecretsAre() {
        let masker = Masker(secrets: ["abcdefgh"])
        let text = Array("xx abcdefghabcdefgh yy abcdefgh".utf8)
        #expect(text.withUnsafeBufferPointer { masker.secretRanges(in: $0) } == [3..<19, 23..<31])
    }
}
