import Foundation

/// Files under `Tests/SMSCSimulatorTests/Fixtures` and elsewhere in the repository, found from this
/// source file's path so tests run from any working directory.
enum Fixtures {
    /// `Tests/SMSCSimulatorTests/Fixtures`.
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // SMSCSimulatorTests
        .appendingPathComponent("Fixtures")

    /// The repository's root folder.
    static let repository =
        directory
        .deletingLastPathComponent()  // SMSCSimulatorTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}
