import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.neo4j.cli.AdminTool;
import org.neo4j.cli.ExecutionContext;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Result;
import org.neo4j.graphdb.Transaction;
import org.neo4j.io.ByteUnit;
import org.neo4j.io.fs.DefaultFileSystemAbstraction;

/**
 * The offline half of {@code priorgraph build}: Neo4j's own batch importer ({@code neo4j-admin
 * database import full}, class {@code org.neo4j.importer.ImportCommand}, already among the
 * embedded DBMS's jars) run in-process, then a check of the new store with the embedded API.
 *
 * <p>{@code --home DIR --database NAME --spec SPEC.json --result RESULT.json}. The store is
 * written to {@code DIR/data/databases/NAME} and {@code DIR/data/transactions/NAME}: the layout
 * of the local server's DBMS home, so the pair can be moved into it. SPEC holds
 * <ul>
 *   <li>{@code import_args}: the arguments of {@code neo4j-admin database import full} before the
 *       database name ({@code --nodes=…}, {@code --relationships=…}, delimiters, memory);
 *   <li>{@code statements}: {@code [{query, parameters, find, batch}]} run on the new store after
 *       the import (constraints and indexes: the record format cannot take {@code --schema}; the
 *       empty lists the importer cannot write), each in its own transaction; with {@code find}
 *       (a read whose first column is element ids), {@code query} runs on batches of those ids
 *       ({@code $ids}), a transaction per batch; then every index is awaited;
 *   <li>{@code queries}: {@code {name: query}} reads whose rows go to RESULT (counts per label
 *       and type, the schema, the pointers: what Python compares with the build's own counts);
 *   <li>{@code pagecache}: page cache of the check (default 256m).
 * </ul>
 * RESULT: {@code {exit, import_seconds, nodes, relationships, properties, check_seconds, rows,
 * error}}. The exit code is the import tool's (0 ok), or 5 when the check failed. Bolt and HTTP
 * stay off: nothing listens while the store is checked.
 */
public final class PriorgraphImport {
    private static final Pattern IMPORTED = Pattern.compile(
            "Imported:\\s*\\n\\s*([0-9]+) nodes\\s*\\n\\s*([0-9]+) relationships\\s*\\n\\s*([0-9]+) properties");
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private PriorgraphImport() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = PriorgraphNeo4j.parse(argv);
        Path home = Path.of(PriorgraphNeo4j.required(args, "--home")).toAbsolutePath();
        String database = args.getOrDefault("--database", "neo4j");
        JsonNode spec = JSON.readTree(Path.of(PriorgraphNeo4j.required(args, "--spec")).toFile());
        Path resultFile = Path.of(PriorgraphNeo4j.required(args, "--result"));
        Map<String, Object> result = new LinkedHashMap<>();
        int exit = runImport(home, database, spec, result);
        if (exit == 0) {
            try {
                check(home, database, spec, result);
            } catch (Exception | Error e) {
                result.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
                exit = 5;
            }
        }
        result.put("exit", exit);
        JSON.writeValue(resultFile.toFile(), result);
        System.out.flush();
        System.exit(exit);
    }

    /** {@code neo4j-admin database import full ARGS DATABASE} with NEO4J_HOME = {@code home}. */
    static int runImport(Path home, String database, JsonNode spec, Map<String, Object> result)
            throws Exception {
        Path confDir = Files.createDirectories(home.resolve("conf"));
        Path conf = confDir.resolve("neo4j.conf");
        if (!Files.exists(conf)) {
            // Only where the data goes; relative paths resolve against NEO4J_HOME, like the
            // defaults of the embedded DBMS that serves the store afterwards.
            Files.writeString(conf, "server.directories.data=data\nserver.directories.logs=logs\n");
        }
        Files.createDirectories(home.resolve("logs"));
        List<String> command = new ArrayList<>(List.of("database", "import", "full"));
        command.add("--report-file=" + home.resolve("logs").resolve("import.report"));
        spec.path("import_args").forEach(a -> command.add(a.asText()));
        command.add(database);

        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(new Tee(System.out, captured), true, StandardCharsets.UTF_8);
        PrintStream err = new PrintStream(new Tee(System.err, captured), true, StandardCharsets.UTF_8);
        long t0 = System.nanoTime();
        int exit = AdminTool.execute(
                new ExecutionContext(home, confDir, out, err, new DefaultFileSystemAbstraction()),
                command.toArray(String[]::new));
        result.put("import_seconds", (System.nanoTime() - t0) / 1e9);
        out.flush();
        err.flush();
        Matcher m = IMPORTED.matcher(captured.toString(StandardCharsets.UTF_8));
        if (m.find()) {
            result.put("nodes", Long.parseLong(m.group(1)));
            result.put("relationships", Long.parseLong(m.group(2)));
            result.put("properties", Long.parseLong(m.group(3)));
        }
        if (exit != 0) {
            String text = captured.toString(StandardCharsets.UTF_8).strip();
            String[] lines = text.split("\n");
            result.put("error", lines.length == 0 ? "import failed" : lines[lines.length - 1]);
        }
        return exit;
    }

    /** Open the new store embedded, apply the statements, await indexes, run the queries. */
    static void check(Path home, String database, JsonNode spec, Map<String, Object> result) {
        long t0 = System.nanoTime();
        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.pagecache_memory,
                        ByteUnit.parse(spec.path("pagecache").asText("256m")))
                .setConfig(GraphDatabaseSettings.initial_default_database, database)
                .setConfig(BoltConnector.enabled, false)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                .build();
        try {
            GraphDatabaseService db = dbms.database(database);
            for (JsonNode statement : spec.path("statements")) {
                Map<String, Object> params = JSON.convertValue(
                        statement.path("parameters"), JSON.getTypeFactory().constructMapType(
                                Map.class, String.class, Object.class));
                String query = statement.path("query").asText();
                Map<String, Object> given = params == null ? Map.of() : params;
                if (!statement.has("find")) {
                    db.executeTransactionally(query, given);
                    continue;
                }
                // one read finds the element ids; the query then runs on batches of them ($ids)
                List<Object> ids = db.executeTransactionally(statement.path("find").asText(), given, r -> {
                    List<Object> found = new ArrayList<>();
                    r.forEachRemaining(row -> found.add(row.values().iterator().next()));
                    return found;
                });
                int batch = statement.path("batch").asInt(100_000);
                for (int from = 0; from < ids.size(); from += batch) {
                    Map<String, Object> chunk = new LinkedHashMap<>(given);
                    chunk.put("ids", ids.subList(from, Math.min(ids.size(), from + batch)));
                    db.executeTransactionally(query, chunk);
                }
            }
            try (Transaction tx = db.beginTx()) {
                tx.schema().awaitIndexesOnline(1, TimeUnit.HOURS);
                tx.commit();
            }
            Map<String, Object> rows = new LinkedHashMap<>();
            spec.path("queries").properties().forEach(q -> {
                try (Transaction tx = db.beginTx(); Result r = tx.execute(q.getValue().asText())) {
                    List<Map<String, Object>> found = new ArrayList<>();
                    r.forEachRemaining(row -> {
                        Map<String, Object> plain = new LinkedHashMap<>();
                        row.forEach((k, v) -> plain.put(k, plain(v)));
                        found.add(plain);
                    });
                    rows.put(q.getKey(), found);
                }
            });
            result.put("rows", rows);
        } finally {
            dbms.shutdown();
            result.put("check_seconds", (System.nanoTime() - t0) / 1e9);
        }
    }

    /** A Cypher value as JSON: arrays as lists, temporal values as their ISO text. */
    private static Object plain(Object v) {
        if (v == null || v instanceof Number || v instanceof Boolean || v instanceof String) {
            return v;
        }
        if (v.getClass().isArray()) {
            List<Object> items = new ArrayList<>();
            for (int i = 0; i < Array.getLength(v); i++) {
                items.add(plain(Array.get(v, i)));
            }
            return items;
        }
        if (v instanceof List<?> list) {
            return list.stream().map(PriorgraphImport::plain).toList();
        }
        if (v instanceof Map<?, ?> map) {
            Map<String, Object> out = new LinkedHashMap<>();
            map.forEach((k, x) -> out.put(String.valueOf(k), plain(x)));
            return out;
        }
        if (v instanceof TemporalAccessor) {
            return v.toString();
        }
        return String.valueOf(v);
    }

    /** An OutputStream that writes to two others (the tool's output, and a copy to parse). */
    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
