extension DeliveryReceipt {
    /// How ``DeliveryReceipt/formatted(_:)`` writes a receipt.
    public struct FormattingOptions: Hashable, Sendable {
        /// How many digits the dates get.
        public enum DateLength: Hashable, Sendable {
            /// `YYMMDDhhmm`, as in the specification.
            case tenDigits
            /// `YYMMDDhhmmss`, the most common extension.
            case twelveDigits

            var digits: Int {
                switch self {
                case .tenDigits: 10
                case .twelveDigits: 12
                }
            }
        }

        /// Default `.tenDigits`.
        public var dateLength: DateLength
        /// The most characters of `text:` written; default 20, as the specification says; `nil`
        /// writes it whole.
        public var maximumTextLength: Int?

        public init(dateLength: DateLength = .tenDigits, maximumTextLength: Int? = 20) {
            self.dateLength = dateLength
            self.maximumTextLength = maximumTextLength
        }
    }

    /// The canonical receipt text:
    /// `id:%s sub:%03d dlvrd:%03d submit date:%10 done date:%10 stat:%7 err:%03 text:%20`.
    ///
    /// `id:` and `stat:` are always written; other fields only when present. Counts are padded to
    /// three digits and dates written with `options.dateLength` digits when they can be read;
    /// otherwise the raw value is written as received. A numeric `err:` is left-padded to three
    /// digits, an alphanumeric one written as is. Fields under other keys are not written.
    public func formatted(_ options: FormattingOptions = FormattingOptions()) -> String {
        var out = ""
        out.reserveCapacity(112 + (self.raw.id?.utf8.count ?? 0))
        out.append("id:")
        out.append(self.raw.id ?? "")
        if let sub = self.raw.sub {
            out.append(" sub:")
            out.append(self.submitted.map(Self.paddedCount) ?? sub)
        }
        if let dlvrd = self.raw.dlvrd {
            out.append(" dlvrd:")
            out.append(self.delivered.map(Self.paddedCount) ?? dlvrd)
        }
        if let submitDate = self.raw.submitDate {
            out.append(" submit date:")
            out.append(self.submitDate.map { Self.formatDate($0, digits: options.dateLength.digits) } ?? submitDate)
        }
        if let doneDate = self.raw.doneDate {
            out.append(" done date:")
            out.append(self.doneDate.map { Self.formatDate($0, digits: options.dateLength.digits) } ?? doneDate)
        }
        out.append(" stat:")
        out.append(self.raw.stat ?? "")
        if let err = self.raw.err {
            out.append(" err:")
            if let code = self.errorCode, err.utf8.count < 3 {
                appendDecimal(code, width: 3, to: &out)
            } else {
                out.append(err)
            }
        }
        if let text = self.raw.text {
            out.append(" text:")
            if let maximum = options.maximumTextLength {
                out.append(contentsOf: text.prefix(maximum))
            } else {
                out.append(text)
            }
        }
        return out
    }
}
