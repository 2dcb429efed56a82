public import FiletRunbook
public import FiletSupport

// The fields of every record type, each encoded (`fields`, in the order written) and decoded (`init(_:)`)
// here and nowhere else. A field written as null when it has no value is an optional; one that is left out
// then is an optional too, and says so. Decoding accepts what older filets wrote (no `runbook_path`).

/// `run.started`: what runs, where, by whom, and the plan. Durable before any step starts.
public struct RunStarted: JournalPayload {
    /// One step of the plan, as `filet plan` lays it out.
    public struct PlanStep: Sendable {
        public var id: String
        /// 1 for the steps that start at once, then one more than the deepest step it needs.
        public var level: Int
        /// The action's key in the runbook (`check`, not `check.http`: see ``ActionKind/keyword``).
        public var action: String
        public var needs: [String]
        /// The step's `when`, as written.
        public var when: String?

        package init(id: String, level: Int, action: String, needs: [String], when: String?) {
            self.id = id
            self.level = level
            self.action = action
            self.needs = needs
            self.when = when
        }

        var json: JSONValue {
            .object([
                ("id", .string(id)), ("level", .integer(level)), ("action", .string(action)), ("needs", .texts(needs)),
                ("when", .optional(when)),
            ])
        }

        init(_ fields: RecordFields) throws(JournalRecordError) {
            try self.init(
                id: fields.string("id"), level: fields.integer("level"), action: fields.string("action"),
                needs: fields.strings("needs"), when: fields.optionalString("when"))
        }
    }

    public var runbook: String
    public var title: String
    public var version: Int?
    /// The SHA-256 of the runbook file: also the first record's `prev`.
    public var runbookSHA256: String
    /// The runbook file's absolute path, where `filet resume` reads it again; nil when unknown.
    public var runbookPath: String?
    public var mode: RunMode
    public var operatorName: String
    public var host: String
    public var filetVersion: String
    /// The runbook's vars and their values, masked.
    public var vars: [(name: String, value: String)]
    public var concurrency: Int
    public var plan: [PlanStep]
    public var finallyPlan: [PlanStep]
    /// The vars given with `--var` (names only: their values are in `vars`, masked when secret); nil in journals
    /// written before filet recorded it.
    public var overriddenVars: [String]?
    /// The operating-system account that ran filet (`os_uid`, `os_user`), beside `operator`, which is only a label;
    /// nil in journals written before filet recorded it.
    public var systemUser: SystemUser?

    package init(
        runbook: String, title: String, version: Int?, runbookSHA256: String, runbookPath: String?, mode: RunMode,
        operatorName: String, host: String, filetVersion: String, vars: [(name: String, value: String)], concurrency: Int,
        plan: [PlanStep], finallyPlan: [PlanStep], overriddenVars: [String]? = nil, systemUser: SystemUser? = nil
    ) {
        self.runbook = runbook
        self.title = title
        self.version = version
        self.runbookSHA256 = runbookSHA256
        self.runbookPath = runbookPath
        self.mode = mode
        self.operatorName = operatorName
        self.host = host
        self.filetVersion = filetVersion
        self.vars = vars
        self.concurrency = concurrency
        self.plan = plan
        self.finallyPlan = finallyPlan
        self.overriddenVars = overriddenVars
        self.systemUser = systemUser
    }

    public var kind: JournalRecordKind { .runStarted }

    public var fields: [(String, JSONValue)] {
        [
            ("runbook", .string(runbook)), ("title", .string(title)), ("version", .optionalInteger(version)),
            ("runbook_sha256", .string(runbookSHA256)), ("runbook_path", .optional(runbookPath)), ("mode", .string(mode.rawValue)),
            ("operator", .string(operatorName)), ("host", .string(host)), ("filet_version", .string(filetVersion)),
            ("vars", .object(vars.map { ($0.name, .string($0.value)) })), ("concurrency", .integer(concurrency)),
            ("plan", .object([("steps", .array(plan.map(\.json))), ("finally", .array(finallyPlan.map(\.json)))])),
        ] + (overriddenVars.map { [("overridden_vars", .texts($0))] } ?? []) + systemUser.fields
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        let plan = try fields.nested("plan")
        try self.init(
            runbook: fields.string("runbook"), title: fields.string("title"), version: fields.optionalInteger("version"),
            runbookSHA256: fields.string("runbook_sha256"), runbookPath: fields.optionalString("runbook_path"), mode: fields.choice("mode"),
            operatorName: fields.string("operator"), host: fields.string("host"), filetVersion: fields.string("filet_version"),
            vars: fields.namedValues("vars") { if case .string(let text) = $0 { text } else { nil } }.map { (name: $0, value: $1) },
            concurrency: fields.integer("concurrency"),
            plan: plan.objects("steps", PlanStep.init), finallyPlan: plan.objects("finally", PlanStep.init),
            overriddenVars: fields.value("overridden_vars") == nil ? nil : fields.strings("overridden_vars"),
            systemUser: fields.systemUser())
    }
}

/// Whether a step belongs to the main steps or to `finally`.
public enum StepPhase: String, Sendable, CaseIterable {
    case main, finally
}

/// `step.started`: durable before the step's action begins (write-ahead).
public struct StepStarted: JournalPayload {
    public var step: String
    public var title: String?
    public var action: ActionKind
    public var needs: [String]
    public var phase: StepPhase
    /// The step's time limit (`30s`), nil for none.
    public var timeout: String?
    public var maxAttempts: Int

    package init(step: String, title: String?, action: ActionKind, needs: [String], phase: StepPhase, timeout: String?, maxAttempts: Int) {
        self.step = step
        self.title = title
        self.action = action
        self.needs = needs
        self.phase = phase
        self.timeout = timeout
        self.maxAttempts = maxAttempts
    }

    public var kind: JournalRecordKind { .stepStarted }

    public var fields: [(String, JSONValue)] {
        [
            ("step", .string(step)), ("title", .optional(title)), ("action", .string(action.rawValue)), ("needs", .texts(needs)),
            ("phase", .string(phase.rawValue)), ("timeout", .optional(timeout)), ("max_attempts", .integer(maxAttempts)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), title: fields.optionalString("title"), action: fields.choice("action"),
            needs: fields.strings("needs"), phase: fields.choice("phase"), timeout: fields.optionalString("timeout"),
            maxAttempts: fields.integer("max_attempts"))
    }
}

/// `step.attempt`: one attempt of a step's action, and what it observed.
public struct StepAttempt: JournalPayload {
    public var step: String
    /// 1, 2, …
    public var attempt: Int
    /// `succeeded`, `failed`, `timed_out` or `cancelled`.
    public var outcome: String
    public var reason: String?
    public var durationMilliseconds: Int
    /// What the action saw, as its kind reports it (exit code, HTTP status and latency, addresses…), masked.
    public var observed: [(String, JSONValue)]

    package init(step: String, attempt: Int, outcome: String, reason: String?, durationMilliseconds: Int, observed: [(String, JSONValue)]) {
        self.step = step
        self.attempt = attempt
        self.outcome = outcome
        self.reason = reason
        self.durationMilliseconds = durationMilliseconds
        self.observed = observed
    }

    public var kind: JournalRecordKind { .stepAttempt }

    public var fields: [(String, JSONValue)] {
        [
            ("step", .string(step)), ("attempt", .integer(attempt)), ("outcome", .string(outcome)), ("reason", .optional(reason)),
            ("duration_ms", .integer(durationMilliseconds)), ("observed", .object(observed)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), attempt: fields.integer("attempt"), outcome: fields.string("outcome"),
            reason: fields.optionalString("reason"), durationMilliseconds: fields.integer("duration_ms"),
            observed: fields.object("observed"))
    }
}

/// `confirm.granted` or `confirm.refused`: who answered a confirmation, and how.
public struct ConfirmationDecision: JournalPayload {
    public var granted: Bool
    public var step: String
    /// The operator; nil when nobody could be asked.
    public var by: String?
    /// `typed 'yes' at the terminal`, `pre-approved with --yes`, `not asked`…
    public var how: String?
    public var reason: String?
    /// The operating-system account filet ran as when `by` answered (`os_uid`, `os_user`); nil when nobody could be
    /// asked, and in journals written before filet recorded it.
    public var systemUser: SystemUser?

    package init(granted: Bool, step: String, by: String?, how: String?, reason: String?, systemUser: SystemUser? = nil) {
        self.granted = granted
        self.step = step
        self.by = by
        self.how = how
        self.reason = reason
        self.systemUser = systemUser
    }

    public var kind: JournalRecordKind { granted ? .confirmGranted : .confirmRefused }

    public var fields: [(String, JSONValue)] {
        [("step", .string(step)), ("by", .optional(by)), ("how", .optional(how)), ("reason", .optional(reason))] + systemUser.fields
    }

    init(_ fields: RecordFields, granted: Bool) throws(JournalRecordError) {
        try self.init(
            granted: granted, step: fields.string("step"), by: fields.optionalString("by"), how: fields.optionalString("how"),
            reason: fields.optionalString("reason"), systemUser: fields.systemUser())
    }
}

/// `step.finished`: how a step ended.
public struct StepFinished: JournalPayload {
    public var step: String
    public var status: StepStatus
    /// Why it failed, was skipped or cancelled.
    public var reason: String?
    public var attempts: Int
    public var durationMilliseconds: Int
    /// The last line of its output (`${steps.ID.output}`); left out for a step that did not run.
    public var output: String?
    /// What a simulated step would have done; left out otherwise.
    public var would: String?
    /// Its action had started and was stopped before it ended (Ctrl-C, SIGTERM, its timeout, the run's `--timeout`):
    /// whether it took effect is unknown, as after a crash. Written only when true (`interrupted: true`); absent in
    /// journals of earlier filets.
    public var interrupted: Bool

    package init(
        step: String, status: StepStatus, reason: String?, attempts: Int, durationMilliseconds: Int, output: String? = nil,
        would: String? = nil, interrupted: Bool = false
    ) {
        self.step = step
        self.status = status
        self.reason = reason
        self.attempts = attempts
        self.durationMilliseconds = durationMilliseconds
        self.output = output
        self.would = would
        self.interrupted = interrupted
    }

    public var kind: JournalRecordKind { .stepFinished }

    public var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [
            ("step", .string(step)), ("status", .string(status.rawValue)), ("reason", .optional(reason)), ("attempts", .integer(attempts)),
            ("duration_ms", .integer(durationMilliseconds)),
        ]
        if let output { fields.append(("output", .string(output))) }
        if let would { fields.append(("would", .string(would))) }
        if interrupted { fields.append(("interrupted", .bool(true))) }
        return fields
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), status: fields.choice("status"), reason: fields.optionalString("reason"),
            attempts: fields.integer("attempts"), durationMilliseconds: fields.integer("duration_ms"),
            output: fields.optionalString("output"), would: fields.optionalString("would"),
            interrupted: fields.optionalBool("interrupted") ?? false)
    }
}

/// `undo.started`: durable before a rollback runs a step's `undo` command.
public struct UndoStarted: JournalPayload {
    public var step: String
    /// The undo command as a person reads it, each interpolated value in its place, masked.
    public var command: String
    public var because: String
    /// The text the shell received, which names the values (`"$FILET_V1"`) instead of holding them, masked;
    /// nil in journals of filets before issue 10.
    public var script: String?
    /// The values ``script`` names, by variable, masked; empty in journals of filets before issue 10.
    public var values: [(variable: String, value: String)]

    package init(step: String, command: String, because: String, script: String?, values: [(variable: String, value: String)]) {
        self.step = step
        self.command = command
        self.because = because
        self.script = script
        self.values = values
    }

    public var kind: JournalRecordKind { .undoStarted }

    public var fields: [(String, JSONValue)] {
        var fields: [(String, JSONValue)] = [("step", .string(step)), ("command", .string(command)), ("because", .string(because))]
        if let script { fields += [("script", .string(script)), ("values", .object(values.map { ($0.variable, .string($0.value)) }))] }
        return fields
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), command: fields.string("command"), because: fields.string("because"),
            script: fields.optionalString("script"),
            values: fields.value("values") == nil
                ? [] : fields.namedValues("values") { if case .string(let text) = $0 { text } else { nil } }.map { ($0, $1) })
    }
}

/// `undo.finished`: how an undo command ended.
public struct UndoFinished: JournalPayload {
    public var step: String
    public var outcome: String
    public var reason: String?
    /// What the command observed, as in ``StepAttempt/observed``.
    public var observed: [(String, JSONValue)]

    package init(step: String, outcome: String, reason: String?, observed: [(String, JSONValue)]) {
        self.step = step
        self.outcome = outcome
        self.reason = reason
        self.observed = observed
    }

    public var kind: JournalRecordKind { .undoFinished }

    public var fields: [(String, JSONValue)] {
        [("step", .string(step)), ("outcome", .string(outcome)), ("reason", .optional(reason)), ("observed", .object(observed))]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), outcome: fields.string("outcome"), reason: fields.optionalString("reason"),
            observed: fields.object("observed"))
    }
}

/// `run.interrupted`: a signal reached the run.
public struct RunInterrupted: JournalPayload {
    /// `SIGINT`, `SIGTERM`, or `signal N`.
    public var signal: String
    /// `steps` for the first signal, `finally` for the second (or when the shutdown grace expired).
    public var stops: String
    /// When the `--shutdown-grace` after SIGTERM expired (`20s`): not a second signal, the end of the grace.
    /// Written only then; absent in journals of earlier filets.
    public var shutdownGrace: String?

    package init(signal: String, stops: String, shutdownGrace: String? = nil) {
        self.signal = signal
        self.stops = stops
        self.shutdownGrace = shutdownGrace
    }

    public var kind: JournalRecordKind { .runInterrupted }

    public var fields: [(String, JSONValue)] {
        [("signal", .string(signal)), ("stops", .string(stops))] + (shutdownGrace.map { [("shutdown_grace", .string($0))] } ?? [])
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            signal: fields.string("signal"), stops: fields.string("stops"), shutdownGrace: fields.optionalString("shutdown_grace"))
    }
}

/// `run.timed_out`: the whole run's `--timeout` expired.
public struct RunTimedOut: JournalPayload {
    /// The limit, as `--timeout` takes it (`30m`).
    public var limit: String

    package init(limit: String) { self.limit = limit }

    public var kind: JournalRecordKind { .runTimedOut }

    public var fields: [(String, JSONValue)] { [("limit", .string(limit))] }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(limit: fields.string("limit"))
    }
}

/// `run.finished`: how a run (or an outbox delivery session) ended; what closes every journal.
public struct RunFinished: JournalPayload {
    public var status: RunStatus
    /// Steps by status (`succeeded`, `failed`…), or a delivery's `delivered`, `waiting`, `unreadable`.
    public var counts: [(String, Int)]
    public var durationMilliseconds: Int

    package init(status: RunStatus, counts: [(String, Int)], durationMilliseconds: Int) {
        self.status = status
        self.counts = counts
        self.durationMilliseconds = durationMilliseconds
    }

    public var kind: JournalRecordKind { .runFinished }

    public var fields: [(String, JSONValue)] {
        [
            ("status", .string(status.rawValue)), ("counts", .object(counts.map { ($0, .integer($1)) })),
            ("duration_ms", .integer(durationMilliseconds)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            status: fields.choice("status"),
            counts: fields.namedValues("counts") { if case .integer(let count) = $0 { count } else { nil } },
            durationMilliseconds: fields.integer("duration_ms"))
    }
}

/// `checkpoint`: an Ed25519 signature of the chain before it, written by the journal itself.
///
///     {"seq":S,…,"type":"checkpoint","prev":"<head>","records":S-1,"head":"<head>","key":"<fingerprint>","sig":"<128 hex>"}
///
/// `sig` signs the UTF-8 bytes (no newline) of ``message(run:records:head:fingerprint:)``.
public struct Checkpoint: JournalPayload {
    /// The records it signs: all those before it.
    public var records: Int
    /// The SHA-256 (hex) of the last one, which is also the checkpoint's own `prev`.
    public var head: String
    /// The signing key's fingerprint (``VerifyingKey/fingerprint``): `key`.
    public var fingerprint: String
    /// The signature, 128 hex digits: `sig`.
    public var signature: String

    package init(records: Int, head: String, fingerprint: String, signature: String) {
        self.records = records
        self.head = head
        self.fingerprint = fingerprint
        self.signature = signature
    }

    /// The checkpoint of the `records` records of `run` whose last one hashes to `head`.
    static func signed(run: String, records: Int, head: String, signingKey: SigningKey, fingerprint: String) -> Checkpoint {
        let signature = signingKey.sign(message(run: run, records: records, head: head, fingerprint: fingerprint))
        return Checkpoint(records: records, head: head, fingerprint: fingerprint, signature: Hex.string(signature))
    }

    /// `filet-checkpoint v1 run=<run id> records=<S-1> head=<head> key=<fingerprint>`
    static func message(run: String, records: Int, head: String, fingerprint: String) -> [UInt8] {
        Array("filet-checkpoint v1 run=\(run) records=\(records) head=\(head) key=\(fingerprint)".utf8)
    }

    public var kind: JournalRecordKind { .checkpoint }

    public var fields: [(String, JSONValue)] {
        [("records", .integer(records)), ("head", .string(head)), ("key", .string(fingerprint)), ("sig", .string(signature))]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            records: fields.integer("records"), head: fields.string("head"), fingerprint: fields.string("key"),
            signature: fields.string("sig"))
    }
}

/// `journal.recovered`: `filet resume` cut a torn last line off the journal (``JournalRecovery``).
public struct JournalRecovered: JournalPayload {
    /// The torn line's number.
    public var line: Int
    /// The bytes cut off, its newline included if it had one.
    public var droppedBytes: Int
    /// Where they were saved: `JOURNAL.broken`, `.broken.2`, …
    public var savedTo: String
    public var reason: String

    package init(line: Int, droppedBytes: Int, savedTo: String, reason: String) {
        self.line = line
        self.droppedBytes = droppedBytes
        self.savedTo = savedTo
        self.reason = reason
    }

    public var kind: JournalRecordKind { .journalRecovered }

    public var fields: [(String, JSONValue)] {
        [("line", .integer(line)), ("dropped_bytes", .integer(droppedBytes)), ("saved_to", .string(savedTo)), ("reason", .string(reason))]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            line: fields.integer("line"), droppedBytes: fields.integer("dropped_bytes"), savedTo: fields.string("saved_to"),
            reason: fields.string("reason"))
    }
}

/// `run.resumed`: `filet resume` continues the run in the same journal, in place of `run.started`.
public struct RunResumed: JournalPayload {
    public var operatorName: String
    public var host: String
    public var filetVersion: String
    /// 1 for the first resume, 2…
    public var resume: Int
    /// The last `run.finished`'s status, or `crashed` when there was none.
    public var previousStatus: String
    public var runbookPath: String
    /// The SHA-256 of the runbook file now.
    public var runbookSHA256: String
    public var runbookChanged: Bool
    /// `--force` accepted a changed runbook.
    public var forced: Bool
    /// What `run.started` recorded, when the runbook changed.
    public var recordedRunbookSHA256: String?
    /// Main steps not run again.
    public var settled: [String]
    /// Steps stopped mid-way: `step.started` and no `step.finished`, or a `step.finished` with `interrupted: true`.
    public var interrupted: [String]
    public var rerun: [String]
    public var markDone: [String]
    /// The decisions answered at the prompt.
    public var decidedAtTerminal: [String]
    public var concurrency: Int
    /// Process groups left by the run that stopped, still running, that the operator asked to end
    /// (`--kill-leftover`): ended right after this record, each then recorded in `process.killed`. Written only
    /// when there are some (`kill_leftover`); absent in journals of earlier filets.
    public var killLeftover: [LeftoverGroup]

    /// A step's process group that outlived the run that started it.
    public struct LeftoverGroup: Sendable, Hashable {
        public var step: String
        public var pgid: Int

        package init(step: String, pgid: Int) {
            self.step = step
            self.pgid = pgid
        }

        var json: JSONValue { .object([("step", .string(step)), ("pgid", .integer(pgid))]) }

        init(_ fields: RecordFields) throws(JournalRecordError) {
            try self.init(step: fields.string("step"), pgid: fields.integer("pgid"))
        }
    }
    /// The operating-system account that resumed the run (`os_uid`, `os_user`); nil in journals written before filet
    /// recorded it.
    public var systemUser: SystemUser?
    /// The vars whose values `run.started` masked, given again with `--var` (`resupplied_vars`: names only, never a
    /// value). Written only when there are some; absent in journals of earlier filets.
    public var resuppliedVars: [String]
    /// The holder of the journal's lock that ended without giving it back (killed, or its machine stopped), whose lock
    /// this resume took over (`lock_taken_over`). Written only when there was one; absent in journals of earlier filets.
    public var lockTakenOver: JournalLockHolder?

    package init(
        operatorName: String, host: String, filetVersion: String, resume: Int, previousStatus: String, runbookPath: String,
        runbookSHA256: String, runbookChanged: Bool, forced: Bool, recordedRunbookSHA256: String?, settled: [String],
        interrupted: [String], rerun: [String], markDone: [String], decidedAtTerminal: [String], concurrency: Int,
        killLeftover: [LeftoverGroup] = [], systemUser: SystemUser? = nil, resuppliedVars: [String] = [],
        lockTakenOver: JournalLockHolder? = nil
    ) {
        self.operatorName = operatorName
        self.host = host
        self.filetVersion = filetVersion
        self.resume = resume
        self.previousStatus = previousStatus
        self.runbookPath = runbookPath
        self.runbookSHA256 = runbookSHA256
        self.runbookChanged = runbookChanged
        self.forced = forced
        self.recordedRunbookSHA256 = recordedRunbookSHA256
        self.settled = settled
        self.interrupted = interrupted
        self.rerun = rerun
        self.markDone = markDone
        self.decidedAtTerminal = decidedAtTerminal
        self.concurrency = concurrency
        self.killLeftover = killLeftover
        self.systemUser = systemUser
        self.resuppliedVars = resuppliedVars
        self.lockTakenOver = lockTakenOver
    }

    public var kind: JournalRecordKind { .runResumed }

    public var fields: [(String, JSONValue)] {
        [
            ("operator", .string(operatorName)), ("host", .string(host)), ("filet_version", .string(filetVersion)),
            ("resume", .integer(resume)),
            ("previous_status", .string(previousStatus)), ("runbook_path", .string(runbookPath)),
            ("runbook_sha256", .string(runbookSHA256)),
            ("runbook_changed", .bool(runbookChanged)), ("forced", .bool(forced)),
            ("recorded_runbook_sha256", .optional(recordedRunbookSHA256)),
            ("settled", .texts(settled)), ("interrupted", .texts(interrupted)), ("rerun", .texts(rerun)), ("mark_done", .texts(markDone)),
            ("decided_at_terminal", .texts(decidedAtTerminal)), ("concurrency", .integer(concurrency)),
        ] + (killLeftover.isEmpty ? [] : [("kill_leftover", .array(killLeftover.map(\.json)))]) + systemUser.fields
            + (resuppliedVars.isEmpty ? [] : [("resupplied_vars", .texts(resuppliedVars))])
            + (lockTakenOver.map { [("lock_taken_over", $0.json)] } ?? [])
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            operatorName: fields.string("operator"), host: fields.string("host"), filetVersion: fields.string("filet_version"),
            resume: fields.integer("resume"), previousStatus: fields.string("previous_status"), runbookPath: fields.string("runbook_path"),
            runbookSHA256: fields.string("runbook_sha256"), runbookChanged: fields.bool("runbook_changed"), forced: fields.bool("forced"),
            recordedRunbookSHA256: fields.optionalString("recorded_runbook_sha256"), settled: fields.strings("settled"),
            interrupted: fields.strings("interrupted"), rerun: fields.strings("rerun"), markDone: fields.strings("mark_done"),
            decidedAtTerminal: fields.strings("decided_at_terminal"), concurrency: fields.integer("concurrency"),
            killLeftover: fields.value("kill_leftover") == nil ? [] : fields.objects("kill_leftover", LeftoverGroup.init),
            systemUser: fields.systemUser(),
            resuppliedVars: fields.value("resupplied_vars") == nil ? [] : fields.strings("resupplied_vars"),
            lockTakenOver: fields.value("lock_taken_over") == nil ? nil : JournalLockHolder(fields.nested("lock_taken_over")))
    }
}

/// `step.process`: the process group a step's command runs in. Durable, written as soon as the command started
/// (its ID is known only then) and before its end is awaited: after a crash, `filet resume` checks whether the
/// group still runs before it runs the step again.
public struct StepProcess: JournalPayload {
    public var step: String
    /// The attempt whose command it is: 1, 2, …
    public var attempt: Int
    /// The process group's ID, which is the pid of the step's shell.
    public var pgid: Int
    /// `/proc/sys/kernel/random/boot_id` when it started; nil when unknown.
    public var bootID: String?
    /// The shell's start time in clock ticks after boot (`/proc/PID/stat`, field 22), which tells the group from a
    /// later one that reuses its number; nil when unknown.
    public var leaderStart: Int?

    package init(step: String, attempt: Int, pgid: Int, bootID: String?, leaderStart: Int?) {
        self.step = step
        self.attempt = attempt
        self.pgid = pgid
        self.bootID = bootID
        self.leaderStart = leaderStart
    }

    public var kind: JournalRecordKind { .stepProcess }

    public var fields: [(String, JSONValue)] {
        [
            ("step", .string(step)), ("attempt", .integer(attempt)), ("pgid", .integer(pgid)), ("boot_id", .optional(bootID)),
            ("leader_start", .optionalInteger(leaderStart)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), attempt: fields.integer("attempt"), pgid: fields.integer("pgid"),
            bootID: fields.optionalString("boot_id"), leaderStart: fields.optionalInteger("leader_start"))
    }
}

/// `process.killed`: `filet resume --kill-leftover` ended a process group that the run it continues left running.
public struct ProcessKilled: JournalPayload {
    public var step: String
    public var pgid: Int
    /// The last signal sent to the group: `SIGTERM`, or `SIGKILL` when it outlived the grace.
    public var signal: String
    /// Nothing of the group ran any more afterwards.
    public var ended: Bool
    public var waitedMilliseconds: Int

    package init(step: String, pgid: Int, signal: String, ended: Bool, waitedMilliseconds: Int) {
        self.step = step
        self.pgid = pgid
        self.signal = signal
        self.ended = ended
        self.waitedMilliseconds = waitedMilliseconds
    }

    public var kind: JournalRecordKind { .processKilled }

    public var fields: [(String, JSONValue)] {
        [
            ("step", .string(step)), ("pgid", .integer(pgid)), ("signal", .string(signal)), ("ended", .bool(ended)),
            ("waited_ms", .integer(waitedMilliseconds)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            step: fields.string("step"), pgid: fields.integer("pgid"), signal: fields.string("signal"), ended: fields.bool("ended"),
            waitedMilliseconds: fields.integer("waited_ms"))
    }
}

/// `outbox.started`: a `filet outbox deliver` session begins.
public struct OutboxStarted: JournalPayload {
    /// The outbox directory.
    public var outbox: String
    /// `--channel`, nil for every channel.
    public var channel: String?
    /// The entries selected.
    public var entries: Int
    public var unreadable: Int
    public var operatorName: String
    public var host: String
    public var filetVersion: String

    package init(outbox: String, channel: String?, entries: Int, unreadable: Int, operatorName: String, host: String, filetVersion: String)
    {
        self.outbox = outbox
        self.channel = channel
        self.entries = entries
        self.unreadable = unreadable
        self.operatorName = operatorName
        self.host = host
        self.filetVersion = filetVersion
    }

    public var kind: JournalRecordKind { .outboxStarted }

    public var fields: [(String, JSONValue)] {
        [
            ("outbox", .string(outbox)), ("channel", .optional(channel)), ("entries", .integer(entries)),
            ("unreadable", .integer(unreadable)),
            ("operator", .string(operatorName)), ("host", .string(host)), ("filet", .string(filetVersion)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            outbox: fields.string("outbox"), channel: fields.optionalString("channel"), entries: fields.integer("entries"),
            unreadable: fields.integer("unreadable"), operatorName: fields.string("operator"), host: fields.string("host"),
            filetVersion: fields.string("filet"))
    }
}

/// `outbox.unreadable`: a file of the outbox that is not an entry.
public struct OutboxUnreadable: JournalPayload {
    public var file: String
    /// `corrupt`, `incomplete` or `stranger`.
    public var problemKind: String
    public var problem: String

    package init(file: String, problemKind: String, problem: String) {
        self.file = file
        self.problemKind = problemKind
        self.problem = problem
    }

    public var kind: JournalRecordKind { .outboxUnreadable }

    public var fields: [(String, JSONValue)] { [("file", .string(file)), ("kind", .string(problemKind)), ("problem", .string(problem))] }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(file: fields.string("file"), problemKind: fields.string("kind"), problem: fields.string("problem"))
    }
}

/// Which notification an outbox record is about: the first fields of `outbox.attempt` and `outbox.skipped`.
public struct OutboxEntryIdentity: Sendable {
    /// The message id.
    public var message: String
    public var channel: String
    public var step: String
    /// The run that made the notification (`run` is an envelope member).
    public var originRun: String

    package init(message: String, channel: String, step: String, originRun: String) {
        self.message = message
        self.channel = channel
        self.step = step
        self.originRun = originRun
    }

    var fields: [(String, JSONValue)] {
        [("message", .string(message)), ("channel", .string(channel)), ("step", .string(step)), ("origin_run", .string(originRun))]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            message: fields.string("message"), channel: fields.string("channel"), step: fields.string("step"),
            originRun: fields.string("origin_run"))
    }
}

/// `outbox.attempt`: one entry tried.
public struct OutboxAttempt: JournalPayload {
    public var entry: OutboxEntryIdentity
    /// The entry's attempts, this one included; nil when it was refused (not attempted).
    public var attempt: Int?
    /// `delivered`, `accepted`, `failed`, `gone` or `refused`.
    public var outcome: String
    /// Masked.
    public var reason: String?
    /// For `failed`: whether trying later may help; left out otherwise.
    public var retryable: Bool?

    package init(entry: OutboxEntryIdentity, attempt: Int?, outcome: String, reason: String?, retryable: Bool?) {
        self.entry = entry
        self.attempt = attempt
        self.outcome = outcome
        self.reason = reason
        self.retryable = retryable
    }

    public var kind: JournalRecordKind { .outboxAttempt }

    public var fields: [(String, JSONValue)] {
        var fields = entry.fields + [("attempt", .optionalInteger(attempt)), ("outcome", .string(outcome)), ("reason", .optional(reason))]
        if let retryable { fields.append(("retryable", .bool(retryable))) }
        return fields
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            entry: OutboxEntryIdentity(fields), attempt: fields.optionalInteger("attempt"), outcome: fields.string("outcome"),
            reason: fields.optionalString("reason"), retryable: fields.optionalBool("retryable"))
    }
}

/// `outbox.skipped`: an entry of a channel found gone earlier in the session, not tried.
public struct OutboxSkipped: JournalPayload {
    public var entry: OutboxEntryIdentity
    public var reason: String

    package init(entry: OutboxEntryIdentity, reason: String) {
        self.entry = entry
        self.reason = reason
    }

    public var kind: JournalRecordKind { .outboxSkipped }

    public var fields: [(String, JSONValue)] { entry.fields + [("reason", .string(reason))] }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(entry: OutboxEntryIdentity(fields), reason: fields.string("reason"))
    }
}

/// `outbox.finished`: what the session left.
public struct OutboxFinished: JournalPayload {
    /// `delivered` (nothing selected is left) or `waiting`.
    public var status: String
    public var delivered: Int
    public var waiting: Int
    public var unreadable: Int

    package init(status: String, delivered: Int, waiting: Int, unreadable: Int) {
        self.status = status
        self.delivered = delivered
        self.waiting = waiting
        self.unreadable = unreadable
    }

    public var kind: JournalRecordKind { .outboxFinished }

    public var fields: [(String, JSONValue)] {
        [
            ("status", .string(status)), ("delivered", .integer(delivered)), ("waiting", .integer(waiting)),
            ("unreadable", .integer(unreadable)),
        ]
    }

    init(_ fields: RecordFields) throws(JournalRecordError) {
        try self.init(
            status: fields.string("status"), delivered: fields.integer("delivered"), waiting: fields.integer("waiting"),
            unreadable: fields.integer("unreadable"))
    }
}

extension JSONValue {
    fileprivate static func texts(_ items: [String]) -> JSONValue { .array(items.map { .string($0) }) }
    static func optionalInteger(_ number: Int?) -> JSONValue { number.map { .integer($0) } ?? .null }
}

extension SystemUser? {
    /// `os_uid` and `os_user` (null when the uid has no login name), the last fields of the records that carry them;
    /// left out when the account is not known, as older filets, which did not record it, wrote these records.
    fileprivate var fields: [(String, JSONValue)] {
        guard let user = self else { return [] }
        return [("os_uid", .integer(user.uid)), ("os_user", .optional(user.name))]
    }
}

extension RecordFields {
    /// `os_uid` and `os_user`, absent from journals written before filet recorded them.
    fileprivate func systemUser() throws(JournalRecordError) -> SystemUser? {
        guard let uid = try optionalInteger("os_uid") else { return nil }
        return SystemUser(uid: uid, name: try optionalString("os_user"))
    }
}
