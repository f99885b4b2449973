import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.neo4j.dbms.api.DatabaseManagementService;

/**
 * Neo4j Browser's static files, its discovery document and priorgraph's guides, on the JDK's HTTP
 * server; nothing else (no HTTP query API: the Browser talks to Bolt over WebSocket, which the
 * Bolt connector accepts on its own port).
 *
 * <ul>
 *   <li>{@code GET /}: the discovery JSON the Browser reads (Bolt URLs, version), or a redirect to
 *       {@code /browser/} for a page request;
 *   <li>{@code /browser/…}: the {@code browser/} files of the {@code org.neo4j.client:neo4j-browser}
 *       jar on the classpath;
 *   <li>{@code /guides/NAME}: the regular files directly in the guides directory, read once.
 * </ul>
 *
 * <p>Only names listed when it starts are served, looked up exactly, so no path reaches anything
 * else; GET and HEAD only; a Host header other than the bind address or a loopback name is refused
 * (DNS rebinding); a Content-Security-Policy confines the page to this origin and the Bolt
 * WebSocket, so the Browser cannot call out (telemetry, fonts, error reports).
 */
final class BrowserServer {
    private static final String BROWSER_RESOURCE = "browser/index.html";
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("map", "application/json"),
            Map.entry("md", "text/markdown; charset=utf-8"),
            Map.entry("txt", "text/plain; charset=utf-8"),
            Map.entry("svg", "image/svg+xml"),
            Map.entry("png", "image/png"),
            Map.entry("jpg", "image/jpeg"),
            Map.entry("gif", "image/gif"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("woff", "font/woff"),
            Map.entry("woff2", "font/woff2"),
            Map.entry("ttf", "font/ttf"),
            Map.entry("eot", "application/vnd.ms-fontobject"),
            Map.entry("wasm", "application/wasm"));

    private final HttpServer server;
    private final ExecutorService executor;
    private final JarFile jar;
    private final Map<String, JarEntry> files = new HashMap<>();
    private final Map<String, byte[]> guides;
    private final Map<String, String> guideTags = new HashMap<>();
    private final String address;
    private final int httpPort;
    private final byte[] discovery;
    private final String csp;

    private BrowserServer(DatabaseManagementService dbms, String address, int httpPort, int boltPort,
                          Map<String, byte[]> guides) throws IOException {
        this.address = address;
        this.guides = guides;
        guides.forEach((name, bytes) -> guideTags.put(name, "\"g-" + sha256(bytes).substring(0, 16) + "\""));
        URL index = BrowserServer.class.getClassLoader().getResource(BROWSER_RESOURCE);
        if (index == null || !"jar".equals(index.getProtocol())) {
            throw new IllegalStateException("--http-port needs the Neo4j Browser jar "
                    + "(org.neo4j.client:neo4j-browser) on the classpath; found " + index);
        }
        URL jarUrl = ((JarURLConnection) index.openConnection()).getJarFileURL();
        this.jar = new JarFile(Path.of(URI.create(jarUrl.toString())).toFile());
        jar.stream()
                .filter(e -> !e.isDirectory() && e.getName().startsWith("browser/"))
                .forEach(e -> files.put(e.getName(), e));

        String[] component = new String[2];
        dbms.database("system").executeTransactionally("CALL dbms.components()", Map.of(), result -> {
            Map<String, Object> row = result.next();
            component[0] = String.valueOf(((List<?>) row.get("versions")).get(0));
            component[1] = String.valueOf(row.get("edition"));
            return null;
        });
        String host = urlHost(address);
        this.discovery = ("{\"bolt_routing\":\"neo4j://" + host + ":" + boltPort + "\","
                + "\"bolt_direct\":\"bolt://" + host + ":" + boltPort + "\","
                + "\"neo4j_version\":\"" + component[0] + "\","
                + "\"neo4j_edition\":\"" + component[1] + "\"}").getBytes(StandardCharsets.UTF_8);

        this.server = HttpServer.create(new InetSocketAddress(address, httpPort), 64);
        this.httpPort = server.getAddress().getPort();
        String origins = "http://" + host + ":" + this.httpPort + " http://localhost:" + this.httpPort;
        String bolt = "ws://" + host + ":" + boltPort + " ws://localhost:" + boltPort;
        this.csp = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                + "img-src 'self' data: blob:; font-src 'self' data:; worker-src 'self' blob:; "
                + "connect-src 'self' " + origins + " " + bolt + "; "
                + "base-uri 'none'; object-src 'none'; form-action 'none'; frame-ancestors 'none'";
        AtomicInteger threads = new AtomicInteger();
        this.executor = Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "priorgraph-browser-http-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /** Binds {@code address:httpPort} and serves until {@link #stop()}. */
    static BrowserServer start(DatabaseManagementService dbms, String address, int httpPort, int boltPort,
                               Map<String, byte[]> guides) throws IOException {
        BrowserServer browser = new BrowserServer(dbms, address, httpPort, boltPort, guides);
        browser.server.start();
        return browser;
    }

    /** The guides: regular files (no links) directly in {@code dir} with plain names, read once. */
    static Map<String, byte[]> readGuides(Path dir) throws IOException {
        Map<String, byte[]> out = new HashMap<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path file : entries) {
                String name = file.getFileName().toString();
                if (name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")
                        && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    out.put(name, Files.readAllBytes(file));
                }
            }
        }
        return Map.copyOf(out);
    }

    /** {@code address} as the host part of a URL (IPv6 in brackets). */
    static String urlHost(String address) {
        return address.contains(":") ? "[" + address + "]" : address;
    }

    String url() {
        return "http://" + urlHost(address) + ":" + httpPort + "/";
    }

    void stop() {
        server.stop(0);
        executor.shutdownNow();
        try {
            jar.close();
        } catch (IOException ignored) {
            // shutting down anyway
        }
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            var headers = ex.getResponseHeaders();
            headers.set("X-Content-Type-Options", "nosniff");
            headers.set("X-Frame-Options", "DENY");
            headers.set("Referrer-Policy", "no-referrer");
            headers.set("Content-Security-Policy", csp);
            String method = ex.getRequestMethod();
            if (!hostAllowed(ex.getRequestHeaders().getFirst("Host"))) {
                text(ex, 421, "unknown Host\n");
                return;
            }
            if (!method.equals("GET") && !method.equals("HEAD")) {
                headers.set("Allow", "GET, HEAD");
                text(ex, 405, "GET or HEAD only\n");
                return;
            }
            String path = ex.getRequestURI().getPath();
            if (path == null) {
                text(ex, 400, "bad path\n");
            } else if (path.equals("/")) {
                String accept = ex.getRequestHeaders().getFirst("Accept");
                headers.set("Vary", "Accept");
                if (accept != null && accept.contains("text/html")) {
                    redirect(ex, "/browser/");
                } else {
                    headers.set("Cache-Control", "no-store");
                    send(ex, "application/json", null, discovery);
                }
            } else if (path.equals("/browser")) {
                redirect(ex, "/browser/");
            } else if (path.startsWith("/browser/")) {
                JarEntry entry = files.get(path.endsWith("/") ? path.substring(1) + "index.html" : path.substring(1));
                if (entry == null) {
                    text(ex, 404, "not found\n");
                } else {
                    sendEntry(ex, entry);
                }
            } else if (path.startsWith("/guides/") && guides.containsKey(path.substring(8))) {
                String name = path.substring(8);
                // The Browser fetches guides with XHR; allow both loopback spellings of this origin.
                String origin = ex.getRequestHeaders().getFirst("Origin");
                if (origin != null && (origin.equals("http://" + urlHost(address) + ":" + httpPort)
                        || origin.equals("http://localhost:" + httpPort))) {
                    headers.set("Access-Control-Allow-Origin", origin);
                    headers.add("Vary", "Origin");
                }
                send(ex, type(name), guideTags.get(name), guides.get(name));
            } else {
                text(ex, 404, "not found\n");
            }
        } catch (IOException e) {
            // the client went away mid-response; nothing to do
        }
    }

    private boolean hostAllowed(String host) {
        if (host == null) {
            return false;
        }
        String name = host.toLowerCase(Locale.ROOT);
        if (name.startsWith("[")) {
            int end = name.indexOf(']');
            name = end < 0 ? name : name.substring(1, end);
        } else if (name.indexOf(':') >= 0) {
            name = name.substring(0, name.indexOf(':'));
        }
        return name.equals("localhost") || name.equals("127.0.0.1") || name.equals("::1")
                || name.equals(address.toLowerCase(Locale.ROOT));
    }

    private void sendEntry(HttpExchange ex, JarEntry entry) throws IOException {
        String tag = "\"" + Long.toHexString(entry.getCrc()) + "-" + Long.toHexString(entry.getSize()) + "\"";
        if (notModified(ex, tag)) {
            return;
        }
        var headers = ex.getResponseHeaders();
        headers.set("Content-Type", type(entry.getName()));
        headers.set("Cache-Control", "no-cache");
        headers.set("ETag", tag);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(200, head ? -1 : entry.getSize());
        if (!head) {
            try (InputStream in = jar.getInputStream(entry); OutputStream out = ex.getResponseBody()) {
                in.transferTo(out);
            }
        }
    }

    private static void send(HttpExchange ex, String type, String tag, byte[] body) throws IOException {
        if (tag != null) {
            if (notModified(ex, tag)) {
                return;
            }
            ex.getResponseHeaders().set("ETag", tag);
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
        }
        ex.getResponseHeaders().set("Content-Type", type);
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(200, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static boolean notModified(HttpExchange ex, String tag) throws IOException {
        if (tag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
            ex.getResponseHeaders().set("ETag", tag);
            ex.sendResponseHeaders(304, -1);
            return true;
        }
        return false;
    }

    private static void redirect(HttpExchange ex, String location) throws IOException {
        ex.getResponseHeaders().set("Location", location);
        ex.sendResponseHeaders(303, -1);
    }

    private static void text(HttpExchange ex, int status, String message) throws IOException {
        byte[] body = message.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        boolean head = ex.getRequestMethod().equals("HEAD");
        ex.sendResponseHeaders(status, head ? -1 : body.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static String type(String name) {
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        return TYPES.getOrDefault(ext, "application/octet-stream");
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
