import BridgeTestSupport
import Foundation
import HummingbirdTesting
import Testing

@testable import BridgeHTTP

/// `openapi/openapi.yaml` against the server it describes: schemathesis, an independent fuzzer,
/// run as a child process against the API on a real loopback port over a real test database.
///
/// The checks it runs hold both sides to the document: no `5xx`; every status, content type,
/// header and body one the document declares; a request the document forbids refused
/// (`negative_data_rejection`); a method a path lacks — extension methods such as `QUERY`
/// included — answered `405` with `Allow` (`unsupported_method`); nothing answered without a
/// valid key (`ignored_auth`). Not run: `positive_data_acceptance`, which wants every request the
/// document allows accepted — a `cursor` is an opaque token only the API itself makes, so any value
/// generated from its pattern is rightly refused, and so is a message to a destination without a
/// route or a text that does not fit the encoding asked for, which no schema can tell.
@Suite(.timeLimit(.minutes(3))) struct SchemathesisTests {
    /// The checks run. Fixed, like the seed and the number of examples, so a failure repeats. One
    /// worker: with two threads, CPython 3.11's `ast.parse` (which hypothesis calls to describe
    /// its filters) now and then fails with "AST constructor recursion depth mismatch".
    static let checks = [
        "not_a_server_error", "status_code_conformance", "content_type_conformance",
        "response_headers_conformance", "response_schema_conformance", "negative_data_rejection",
        "unsupported_method", "ignored_auth",
    ]

    @Test func theServerConformsToItsOpenAPIDocument() async throws {
        let probe = try ChildProcess("/usr/bin/env", ["python3", "-m", "schemathesis.cli", "--version"])
        guard try await probe.wait(timeout: .seconds(30)) == 0 else {
            Issue.record(
                "python3 with schemathesis is needed (scripts/test installs it: python3 -m pip install --user schemathesis): \(probe.stderr)"
            )
            return
        }
        // Every send is stored (no dispatcher runs), so the rate limit must not refuse the fuzzer.
        try await withAPI(.live, accountRateLimit: 1_000_000) { api in
            let port = try #require(api.client.port)
            // schemathesis keeps a cache of crashes in `.schemathesis/` of its working directory:
            // a folder of its own, not the repository.
            let workingDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("smsbridge-schemathesis-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: workingDirectory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: workingDirectory) }
            let run = try ChildProcess(
                "/usr/bin/env",
                [
                    "--chdir", workingDirectory.path,
                    "python3", "-m", "schemathesis.cli", "run", SpecTests.specURL.path,
                    "--url", "http://localhost:\(port)",
                    "--header", "Authorization: Bearer \(api.key)",
                    "--checks", Self.checks.joined(separator: ","),
                    "--phases", "examples,coverage,fuzzing",
                    "--seed", "20261204", "--max-examples", "20", "--workers", "1",
                    "--generation-database", "none", "--request-timeout", "10", "--no-color",
                ],
                environment: ProcessInfo.processInfo.environment.merging(
                    ["SCHEMATHESIS_TELEMETRY": "false", "PYTHONUNBUFFERED": "1"],
                    uniquingKeysWith: { $1 }
                )
            )
            // About 25 s on a quick machine, three times that on a slow one beside the other tests.
            let status = try await run.wait(timeout: .seconds(150))
            #expect(status == 0, "schemathesis found the server and openapi/openapi.yaml apart:\n\(run.stdout)\n\(run.stderr)")
        }
    }
}
