package dev.mainstay.server.console;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The files the console's pages load from {@code /console/assets/}: its own stylesheet and script,
 * and htmx with its SSE extension from their WebJars, at the versions the build pins. Nothing comes
 * from another origin.
 */
final class Assets {
    private record Asset(String resource, String contentType) {
    }

    private static final Map<String, Asset> FILES = Map.of(
            "console.css", new Asset("/dev/mainstay/server/console/assets/console.css", "text/css; charset=utf-8"),
            "console.js", new Asset("/dev/mainstay/server/console/assets/console.js", "text/javascript; charset=utf-8"),
            "htmx.min.js", new Asset(webjar("htmx.org") + "dist/htmx.min.js", "text/javascript; charset=utf-8"),
            "sse.js", new Asset(webjar("htmx-ext-sse") + "sse.js", "text/javascript; charset=utf-8"));
    private static final Map<String, byte[]> LOADED = new ConcurrentHashMap<>();

    private Assets() {
    }

    static void serve(String name, ServerResponse res) {
        Asset a = FILES.get(name);
        res.header("X-Content-Type-Options", "nosniff");
        if (a == null) {
            res.status(Status.NOT_FOUND_404);
            res.header(HeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
            res.send("no console asset named " + name);
            return;
        }
        byte[] bytes = LOADED.computeIfAbsent(name, n -> read(a.resource()));
        res.header(HeaderNames.CONTENT_TYPE, a.contentType());
        res.header(HeaderNames.CACHE_CONTROL, "public, max-age=3600");
        res.send(bytes);
    }

    /** Every asset's name, for the tests. */
    static Optional<byte[]> bytes(String name) {
        return Optional.ofNullable(FILES.get(name)).map(a -> LOADED.computeIfAbsent(name, n -> read(a.resource())));
    }

    private static byte[] read(String resource) {
        try (InputStream in = Assets.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path. Indicates a bug in the build.");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the WebJar {@code artifact} keeps its files, from its Maven properties. */
    private static String webjar(String artifact) {
        try (InputStream in = Assets.class.getResourceAsStream("/META-INF/maven/org.webjars.npm/" + artifact + "/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the " + artifact + " WebJar is not on the class path. Indicates a bug in the build.");
            }
            Properties p = new Properties();
            p.load(in);
            return "/META-INF/resources/webjars/" + artifact + "/" + p.getProperty("version") + "/";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
