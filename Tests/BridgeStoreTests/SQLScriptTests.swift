import Foundation
import Testing

@testable import BridgeStore

@Suite struct SQLScriptTests {
    @Test func splitsAtTerminatingSemicolonsOnly() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon', "weird;name" int);
            /* block; /* nested; */ still comment */
            CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;
            INSERT INTO a VALUES ('it''s; fine', 1), (E'back\\\\slash\\'; x', 2);
            SELECT $$;$$
            """
        let statements = SQLScript.statements(script)
        #expect(statements.count == 4)
        #expect(statements[0].contains("weird;name"))
        #expect(statements[1].contains("$body$ SELECT 1; $body$"))
        #expect(statements[2].contains("it''s; fine"))
        #expect(statements[3].trimmingCharacters(in: .whitespacesAndNewlines) == "SELECT $$;$$")
    }

    @Test func blankAndCommentOnlyPiecesAreDropped() {
        #expect(SQLScript.statements("  ;\n-- nothing;\n;/* x */;").isEmpty)
    }
}
