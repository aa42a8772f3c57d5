/// The text of a concatenated message's parts, each read with its own data_coding.
///
/// Parts of one message normally share a data_coding, and their user data is then decoded once,
/// joined: a GSM-7 escape or a UCS-2 surrogate pair that the sender cut between two parts still
/// decodes. Some SMSCs and handsets send the parts of one message with different codings (a
/// GSM-7 part, then a UCS-2 one for the part with an `ü`); decoding everything with the first
/// part's coding garbles the rest. So consecutive parts of the same coding are joined and decoded
/// together, each run with its own coding, and the texts joined.
public struct ConcatenatedText: Hashable, Sendable {
    /// The data_coding that describes the message: the parts' own when they share one; when they
    /// differ, the first part's if every part is text, else the first part's that is not text.
    public var dataCoding: DataCoding
    /// The text, or `nil` when a part is binary or of an alphabet that cannot be read: the message
    /// is then its octets, whatever the other parts' codings (no part's octets are dropped or
    /// replaced by a guess).
    public var text: String?

    public init(dataCoding: DataCoding, text: String?) {
        self.dataCoding = dataCoding
        self.text = text
    }

    /// Decodes `parts`, in their order; `smscDefault` says what data_coding 0 means (see
    /// ``DataCoding/decodeText(_:smscDefault:)``).
    public init<Bytes: Collection<UInt8>>(
        parts: [(dataCoding: DataCoding, userData: Bytes)],
        smscDefault: TextEncoding = .gsm7
    ) {
        var runs: [(dataCoding: DataCoding, userData: [UInt8])] = []
        for part in parts {
            if let last = runs.indices.last, runs[last].dataCoding == part.dataCoding {
                runs[last].userData += part.userData
            } else {
                runs.append((part.dataCoding, Array(part.userData)))
            }
        }
        self.dataCoding = runs.first?.dataCoding ?? .smscDefault
        var text = ""
        for run in runs {
            guard let decoded = run.dataCoding.decodeText(run.userData, smscDefault: smscDefault) else {
                self.dataCoding = run.dataCoding
                self.text = nil
                return
            }
            text += decoded
        }
        self.text = text
    }
}
