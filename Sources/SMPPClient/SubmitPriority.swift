/// Which lane a submit waits in: urgent messages overtake the bulk backlog.
public enum SubmitPriority: String, Sendable, Hashable, CaseIterable, Codable {
    case normal
    case urgent
}
