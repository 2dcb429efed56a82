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
