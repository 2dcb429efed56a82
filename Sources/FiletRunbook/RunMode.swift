/// Whether a run does everything for real or is a readiness drill.
public enum RunMode: String, Sendable, CaseIterable {
    case run, drill
}
