public import SMPP

/// A submit the SMSC accepted.
public struct SubmitResult: Sendable, Hashable {
    /// The message id as the SMSC wrote it in the response.
    public var messageID: String
    /// The id normalised for matching receipts (``MessageIDNormalizer/key(forSubmitted:)``).
    public var messageIDKey: String
    /// The session that carried it.
    public var session: Int
    /// Time from queueing to the response.
    public var latency: Duration
    /// TLVs of the response (SMPP 5.0 allows some).
    public var tlvs: TLVs
}
