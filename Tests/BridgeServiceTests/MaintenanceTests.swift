import BridgeCore
import BridgeService
import BridgeStore
import BridgeTestSupport
import Foundation
import Logging
import Testing

@Suite(.timeLimit(.minutes(1))) struct MaintenanceTests {
    /// A round writes this instance's row once: the heartbeat carries its open connections (a
    /// publication of their own wrote the row a second time, every round of every instance).
    @Test func aRoundWritesTheInstanceRowOnce() async throws {
        try await withStore("maintenance") { store in
            // Each write of an `instances` row, as the row then was.
            try await store.execute("CREATE TABLE instance_writes (id uuid, connections int8[])")
            try await store.execute(
                """
                CREATE FUNCTION note_instance_write() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO instance_writes VALUES (NEW.id, NEW.inbound_connections);
                    RETURN NEW;
                END $$
                """
            )
            try await store.execute(
                """
                CREATE TRIGGER instance_written AFTER INSERT OR UPDATE ON instances
                FOR EACH ROW EXECUTE FUNCTION note_instance_write()
                """
            )
            let instance = UUID()
            let maintenance = Maintenance(
                store: store,
                instanceID: instance,
                router: InboundRouter<UUID>(),
                openConnections: { [5, 6] },
                logger: quietLogger("maintenance")
            )
            await maintenance.runOnce(full: false)
            await maintenance.runOnce(full: false)
            let writes = try await store.execute(
                "SELECT count(*) || ' ' || count(*) FILTER (WHERE connections = '{5,6}') FROM instance_writes"
            )
            #expect(writes == "2 2", "two rounds, one write each, each with the connections")
            let published = try await store.execute(
                """
                SELECT inbound_connections::text || ' ' || (connections_at <= heartbeat_at)::text
                FROM instances WHERE id = '\(instance)'
                """
            )
            #expect(published == "{5,6} true")
        }
    }

    /// A round cut short by shutdown (its task canceled) is no failure: nothing is logged as a
    /// warning (every graceful stop logged "maintenance round failed … CancellationError").
    @Test func aRoundCanceledByShutdownIsNoWarning() async throws {
        try await withStore("maintenance-cancel") { store in
            let logs = CapturedLogs()
            let maintenance = Maintenance(
                store: store,
                instanceID: UUID(),
                router: InboundRouter<UUID>(),
                logger: logs.logger(label: "maintenance", level: .debug)
            )
            let round = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                await maintenance.runOnce(full: true)
            }
            await round.value
            #expect(logs.all.filter { $0.level >= .warning }.map(\.message) == [])
            #expect(logs.records("maintenance round canceled").count == 1, "the round did stop on the cancellation")
        }
    }
}
