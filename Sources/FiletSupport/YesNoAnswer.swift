/// An operator's answer to a yes-or-no question at the terminal (a confirmation, the question `filet resume` asks
/// about an interrupted step). The same words mean the same thing everywhere, in either language: `yes`, `y`, `oui`
/// and `o` say yes; `no`, `n` and `non` say no; letter case and surrounding blanks do not matter. Anything else is
/// no answer: the question is asked again, never taken as a refusal.
public enum YesNoAnswer: Sendable, Hashable {
    case yes, no

    public static let yesWords = ["yes", "y", "oui", "o"]
    public static let noWords = ["no", "n", "non"]

    /// The answer `typed` gives; nil when it is neither (ask again).
    public init?(typed: String) {
        let word = typed.trimmingBlanks().lowercased()
        if Self.yesWords.contains(word) {
            self = .yes
        } else if Self.noWords.contains(word) {
            self = .no
        } else {
            return nil
        }
    }
}

extension String {
    /// Without the spaces, tabs and line ends around it.
    fileprivate func trimmingBlanks() -> String {
        let blank: (Character) -> Bool = { $0.isWhitespace }
        guard let first = firstIndex(where: { !blank($0) }), let last = lastIndex(where: { !blank($0) }) else { return "" }
        return String(self[first...last])
    }
}
