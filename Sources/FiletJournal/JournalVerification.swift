/// One thing wrong with a journal, located on a line.
public struct JournalProblem: Sendable, Hashable, CustomStringConvertible {
    /// A stable name for the kind of problem; new kinds break nobody.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A record whose bytes changed after it was written: its SHA-256 no longer matches the
        /// next record's `prev` (or its seq no longer fits its place in the chain).
        public static let modified = Kind(rawValue: "modified")
        /// One or more records missing: a seq gap where the chain breaks.
        public static let deleted = Kind(rawValue: "deleted")
        /// A genuine record out of its place: its seq goes backwards, its chain links are elsewhere.
        public static let reordered = Kind(rawValue: "reordered")
        /// A record that is not part of the chain: removing it restores the chain.
        public static let inserted = Kind(rawValue: "inserted")
        /// The last line is incomplete: a crash during a write (not tampering).
        public static let tornTail = Kind(rawValue: "torn-tail")
        /// The journal does not end with `run.finished`: the run was interrupted, or the end was cut off.
        public static let notClosed = Kind(rawValue: "not-closed")
        /// A record whose `mac` does not match: forged, or corrupt.
        public static let badMAC = Kind(rawValue: "bad-mac")
        /// No record's `mac` matches: the key is wrong (or every record was forged).
        public static let wrongKey = Kind(rawValue: "wrong-key")
        /// A record without `mac` although a key was given.
        public static let missingMAC = Kind(rawValue: "missing-mac")
        /// A line, other than the last, that is not a journal record.
        public static let corrupt = Kind(rawValue: "corrupt")
        /// A record whose `ts` is earlier than the previous record's.
        public static let timeBackwards = Kind(rawValue: "time-backwards")
        /// A record whose `run` is not this journal's run id.
        public static let wrongRun = Kind(rawValue: "wrong-run")
        /// The first record's `prev` is not the SHA-256 of the runbook given to check against.
        public static let runbookMismatch = Kind(rawValue: "runbook-mismatch")
        /// A checkpoint that does not match the chain before it (its `records` or `head`), is
        /// malformed, or (with a public key) whose signature does not verify.
        public static let badCheckpoint = Kind(rawValue: "bad-checkpoint")
        /// With a public key: a checkpoint signed by another key (its fingerprint is not the key's).
        public static let foreignKey = Kind(rawValue: "foreign-key")
        /// With a public key: records after the last good checkpoint, or a journal that does not end
        /// with a checkpoint right after `run.finished`: its end may have been cut off.
        public static let unsignedTail = Kind(rawValue: "unsigned-tail")
        /// With an anchor: line n does not hash to the anchor's head (or the chain up to it is
        /// broken, or the anchor names another run).
        public static let anchorMismatch = Kind(rawValue: "anchor-mismatch")
        /// With an anchor: the journal has fewer records than the anchor covers.
        public static let anchorTruncated = Kind(rawValue: "anchor-truncated")
    }

    public var kind: Kind
    /// The 1-based line number the problem is found on.
    public var line: Int
    /// What is wrong, for a person.
    public var message: String

    public init(_ kind: Kind, line: Int, _ message: String) {
        self.kind = kind
        self.line = line
        self.message = message
    }

    /// `line 12: deleted: …`
    public var description: String { "line \(line): \(kind): \(message)" }
}

/// What ``JournalVerifier`` found in a journal.
public struct JournalVerification: Sendable {
    /// The journal file.
    public var path: String
    /// Lines in the file, a torn last line included.
    public var lineCount: Int
    /// Lines that are well-formed records.
    public var recordCount: Int
    /// Records 1 through this one (on lines 1 through this one) are verified: well-formed,
    /// chained, in order, and with a matching MAC when a key was given. 0 when none is.
    public var verifiedThrough: Int
    /// Whether MACs were checked (a key was given).
    public var macsChecked: Bool
    /// Whether some record carries a `mac` (the journal was written with a key).
    public var hasMACs: Bool
    /// Whether the journal ends with `run.finished`.
    public var isClosed: Bool
    /// Every problem, in line order. Empty means intact.
    public var problems: [JournalProblem]
    /// When the journal has checkpoints or a public key was given: how far the signed part reaches.
    public var signing: Signing?
    /// When an anchor was given: whether the journal matches it.
    public var anchor: AnchorCheck?
    /// The SHA-256 (hex) of line ``verifiedThrough``: what record `verifiedThrough + 1`'s `prev`
    /// would hold. Nil when nothing verified.
    public var head: String?

    public init(
        path: String, lineCount: Int, recordCount: Int, verifiedThrough: Int, macsChecked: Bool, hasMACs: Bool,
        isClosed: Bool, problems: [JournalProblem], signing: Signing? = nil, anchor: AnchorCheck? = nil, head: String? = nil
    ) {
        self.path = path
        self.lineCount = lineCount
        self.recordCount = recordCount
        self.verifiedThrough = verifiedThrough
        self.macsChecked = macsChecked
        self.hasMACs = hasMACs
        self.isClosed = isClosed
        self.problems = problems
        self.signing = signing
        self.anchor = anchor
        self.head = head
    }

    /// The signed part of a journal.
    public struct Signing: Sendable, Hashable {
        /// `checkpoint` records in the journal.
        public var checkpoints: Int
        /// Whether signatures were checked (a public key was given); otherwise only the
        /// checkpoints' agreement with the chain was.
        public var signaturesChecked: Bool
        /// Records 1 through this one are covered by the last good checkpoint on the verified chain (0: none).
        public var signedThrough: Int
        /// Records after that checkpoint.
        public var unsignedTail: Int
    }

    /// What an anchor check found.
    public struct AnchorCheck: Sendable, Hashable {
        public var anchor: JournalAnchor
        /// Records 1..n are intact and line n hashes to the anchor's head.
        public var matches: Bool
        /// Records after the anchor's n (when it matches).
        public var recordsAfter: Int
    }

    /// The anchor of the verified chain (`filet-anchor v1 run=… records=… head=…`), when something verified.
    public var currentAnchor: JournalAnchor? {
        guard let head, verifiedThrough > 0 else { return nil }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let run = name.hasSuffix(".jsonl") ? String(name.dropLast(6)) : name
        return JournalAnchor(run: run, records: verifiedThrough, head: head)
    }

    /// No problem at all: the whole chain verified and the run closed.
    public var isIntact: Bool { problems.isEmpty }

    /// One line for a person, which always says how far verification went:
    /// `intact: verified 1..120 of 120 records (hash chain and MACs), run closed`.
    public var verdict: String {
        var how = macsChecked ? "hash chain and MACs" : hasMACs ? "hash chain; MACs not checked: no key" : "hash chain"
        var range =
            verifiedThrough > 0 ? "verified 1..\(verifiedThrough) of \(recordCount) records" : "verified 0 of \(recordCount) records"
        if let signing {
            how += signing.signaturesChecked ? ", checkpoint signatures" : "; checkpoint signatures not checked: no public key"
            range +=
                ", signed up to \(signing.signedThrough), unsigned tail \(signing.unsignedTail) record\(signing.unsignedTail == 1 ? "" : "s")"
        }
        if let anchor, anchor.matches {
            range += ", anchor matched (\(anchor.recordsAfter) record\(anchor.recordsAfter == 1 ? "" : "s") after the anchor)"
        }
        if isIntact { return "intact: \(range) (\(how)), run closed" }
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return "NOT INTACT: \(range) (\(how)); \(count), the first on line \(problems[0].line)"
    }
}
