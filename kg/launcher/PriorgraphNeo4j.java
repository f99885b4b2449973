import inet.ipaddr.IPAddressString;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;
import org.neo4j.server.configuration.ServerSettings;

/**
 * Runs a Neo4j 5.26 Community DBMS (the documented embedded API) with a Bolt connector and,
 * optionally, Neo4j Browser ({@link BrowserServer}).
 *
 * <p>Used by {@code priorgraph server start} because the server distribution (tar.gz) is not
 * published on Maven Central. The password is read from a file (never from argv, which other
 * users can see). On first start the password is set with Bolt still closed, so there is no
 * window in which the default {@code neo4j/neo4j} credentials are reachable.
 *
 * <p>Locked down (docs/reliability.md, "Server security settings"): {@code LOAD CSV} may not read
 * files ({@code dbms.security.allow_csv_import_from_file_urls=false}, and the import root is an
 * empty private directory) nor fetch URLs (the Cypher IP blocklist covers every IPv4 and IPv6
 * address); no usage report ({@code dbms.usage_report.enabled=false}) and no client telemetry
 * ({@code client.allow_telemetry=false}); Neo4j's own HTTP server (Jetty: the HTTP query API)
 * stays off.
 *
 * <p>Arguments: {@code --home DIR --address HOST --port N --password-file FILE
 * [--pagecache SIZE] [--init-password] [--http-port N [--guides-dir DIR]]}.
 */
public final class PriorgraphNeo4j {
    private static final String READY = "PRIORGRAPH_NEO4J_READY";
    private static final String BROWSER_READY = "PRIORGRAPH_NEO4J_BROWSER";
    private static final String START_GUIDE = "priorgraph.html";
    /** Every address: LOAD CSV (and apoc.load.*) may fetch no URL at all. */
    private static final List<IPAddressString> BLOCK_ALL =
            List.of(new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0"));

    private PriorgraphNeo4j() {}

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = parse(argv);
        Path home = Path.of(required(args, "--home")).toAbsolutePath();
        String address = args.getOrDefault("--address", "127.0.0.1");
        int port = Integer.parseInt(required(args, "--port"));
        String password =
                Files.readString(Path.of(required(args, "--password-file")), StandardCharsets.UTF_8).strip();
        long pagecache = ByteUnit.parse(args.getOrDefault("--pagecache", "256m"));
        int httpPort = args.containsKey("--http-port") ? Integer.parseInt(required(args, "--http-port")) : -1;
        if (args.containsKey("--http-port") && (httpPort < 1 || httpPort > 65535)) {
            // A fixed port: post_connect_cmd (the guide's URL) is configured before the port is bound.
            throw new IllegalArgumentException("--http-port must be 1-65535, not " + httpPort);
        }
        Map<String, byte[]> guides = args.containsKey("--guides-dir")
                ? BrowserServer.readGuides(Path.of(required(args, "--guides-dir")))
                : Map.of();
        // LOAD CSV's file root: empty, private, and unused while file URLs are off.
        Path importDir = Files.createDirectories(home.resolve("import"));

        if (args.containsKey("--init-password")) {
            DatabaseManagementService closed =
                    builder(home, importDir, address, port, pagecache, false, -1, guides).build();
            try {
                closed.database("system").executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
            } finally {
                closed.shutdown();
            }
        }

        DatabaseManagementService dbms =
                builder(home, importDir, address, port, pagecache, true, httpPort, guides).build();
        BrowserServer browser = null;
        try {
            if (httpPort > 0) {
                browser = BrowserServer.start(dbms, address, httpPort, port, guides);
            }
        } catch (Exception | Error e) {
            dbms.shutdown();
            throw e;
        }
        BrowserServer http = browser;
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (http != null) {
                http.stop();
            }
            dbms.shutdown();
            stopped.countDown();
        }));
        if (http != null) {
            System.out.println(BROWSER_READY + " " + http.url() + "browser/");
        }
        System.out.println(READY + " bolt://" + address + ":" + port);
        System.out.flush();
        stopped.await();
    }

    private static DatabaseManagementServiceBuilder builder(
            Path home, Path importDir, String address, int port, long pagecache, boolean bolt,
            int httpPort, Map<String, byte[]> guides) {
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(home)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.pagecache_memory, pagecache)
                .setConfig(BoltConnector.enabled, bolt)
                .setConfig(BoltConnector.listen_address, new SocketAddress(address, port))
                // The advertised address defaults to localhost:7687 whatever the listen port; routing
                // (neo4j://, the Browser's default) hands it to clients.
                .setConfig(BoltConnector.advertised_address, new SocketAddress(address, port))
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                // Neo4j's own web server (Jetty: HTTP query API) stays off; BrowserServer serves
                // the Browser's static files only.
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseSettings.load_csv_file_url_root, importDir)
                .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist, BLOCK_ALL)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Read by the Browser through CALL dbms.clientConfig().
                .setConfig(ServerSettings.allow_telemetry, false);
        if (httpPort > 0) {
            builder.setConfig(ServerSettings.browser_remote_content_hostname_whitelist, "127.0.0.1,localhost");
            if (guides.containsKey(START_GUIDE)) {
                builder.setConfig(ServerSettings.browser_post_connect_cmd,
                        "play http://" + BrowserServer.urlHost(address) + ":" + httpPort + "/guides/" + START_GUIDE);
            }
        }
        return builder;
    }

    /** {@code --key value} pairs and bare {@code --flag}s (also read by PriorgraphImport). */
    static Map<String, String> parse(String[] argv) {
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

    static String required(Map<String, String> args, String key) {
        String value = args.get(key);
        if (value == null || value.isEmpty()) {
            throw new IllegalArgumentException("missing " + key);
        }
        return value;
    }
}
