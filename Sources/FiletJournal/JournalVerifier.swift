import Foundation

#if canImport(Glibc)
    import Glibc
    import FiletSupport
#elseif canImport(Darwin)
    import Darwin
#endif

/// Checks a whole journal: every line well-formed, every `prev` recomputed, `seq` continuity,
/// time order, one run id, every `mac` when a key is given, a torn tail, and whether the run
/// was closed; and tells modified, deleted, reordered and inserted records apart.
///
/// It reads the file once, in constant memory apart from 48 bytes per record kept to explain
/// breaks in the chain; it builds no `String` per record. See `docs/journal.md` for what it
/// can and cannot detect.
public enum JournalVerifier: Sendable {
    /// Verifies the journal at `path`.
    ///
    /// - Parameters:
    ///   - key: the HMAC key the journal was written with, or nil to check the chain only.
    ///   - runbookSHA256: the SHA-256 (hex) of the runbook file the run used; when given, the
    ///     first record's `prev` must equal it. Without it, any first `prev` is accepted.
    ///   - publicKey: the key that signs the journal's checkpoints. With it, each checkpoint's
    ///     signature is checked and a journal that does not end with a checkpoint right after
    ///     `run.finished` is reported (`unsigned-tail`). Without it, checkpoints are still checked
    ///     against the chain, not their signatures.
    ///   - anchor: an anchor line kept elsewhere: records 1..n must be intact and line n hash to its head.
    /// - Throws: only when the file cannot be read (``JournalError/Kind/read``) or the key is
    ///   too short (``JournalError/Kind/invalidKey``): problems in the journal are returned.
    public static func verify(
        path: String, key: [UInt8]? = nil, runbookSHA256: String? = nil,
        publicKey: VerifyingKey? = nil, anchor: JournalAnchor? = nil
    ) throws(JournalError) -> JournalVerification {
        if let key { try JournalKey.validate(key) }
        var expectedRunbook: DigestWords?
        if let runbookSHA256 {
            guard let words = DigestWords(hex: runbookSHA256.lowercased()) else {
                throw JournalError(
                    .invalidArgument, path: path, message: "the runbook SHA-256 must be 64 hex digits, not '\(runbookSHA256)'")
            }
            expectedRunbook = words
        }
        func pass(respelled: (line: Int, reason: String)?) throws(JournalError) -> (JournalVerification, Scan) {
            var scan = Scan(path: path, key: key, expectedRunbook: expectedRunbook)
            scan.publicKey = publicKey
            scan.publicKeyFingerprint = publicKey?.fingerprint
            scan.anchor = anchor
            scan.respelled = respelled
            let totals = try LineScanner.scan(path: path) { line, number, terminated in
                scan.take(line, number: number, terminated: terminated)
                return true
            }
            return (scan.conclude(lineCount: totals.lines), scan)
        }
        // A line spelled otherwise than filet writes it is no record. Every line but the last is covered by the next
        // record's prev (another spelling, other bytes, another hash), so only the last is re-rendered and compared;
        // when it differs, the journal is verified again with that line taken as no record.
        let (verification, scan) = try pass(respelled: nil)
        guard let number = scan.lastRecordNumber, let problem = RecordFormat.spellingProblem(scan.lastRecord) else {
            return verification
        }
        return try pass(respelled: (number, "byte \(problem.offset + 1): \(problem.message)")).0
    }
}

/// What the verifier keeps of each record to explain breaks in the chain afterwards.
private struct Entry {
    var line: Int
    var seq: Int
    /// The first 8 bytes of the line's SHA-256, and of its `prev`: enough to match records
    /// with each other; every verdict of "intact" rests on full 32-byte comparisons.
    var hash: UInt64
    var prev: UInt64
    var milliseconds: Int64
    var flags: Flags

    struct Flags: OptionSet {
        var rawValue: UInt8
        /// `prev` equals the full SHA-256 of the line just before, itself a record.
        static let linkedToPreviousLine = Flags(rawValue: 1)
        static let finished = Flags(rawValue: 2)
        static let hasMAC = Flags(rawValue: 4)
        static let badMAC = Flags(rawValue: 8)
        static let wrongRun = Flags(rawValue: 16)
        static let runbookMismatch = Flags(rawValue: 32)
        static let checkpoint = Flags(rawValue: 64)
        /// A `run.resumed` record: the one record (checkpoints aside) that may follow `run.finished`.
        static let resumed = Flags(rawValue: 128)
    }
}

/// The single pass over the lines, then the explanation of what it found.
private struct Scan {
    let path: String
    let authenticator: LineAuthenticator?
    let expectedRunbook: DigestWords?
    /// This journal's run id: from the file name when it is one, else from the first record.
    var run: [UInt8]?

    var entries: [Entry] = []
    /// The last line read that was a record, and its number: its spelling is checked once the scan ends. One buffer,
    /// reused from line to line.
    var lastRecord: [UInt8] = []
    var lastRecordNumber: Int?
    /// A line found spelled otherwise than filet writes it, taken as no record, and why.
    var respelled: (line: Int, reason: String)?
    /// Lines that are not records, and why.
    var badLines: [(line: Int, reason: String)] = []
    /// The full hash of the previous line when it was a record.
    var previousHash: DigestWords?
    var previousMilliseconds: Int64 = .min
    /// Lines 1...verifiedPrefix are verified records with seq = line number.
    var verifiedPrefix = 0
    var prefixBroken = false
    /// The full hash of line `verifiedPrefix`.
    var verifiedHead: DigestWords?

    var publicKey: VerifyingKey?
    var publicKeyFingerprint: String?
    var anchor: JournalAnchor?
    /// The full hash of line `anchor.records`, when there is one.
    var anchorLineHash: DigestWords?
    /// Checkpoints that match the chain (and their signature, with a public key): line and seq.
    var goodCheckpoints: [(line: Int, seq: Int)] = []
    var checkpointCount = 0
    var checkpointProblems: [JournalProblem] = []

    init(path: String, key: [UInt8]?, expectedRunbook: DigestWords?) {
        self.path = path
        self.authenticator = key.map(LineAuthenticator.init)
        self.expectedRunbook = expectedRunbook
        let fileName = path.split(separator: "/").last.map(String.init) ?? path
        if fileName.hasSuffix(".jsonl"), let id = RunID(String(fileName.dropLast(6))) { run = Array(id.rawValue.utf8) }
    }

    mutating func take(_ line: UnsafeBufferPointer<UInt8>, number: Int, terminated: Bool) {
        guard terminated else {
            badLines.append((number, "it has no newline: its write was cut short"))
            previousHash = nil
            prefixBroken = true
            return
        }
        if let respelled, respelled.line == number {
            badLines.append(respelled)
            previousHash = nil
            prefixBroken = true
            return
        }
        let envelope: RecordFormat.Envelope
        do throws(RecordFormat.SyntaxError) {
            envelope = try RecordFormat.parseEnvelope(line)
        } catch {
            badLines.append((number, "byte \(error.offset + 1): \(error.message)"))
            previousHash = nil
            prefixBroken = true
            return
        }
        let hash = DigestWords(sha256: UnsafeRawBufferPointer(line))
        lastRecord.removeAll(keepingCapacity: true)
        lastRecord.append(contentsOf: line)
        lastRecordNumber = number
        let prev = envelope.prevDigest
        var flags: Entry.Flags = []
        if let previousHash, previousHash == prev { flags.insert(.linkedToPreviousLine) }
        if envelope.has(.runFinished, in: line) { flags.insert(.finished) }
        if envelope.has(.runResumed, in: line) { flags.insert(.resumed) }
        if let mac = envelope.macDigest {
            flags.insert(.hasMAC)
            if let authenticator,
                authenticator.mac(ofLinePrefix: UnsafeRawBufferPointer(start: line.baseAddress, count: envelope.unsignedEnd)) != mac
            {
                flags.insert(.badMAC)
            }
        }
        if let run {
            let same =
                run.count == envelope.run.count
                && run.withUnsafeBytes { memcmp($0.baseAddress!, line.baseAddress! + envelope.run.lowerBound, run.count) == 0 }
            if !same { flags.insert(.wrongRun) }
        } else {
            run = Array(line[envelope.run])
        }
        if envelope.seq == 1, let expectedRunbook, expectedRunbook != prev { flags.insert(.runbookMismatch) }
        if envelope.has(.checkpoint, in: line) {
            flags.insert(.checkpoint)
            checkCheckpoint(line, envelope, number: number)
        }
        if number == anchor?.records { anchorLineHash = hash }

        if !prefixBroken {
            let linked = number == 1 ? !flags.contains(.runbookMismatch) : flags.contains(.linkedToPreviousLine)
            let authentic = authenticator == nil || (flags.contains(.hasMAC) && !flags.contains(.badMAC))
            if envelope.seq == number, linked, authentic, !flags.contains(.wrongRun), envelope.milliseconds >= previousMilliseconds {
                verifiedPrefix = number
                verifiedHead = hash
            } else {
                prefixBroken = true
            }
        }
        previousHash = hash
        previousMilliseconds = envelope.milliseconds
        entries.append(
            Entry(line: number, seq: envelope.seq, hash: hash.w0, prev: prev.w0, milliseconds: envelope.milliseconds, flags: flags))
    }

    /// A checkpoint must sign exactly the chain before it: `records` = its seq − 1, `head` = its
    /// own `prev`, this run; with a public key, its key and signature.
    mutating func checkCheckpoint(_ line: UnsafeBufferPointer<UInt8>, _ envelope: RecordFormat.Envelope, number: Int) {
        checkpointCount += 1
        let members: [(String, JSONValue)]
        do throws(RecordFormat.SyntaxError) {
            members = try RecordFormat.parseFields(line, envelope)
        } catch {
            checkpointProblems.append(
                JournalProblem(.badCheckpoint, line: number, "the checkpoint's fields cannot be read: \(error.message)"))
            return
        }
        let run = String(decoding: line[envelope.run], as: UTF8.self)
        let prev = String(decoding: line[envelope.prev], as: UTF8.self)
        guard let checkpoint = try? Checkpoint(RecordFields(line: number, type: JournalRecordKind.checkpoint.rawValue, members: members)),
            Hex.isDigest(Array(checkpoint.fingerprint.utf8)), let signature = Self.bytes(hex: checkpoint.signature), signature.count == 64
        else {
            checkpointProblems.append(
                JournalProblem(
                    .badCheckpoint, line: number,
                    """
                    the checkpoint lacks records, head, key (64 hex digits) or sig (128 hex digits)
                    """))
            return
        }
        let (records, head, fingerprint) = (checkpoint.records, checkpoint.head, checkpoint.fingerprint)
        guard records == envelope.seq - 1, head == prev else {
            checkpointProblems.append(
                JournalProblem(
                    .badCheckpoint, line: number,
                    """
                    the checkpoint does not match the chain: it claims records=\(records) head=\(head.prefix(12))…, \
                    but it stands after seq \(envelope.seq - 1) whose SHA-256 is \(prev.prefix(12))…
                    """))
            return
        }
        if let publicKey, let publicKeyFingerprint {
            guard fingerprint == publicKeyFingerprint else {
                checkpointProblems.append(
                    JournalProblem(
                        .foreignKey, line: number,
                        """
                        the checkpoint is signed by another key (fingerprint \(fingerprint.prefix(16))…), \
                        not the given public key (\(publicKeyFingerprint.prefix(16))…)
                        """))
                return
            }
            let message = Checkpoint.message(run: run, records: records, head: head, fingerprint: fingerprint)
            guard publicKey.isValidSignature(signature, for: message) else {
                checkpointProblems.append(
                    JournalProblem(
                        .badCheckpoint, line: number,
                        """
                        the checkpoint's signature does not match: forged, or its records, head or run were changed
                        """))
                return
            }
        }
        goodCheckpoints.append((number, envelope.seq))
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = Hex.value(digits[index]), let low = Hex.value(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    func conclude(lineCount: Int) -> JournalVerification {
        var problems: [JournalProblem] = []
        // Lines that are not records: only the last can be a torn write.
        for bad in badLines {
            if bad.line == lineCount {
                problems.append(
                    JournalProblem(
                        .tornTail, line: bad.line,
                        """
                        the last line is torn (\(bad.reason)): a crash during a write, not tampering; \
                        the records before it are not affected
                        """))
            } else {
                problems.append(JournalProblem(.corrupt, line: bad.line, "not a journal record: \(bad.reason)"))
            }
        }
        let chainIsWhole = badLines.allSatisfy { $0.line == lineCount } && verifiedPrefix == entries.count
        var explanation = ChainExplanation(entries: entries, corruptLines: badLines.map(\.line).filter { $0 != lineCount })
        if !chainIsWhole { explanation.explain() }
        problems += explanation.problems
        let explained = Set(explanation.problems.filter { [.modified, .inserted].contains($0.kind) }.map(\.line))
        let macs = macProblems(alreadyExplained: explained, problems: &problems)
        problems += macs
        problems += rangeProblems(.wrongRun, flag: .wrongRun) { lines in
            let plural = lines.hasPrefix("s")
            let id = run.map { String(decoding: $0, as: UTF8.self) } ?? "this journal's run"
            return "the record\(lines) belong\(plural ? "" : "s") to another run: \(plural ? "their" : "its") run is not \(id)"
        }
        if let first = entries.first(where: { $0.flags.contains(.runbookMismatch) }) {
            problems.append(
                JournalProblem(
                    .runbookMismatch, line: first.line,
                    """
                    the first record's prev is not the SHA-256 of the given runbook: the run used another version of the runbook file
                    """))
        }
        let isClosed =
            explanation.closingProblem(lineCount: lineCount).map {
                problems.append($0)
                return false
            } ?? true
        problems += checkpointProblems

        let firstChainDamage = problems.filter { $0.kind != .tornTail && $0.kind != .notClosed }.map(\.line).min() ?? Int.max
        let chainVerified = min(verifiedPrefix, firstChainDamage - 1)
        // The signed part: the last good checkpoint on the verified chain.
        let lastGood = goodCheckpoints.last { $0.line <= chainVerified }
        var signing: JournalVerification.Signing?
        if checkpointCount > 0 || publicKey != nil {
            let signedThrough = lastGood.map { $0.seq - 1 } ?? 0
            let unsignedTail = entries.count - (lastGood?.seq ?? 0)
            signing = JournalVerification.Signing(
                checkpoints: checkpointCount, signaturesChecked: publicKey != nil,
                signedThrough: signedThrough, unsignedTail: unsignedTail)
            if publicKey != nil, let problem = unsignedTailProblem(lastGood: lastGood, unsignedTail: unsignedTail) {
                problems.append(problem)
            }
        }
        var anchorCheck: JournalVerification.AnchorCheck?
        if let anchor {
            var matches = false
            let runID = run.map { String(decoding: $0, as: UTF8.self) }
            if let runID, runID != anchor.run {
                problems.append(
                    JournalProblem(.anchorMismatch, line: 1, "the anchor is for run \(anchor.run), this journal is run \(runID)"))
            } else if entries.count < anchor.records || lineCount < anchor.records {
                problems.append(
                    JournalProblem(
                        .anchorTruncated, line: max(lineCount, 1),
                        """
                        the anchor covers \(anchor.records) records but the journal holds only \(entries.count): \
                        records were cut off after the anchor was taken
                        """))
            } else if let anchorLineHash, anchorLineHash == DigestWords(hex: anchor.head.lowercased()) {
                matches = chainVerified >= anchor.records
                if !matches {
                    problems.append(
                        JournalProblem(
                            .anchorMismatch, line: anchor.records,
                            """
                            line \(anchor.records) hashes to the anchor's head, but the chain before it is broken (see the other problems)
                            """))
                }
            } else {
                problems.append(
                    JournalProblem(
                        .anchorMismatch, line: anchor.records,
                        """
                        line \(anchor.records) does not hash to the anchor's head \(anchor.head.prefix(16))…: \
                        the records up to the anchor were changed, or the journal was rewritten
                        """))
            }
            anchorCheck = JournalVerification.AnchorCheck(
                anchor: anchor, matches: matches,
                recordsAfter: matches ? entries.count - anchor.records : 0)
        }
        problems.sort { ($0.line, $0.kind.rawValue) < ($1.line, $1.kind.rawValue) }

        let firstDamage =
            problems.filter { ![.tornTail, .notClosed, .unsignedTail, .anchorTruncated].contains($0.kind) }
            .map(\.line).min() ?? Int.max
        let through = min(verifiedPrefix, firstDamage - 1)
        var head: String?
        if through == verifiedPrefix, through > 0, let verifiedHead {
            var hex: [UInt8] = []
            verifiedHead.appendHex(to: &hex)
            head = String(decoding: hex, as: UTF8.self)
        }
        return JournalVerification(
            path: path, lineCount: lineCount, recordCount: entries.count, verifiedThrough: through,
            macsChecked: authenticator != nil, hasMACs: entries.contains { $0.flags.contains(.hasMAC) }, isClosed: isClosed,
            problems: problems, signing: signing, anchor: anchorCheck, head: head)
    }

    /// With a public key: the journal must end with a good checkpoint right after `run.finished`.
    private func unsignedTailProblem(lastGood: (line: Int, seq: Int)?, unsignedTail: Int) -> JournalProblem? {
        guard let lastGood else {
            return JournalProblem(
                .unsignedTail, line: 1,
                """
                no checkpoint signed by this key: none of the \(entries.count) records is signed \
                (written without --signing-key, or every checkpoint was removed)
                """)
        }
        let covered = lastGood.seq - 1
        if unsignedTail > 0 {
            return JournalProblem(
                .unsignedTail, line: lastGood.line + 1,
                """
                \(unsignedTail) record\(unsignedTail == 1 ? "" : "s") after the last signed checkpoint (line \(lastGood.line), \
                records 1..\(covered)) \(unsignedTail == 1 ? "is" : "are") not signed: the journal's end may have been cut off \
                and replaced, or the run did not finish
                """)
        }
        let finishedBefore = entries.contains { $0.line == lastGood.line - 1 && $0.flags.contains(.finished) }
        if !finishedBefore {
            return JournalProblem(
                .unsignedTail, line: lastGood.line,
                """
                the journal ends with a checkpoint (line \(lastGood.line), records 1..\(covered)) that does not follow \
                run.finished: the records after it were cut off, or the run did not finish
                """)
        }
        return nil
    }

    /// With a key: a wrong key, or each run of records whose MAC is bad or missing.
    private func macProblems(alreadyExplained: Set<Int>, problems: inout [JournalProblem]) -> [JournalProblem] {
        guard authenticator != nil else { return [] }
        let withMAC = entries.filter { $0.flags.contains(.hasMAC) }
        if !withMAC.isEmpty, withMAC.allSatisfy({ $0.flags.contains(.badMAC) }) {
            return [
                JournalProblem(
                    .wrongKey, line: withMAC[0].line,
                    """
                    no record's MAC matches the key: the key is not the one the journal was written with \
                    (or every record was forged)
                    """)
            ]
        }
        // A modified or inserted record whose MAC is bad too: say so on that problem.
        let badMACLines = Set(entries.filter { $0.flags.contains(.badMAC) }.map(\.line))
        for index in problems.indices where alreadyExplained.contains(problems[index].line) && badMACLines.contains(problems[index].line) {
            problems[index].message += "; its MAC does not match either"
        }
        var result = rangeProblems(.badMAC, flag: .badMAC, skipping: alreadyExplained) { lines in
            "the MAC of the record\(lines) does not match: forged or corrupt"
        }
        result += ranges(of: entries.filter { !$0.flags.contains(.hasMAC) }.map(\.line)).map { range in
            JournalProblem(
                .missingMAC, line: range.lowerBound,
                "the record\(Self.describe(range)) \(range.count == 1 ? "has" : "have") no MAC although a key was given: written without the key, or forged"
            )
        }
        return result
    }

    /// One problem per run of consecutive lines whose records carry `flag`.
    private func rangeProblems(
        _ kind: JournalProblem.Kind, flag: Entry.Flags, skipping: Set<Int> = [], _ message: (String) -> String
    ) -> [JournalProblem] {
        ranges(of: entries.filter { $0.flags.contains(flag) && !skipping.contains($0.line) }.map(\.line)).map {
            JournalProblem(kind, line: $0.lowerBound, message(Self.describe($0)))
        }
    }

    /// ` on line 4`, or `s on lines 4–9`.
    static func describe(_ lines: ClosedRange<Int>) -> String {
        lines.count == 1 ? " on line \(lines.lowerBound)" : "s on lines \(lines.lowerBound)–\(lines.upperBound)"
    }

    /// Sorted line numbers as runs of consecutive lines.
    private func ranges(of lines: [Int]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for line in lines {
            if let last = result.last, last.upperBound + 1 == line {
                result[result.count - 1] = last.lowerBound...line
            } else {
                result.append(line...line)
            }
        }
        return result
    }
}

/// Explains the breaks of a chain: which records were modified, deleted, reordered or inserted.
///
/// 1. An exact copy of an earlier line is inserted.
/// 2. Among records claiming the same seq, the one the chain goes through (the next seq's
///    `prev` names it, its own `prev` names the previous seq) is genuine; the others are inserted.
/// 3. The longest run of records whose seq increases in file order is kept in place (on a
///    tie, the earlier lines); each other record is *reordered* if the chain knows it (a
///    record with the previous seq is its `prev`, or the next seq names it), a record whose
///    seq was *modified* if it sits where a missing seq belongs and follows its predecessor,
///    and *inserted* otherwise.
/// 4. Between two records kept in place: a seq gap not filled by a reordered record is a
///    deletion (reported on the line after the gap); a `prev` that does not match the record
///    before, with continuous seq, means that record was modified.
private struct ChainExplanation {
    let entries: [Entry]
    /// Lines that are not records (reported as corrupt): a seq missing where one of them
    /// stands is not reported again as deleted.
    let corruptLines: [Int]
    var problems: [JournalProblem] = []
    /// Indices into `entries` of the records kept in place, in file order.
    var kept: [Int]
    /// Seqs found out of place (reordered or with a modified seq): not missing.
    var displacedSeqs: Set<Int> = []

    init(entries: [Entry], corruptLines: [Int]) {
        self.entries = entries
        self.corruptLines = corruptLines
        self.kept = Array(entries.indices)
    }

    mutating func explain() {
        var alive = [Bool](repeating: true, count: entries.count)
        var firstWithHash: [UInt64: Int] = [:]
        var referrers: [UInt64: [Int]] = [:]
        for (index, entry) in entries.enumerated() {
            if let original = firstWithHash[entry.hash] {
                alive[index] = false
                problems.append(
                    JournalProblem(.inserted, line: entry.line, "an exact copy of line \(entries[original].line) (seq \(entry.seq))"))
            } else {
                firstWithHash[entry.hash] = index
                referrers[entry.prev, default: []].append(index)
            }
        }
        /// Whether the record with the next seq names `index` as its prev.
        func isReferenced(_ index: Int) -> Bool {
            referrers[entries[index].hash]?.contains { alive[$0] && entries[$0].seq == entries[index].seq + 1 } ?? false
        }
        /// Whether `index`'s prev is a record with the previous seq.
        func followsPredecessor(_ index: Int) -> Bool {
            guard let predecessor = firstWithHash[entries[index].prev] else { return false }
            return alive[predecessor] && entries[predecessor].seq == entries[index].seq - 1
        }

        // Records claiming the same seq: keep the one the chain goes through.
        var bySeq: [Int: [Int]] = [:]
        for index in entries.indices where alive[index] { bySeq[entries[index].seq, default: []].append(index) }
        var duplicates: [(loser: Int, genuine: Int)] = []
        for (_, claimants) in bySeq where claimants.count > 1 {
            let genuine = claimants.max { lhs, rhs in
                let left = (isReferenced(lhs) ? 2 : 0) + (followsPredecessor(lhs) ? 1 : 0)
                let right = (isReferenced(rhs) ? 2 : 0) + (followsPredecessor(rhs) ? 1 : 0)
                return left != right ? left < right : lhs > rhs
            }!
            for loser in claimants where loser != genuine { duplicates.append((loser, genuine)) }
        }
        for duplicate in duplicates { alive[duplicate.loser] = false }

        // The longest run of increasing seqs, preferring earlier lines.
        let candidates = entries.indices.filter { alive[$0] }
        let inOrder = Set(Self.longestIncreasing(candidates.map { entries[$0].seq }).map { candidates[$0] })
        kept = candidates.filter { inOrder.contains($0) }
        let presentSeqs = Set(candidates.map { entries[$0].seq })

        var outOfPlace = duplicates.map { ($0.loser, Optional($0.genuine)) }
        outOfPlace += candidates.filter { !inOrder.contains($0) }.map { ($0, nil) }
        outOfPlace.sort { $0.0 < $1.0 }
        for (index, genuine) in outOfPlace {
            let entry = entries[index]
            let insertion = Self.insertionPoint(of: index, in: kept)
            let before = insertion > 0 ? kept[insertion - 1] : nil
            let after = insertion < kept.count ? kept[insertion] : nil
            if let before, entries[before].hash == entry.prev, !presentSeqs.contains(entries[before].seq + 1),
                after.map({ entries[$0].seq == entries[before].seq + 2 }) ?? true
            {
                let expected = entries[before].seq + 1
                displacedSeqs.insert(expected)
                problems.append(
                    JournalProblem(
                        .modified, line: entry.line,
                        """
                        the record's seq was changed: it follows seq \(entries[before].seq) (line \(entries[before].line)) \
                        but says seq \(entry.seq) instead of \(expected)
                        """))
            } else if let genuine {
                problems.append(
                    JournalProblem(
                        .inserted, line: entry.line,
                        """
                        a second record with seq \(entry.seq): the chain goes through line \(entries[genuine].line), \
                        and removing this one restores it
                        """))
            } else if followsPredecessor(index) || isReferenced(index) {
                displacedSeqs.insert(entry.seq)
                let previous = before.map { " after seq \(entries[$0].seq) (line \(entries[$0].line))" } ?? " first"
                problems.append(
                    JournalProblem(
                        .reordered, line: entry.line,
                        """
                        records out of order: seq \(entry.seq) comes\(previous); the chain places it elsewhere
                        """))
            } else {
                problems.append(
                    JournalProblem(
                        .inserted, line: entry.line,
                        """
                        a record that is not part of the chain: no record has its seq \(entry.seq) in that place, \
                        and its prev names no record before it
                        """))
            }
        }

        // Gaps and broken links between the records kept in place.
        if let first = kept.first, entries[first].seq > 1 {
            let missing = (1..<entries[first].seq).filter { !displacedSeqs.contains($0) }
            if missing.count > corruptLines.count(where: { $0 < entries[first].line }) {
                problems.append(
                    JournalProblem(
                        .deleted, line: entries[first].line,
                        """
                        \(Self.describe(seqs: missing)) missing before line \(entries[first].line): a journal starts at seq 1
                        """))
            }
        }
        for (a, b) in zip(kept, kept.dropFirst()) {
            let left = entries[a]
            let right = entries[b]
            if right.seq > left.seq + 1 {
                let missing = (left.seq + 1..<right.seq).filter { !displacedSeqs.contains($0) }
                if missing.count > corruptLines.count(where: { left.line < $0 && $0 < right.line }) {
                    problems.append(
                        JournalProblem(
                            .deleted, line: right.line,
                            """
                            \(Self.describe(seqs: missing)) missing between line \(left.line) (seq \(left.seq)) \
                            and line \(right.line) (seq \(right.seq)): the chain breaks there
                            """))
                }
            } else if right.prev != left.hash || (right.line == left.line + 1 && !right.flags.contains(.linkedToPreviousLine)) {
                problems.append(
                    JournalProblem(
                        .modified, line: left.line,
                        """
                        the record (seq \(left.seq)) was modified: its SHA-256 no longer matches the prev of the next \
                        record (line \(right.line), seq \(right.seq))
                        """))
            } else if right.milliseconds < left.milliseconds {
                problems.append(
                    JournalProblem(
                        .timeBackwards, line: right.line,
                        """
                        the time goes backwards: seq \(right.seq) is stamped earlier than seq \(left.seq) on line \(left.line)
                        """))
            }
        }
    }

    /// Whether the run ended with `run.finished`, as a problem when it did not.
    func closingProblem(lineCount: Int) -> JournalProblem? {
        // Checkpoints sign what precedes them and may stand anywhere, after run.finished included.
        let records = kept.filter { !entries[$0].flags.contains(.checkpoint) }
        guard let last = records.last else {
            return JournalProblem(
                .notClosed, line: max(lineCount, 1), "the journal holds no record: the run was created but nothing was recorded")
        }
        // The journal is closed when its last record is run.finished. Only run.resumed (a resumed run,
        // which ends with its own run.finished) may follow a run.finished.
        for (position, finished) in records.enumerated() where entries[finished].flags.contains(.finished) && position != records.count - 1
        {
            guard !entries[records[position + 1]].flags.contains(.resumed) else { continue }
            let extra = records[(position + 1)...]
            return JournalProblem(
                .inserted, line: entries[extra.first!].line,
                """
                \(extra.count == 1 ? "a record" : "\(extra.count) records") after run.finished (line \(entries[finished].line)): \
                nothing is written after a run is closed, except run.resumed
                """)
        }
        if entries[last].flags.contains(.finished) { return nil }
        // A run.finished out of its place is reported there.
        if entries.indices.contains(where: { entries[$0].flags.contains(.finished) && !kept.contains($0) }) { return nil }
        return JournalProblem(
            .notClosed, line: entries[last].line,
            """
            the journal ends at line \(entries[last].line) (seq \(entries[last].seq)) without run.finished: \
            the run was interrupted, or the end of the journal was cut off
            """)
    }

    /// `record seq 4 is` / `records seq 4–6 are` / `records seq 4, 7 are`.
    static func describe(seqs: [Int]) -> String {
        if seqs.count == 1 { return "record seq \(seqs[0]) is" }
        let contiguous = seqs.last! - seqs.first! == seqs.count - 1
        let list =
            contiguous
            ? "\(seqs.first!)–\(seqs.last!)" : seqs.prefix(10).map(String.init).joined(separator: ", ") + (seqs.count > 10 ? ", …" : "")
        return "records seq \(list) are"
    }

    /// Where `value` would go in the sorted `array`: the count of elements smaller than it.
    static func insertionPoint(of value: Int, in array: [Int]) -> Int {
        var low = 0
        var high = array.count
        while low < high {
            let middle = (low + high) / 2
            if array[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The positions of a longest strictly increasing subsequence; among the longest, the one
    /// that keeps earlier positions. Patience sorting on the reversed sequence, O(n log n).
    static func longestIncreasing(_ values: [Int]) -> [Int] {
        // Reversed, a longest decreasing subsequence; `tails[k]` ends (in reverse) the best of length k+1.
        var tails: [Int] = []
        var link = [Int](repeating: -1, count: values.count)
        for position in values.indices.reversed() {
            let value = values[position]
            var low = 0
            var high = tails.count
            while low < high {
                let middle = (low + high) / 2
                if values[tails[middle]] > value { low = middle + 1 } else { high = middle }
            }
            link[position] = low > 0 ? tails[low - 1] : -1
            if low == tails.count { tails.append(position) } else { tails[low] = position }
        }
        var result: [Int] = []
        var position = tails.last ?? -1
        while position >= 0 {
            result.append(position)
            position = link[position]
        }
        return result
    }
}
