/// The limits applied to send requests. Defaults in the doc comments.
public struct MessagePolicy: Sendable, Hashable {
    /// Longest validity, in seconds. Default 7 days.
    public var maximumValidity: Int = 7 * 86_400
    /// Shortest validity, in seconds. Default 60.
    public var minimumValidity: Int = 60
    /// How far ahead `send_at` may lie, in seconds. Default 365 days.
    public var maximumScheduleAhead: Int = 365 * 86_400
    /// Default 10 tags of at most 64 characters.
    public var maximumTags: Int = 10
    public var maximumTagLength: Int = 64
    /// Default 128 characters.
    public var maximumClientRefLength: Int = 128
    /// Callback URL rules.
    public var callbackURLs = CallbackURLPolicy()

    public init() {}
}
