import Foundation

/// A scripted sequence of mobile-originated messages.
///
/// One message per line: `DELAY FROM TO TEXT…` — seconds to wait after the previous line, the
/// handset, the ESME address, and the rest of the line as text (`\n` writes a line break). Blank
/// lines and lines starting with `#` are ignored.
///
/// ```
/// # wait 2 s, then a reply from a handset to short code 7726
/// 2 +447700900123 7726 YES please
/// 0.5 +447700900124 7726 STOP
/// ```
public struct MOScript: Sendable, Hashable {
    public struct Line: Sendable, Hashable {
        public var delay: Double
        public var message: SMSCSimulator.InboundMessage
    }

    public var lines: [Line]

    public init(lines: [Line]) {
        self.lines = lines
    }

    /// Parses a script; the error names the line number.
    public init(parsing text: String, systemID: String? = nil) throws(SimulatorConfigurationError) {
        var lines: [Line] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count == 4, let delay = Double(fields[0]), delay >= 0 else {
                throw SimulatorConfigurationError(
                    key: "mo-script line \(index + 1)",
                    problem: "expected 'DELAY FROM TO TEXT', found '\(line)'"
                )
            }
            let text = String(fields[3]).replacingOccurrences(of: "\\n", with: "\n")
            lines.append(
                Line(
                    delay: delay,
                    message: .init(from: String(fields[1]), to: String(fields[2]), text: text, systemID: systemID)
                )
            )
        }
        self.lines = lines
    }
}
