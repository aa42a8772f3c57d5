import Crypto
public import Foundation

/// The signature scheme of webhook requests.
///
/// Each request carries `SMSBridge-Timestamp: <unix seconds>` and
/// `SMSBridge-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`; while a rotated
/// secret still overlaps, one `v1=` value per secret, comma-separated, the current secret first.
/// The secret is used as written (`whsec_…`, its UTF-8 bytes are the key).
public enum WebhookSignature {
    public static let timestampHeader = "SMSBridge-Timestamp"
    public static let signatureHeader = "SMSBridge-Signature"

    /// The hex HMAC-SHA256 of `"<timestamp>.<body>"` under `secret`.
    public static func sign(secret: String, timestamp: Int, body: some DataProtocol) -> String {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: Data(secret.utf8)))
        hmac.update(data: Data("\(timestamp).".utf8))
        hmac.update(data: body)
        return hmac.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// The `SMSBridge-Signature` value for these secrets.
    public static func header(secrets: [String], timestamp: Int, body: some DataProtocol) -> String {
        secrets.map { "v1=" + self.sign(secret: $0, timestamp: timestamp, body: body) }.joined(separator: ",")
    }
}
