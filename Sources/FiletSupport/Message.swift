/// The language of the operator's surfaces (live view, prompts, summaries, preflight, resume hints).
/// Machine-readable values (the journal, `--format json`) do not depend on it.
public enum Language: String, Sendable, CaseIterable {
    case en, fr

    /// French when `LC_ALL`, else `LC_MESSAGES`, else `LANG` starts with `fr` (the first one set and
    /// not empty decides, as POSIX locales do); English otherwise.
    public init(environment: [String: String]) {
        let locale = ["LC_ALL", "LC_MESSAGES", "LANG"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty } ?? ""
        self = locale.lowercased().hasPrefix("fr") ? .fr : .en
    }
}

/// A text for a person, in every language filet speaks. Each message is written once, in the catalog
/// (`extension Message` with a static member per message, beside the surface that shows it), with its
/// values interpolated in both languages:
///
///     extension Message {
///         static func stepFailed(_ id: String) -> Message {
///             Message(en: "step \(id) failed", fr: "l’étape \(id) a échoué")
///         }
///     }
///
/// The library returns messages; the command line chooses the language when it prints them.
public struct Message: Sendable, Hashable {
    public let en: String
    public let fr: String

    public init(en: String, fr: String) {
        self.en = en
        self.fr = fr
    }

    /// A text a lower layer wrote in one language only (a journal's or a key's error, naming a file and an errno):
    /// the same words in every language, until that layer speaks French too.
    public static func verbatim(_ text: String) -> Message {
        Message(en: text, fr: text)
    }

    public func text(_ language: Language) -> String {
        switch language {
        case .en: en
        case .fr: fr
        }
    }
}
