import Foundation

/// Files of the repository, found from this source file's path so tests run from any working
/// directory. TLS files are the shared ones in `Tests/Fixtures/tls`.
enum Fixtures {
    /// The repository's root folder.
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // Support
        .deletingLastPathComponent()  // SMSCSimulatorTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()

    /// `Tests/Fixtures/tls`: a self-signed certificate for localhost (valid until 2126) and its key.
    static let directory = repository.appendingPathComponent("Tests/Fixtures/tls")

    static func path(_ name: String) -> String {
        directory.appendingPathComponent(name).path
    }
}
