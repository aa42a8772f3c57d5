/// A configuration value that cannot be used, naming the key and the problem.
public struct SimulatorConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    public var key: String
    public var problem: String

    public init(key: String, problem: String) {
        self.key = key
        self.problem = problem
    }

    public var description: String { "\(self.key): \(self.problem)" }
}
