import Foundation

/// A Prometheus text exposition (what `/metrics` answers), read line by line, and the checks an
/// OpenMetrics parser makes of it.
struct MetricsExposition {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Name and type of each `# TYPE` line, in order.
    private(set) var families: [(name: String, type: String)] = []
    private(set) var samples: [Sample] = []
    /// What a parser would refuse: lines it cannot read, and families that clash.
    private(set) var problems: [String] = []

    init(_ text: String) {
        // The series names each family may emit, and the family that claimed each.
        var owners: [String: String] = [:]
        var current: (name: String, type: String)?
        var ended: Set<String> = []
        var seen: Set<String> = []
        for line in text.split(separator: "\n").map(String.init) {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ").map(String.init)
                guard parts.count == 4 else {
                    self.problems.append("a TYPE line that is not `# TYPE name type`: \(line)")
                    continue
                }
                let (name, type) = (parts[2], parts[3])
                if let earlier = self.families.first(where: { $0.name == name }) {
                    self.problems.append("\(name): a second TYPE line (\(earlier.type), then \(type))")
                }
                // OpenMetrics names a counter's family without `_total`: the gauge `x` and the
                // counter `x_total` are two families named `x`.
                let family = Self.familyName(name, type: type)
                if let other = self.families.first(where: {
                    Self.familyName($0.name, type: $0.type) == family && $0.name != name
                }) {
                    self.problems.append(
                        "the family \(family) is both the \(other.type) \(other.name) and the \(type) \(name)"
                    )
                }
                for series in Self.seriesNames(name, type: type) {
                    if let other = owners[series], other != name {
                        self.problems.append("\(name) (\(type)) and \(other) both have series named \(series)")
                    }
                    owners[series] = name
                }
                if let current { ended.insert(current.name) }
                current = (name, type)
                self.families.append((name, type))
            } else if line.hasPrefix("#") || line.isEmpty {
                continue
            } else {
                guard let sample = Self.sample(line) else {
                    self.problems.append("a sample line that does not read as `name{labels} value`: \(line)")
                    continue
                }
                guard let family = current, Self.seriesNames(family.name, type: family.type).contains(sample.name)
                else {
                    let owner = owners[sample.name]
                    self.problems.append(
                        owner.map {
                            ended.contains($0)
                                ? "\(line): apart from the rest of \($0)" : "\(line): not after its TYPE line"
                        }
                            ?? "\(line): no TYPE line for \(sample.name)"
                    )
                    continue
                }
                let key =
                    sample.name + sample.labels.sorted { $0.key < $1.key }.map { "|\($0.key)=\($0.value)" }.joined()
                if !seen.insert(key).inserted { self.problems.append("\(line): the same series twice") }
                self.samples.append(sample)
            }
        }
    }

    /// The value of the series `name` with exactly `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        self.samples.first { $0.name == name && $0.labels == labels }?.value
    }

    /// Whether `name` has a TYPE line.
    func has(_ name: String) -> Bool {
        self.families.contains { $0.name == name }
    }

    /// The family name an OpenMetrics parser gives a metric of this name and type.
    private static func familyName(_ name: String, type: String) -> String {
        type == "counter" && name.hasSuffix("_total") ? String(name.dropLast("_total".count)) : name
    }

    /// The series names a family may emit, and that no other family may use.
    private static func seriesNames(_ name: String, type: String) -> Set<String> {
        let family = Self.familyName(name, type: type)
        switch type {
        case "counter": return [name, family, family + "_total", family + "_created"]
        case "histogram": return [name, name + "_bucket", name + "_count", name + "_sum", name + "_created"]
        case "summary": return [name, name + "_count", name + "_sum", name + "_created"]
        default: return [name]
        }
    }

    /// `name{a="x",b="y"} value`, or `name value`.
    private static func sample(_ line: String) -> Sample? {
        guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
            return nil
        }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else {
            return series.isEmpty ? nil : Sample(name: String(series), labels: [:], value: value)
        }
        guard series.hasSuffix("}") else { return nil }
        var labels: [String: String] = [:]
        var rest = series[series.index(after: brace)..<series.index(before: series.endIndex)]
        while !rest.isEmpty {
            guard let equals = rest.firstIndex(of: "="), rest[rest.index(after: equals)...].hasPrefix("\"") else {
                return nil
            }
            let label = String(rest[..<equals])
            var index = rest.index(equals, offsetBy: 2)
            var text = ""
            while index < rest.endIndex, rest[index] != "\"" {
                if rest[index] == "\\" { index = rest.index(after: index) }
                guard index < rest.endIndex else { return nil }
                text.append(rest[index])
                index = rest.index(after: index)
            }
            guard index < rest.endIndex, labels.updateValue(text, forKey: label) == nil else { return nil }
            rest = rest[rest.index(after: index)...]
            if rest.hasPrefix(",") { rest = rest.dropFirst() }
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }
}

extension MetricsExposition: CustomStringConvertible {
    /// Short, for test failures: the counts, and the problems.
    var description: String {
        "\(self.families.count) families, \(self.samples.count) samples"
            + (self.problems.isEmpty ? "" : ", problems: \(self.problems)")
    }
}
