import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs a Neo4j 5.26 Community DBMS (the documented embedded API) with a Bolt connector.
 *
 * <p>Used by {@code priorgraph server start} because the server distribution (tar.gz) is not
 * published on Maven Central. The password is read from a file (never from argv, which other
 * users can see). On first start the password is set with Bolt still closed, so there is no
 * window in which the default {@code neo4j/neo4j} credentials are reachable.
 *
 * <p>Arguments: {@code --home DIR --address HOST --port N --password-file FILE
 * [--pagecache SIZE] [--init-password]}.
 */
public final class PriorgraphNeo4j {
    private static final String READY = "PRIORGRAPH_NEO4J_READY";

    private PriorgraphNeo4j() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        Path home = Path.of(required(args, "--home"));
        String address = args.getOrDefault("--address", "127.0.0.1");
        int port = Integer.parseInt(required(args, "--port"));
        String password =
                Files.readString(Path.of(required(args, "--password-file")), StandardCharsets.UTF_8).strip();
        long pagecache = ByteUnit.parse(args.getOrDefault("--pagecache", "256m"));

        if (args.containsKey("--init-password")) {
            DatabaseManagementService closed = builder(home, address, port, pagecache, false).build();
            try {
                closed.database("system").executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } finally {
                closed.shutdown();
            }
        }

        DatabaseManagementService dbms = builder(home, address, port, pagecache, true).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            dbms.shutdown();
            stopped.countDown();
        }));
        System.out.println(READY + " bolt://" + address + ":" + port);
        System.out.flush();
        stopped.await();
    }

    private static DatabaseManagementServiceBuilder builder(
            Path home, String address, int port, long pagecache, boolean bolt) {
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(BoltConnector.enabled, bolt)
                .setConfig(BoltConnector.listen_address, new SocketAddress(address, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED);
    }

    private static Map<String, String> parse(String[] argv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < argv.length; i++) {
            String key = argv[i];
            if (!key.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: " + key);
            }
            boolean flag = i + 1 >= argv.length || argv[i + 1].startsWith("--");
            out.put(key, flag ? "" : argv[++i]);
        }
        return out;
    }

    private static String required(Map<String, String> args, String key) {
        String value = args.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("missing " + key);
        }
        return value;
    }
}
