import BridgeStore
import Logging

extension Logger.MetadataValue {
    /// An error of a database call as a log line's value: ``describeDatabaseError(_:)``, the cause in
    /// words (PSQLError describes itself only as a placeholder).
    static func databaseError(_ error: any Error) -> Self {
        .string(describeDatabaseError(error))
    }
}
