package dev.mainstay.server.openapi;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The API reference page at {@code /docs}: Swagger UI from its WebJar on the class path, served by
 * the node itself (no CDN), over {@code /v1/openapi.json}. Only the files listed here are served.
 */
public final class ReferencePage {
    /** One file of the page. */
    public record Asset(String contentType, byte[] bytes) {
    }

    /** The page may load its own scripts and styles and nothing else; Swagger UI sets inline styles. */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private static final String WEBJAR = "/META-INF/resources/webjars/swagger-ui/" + swaggerUiVersion() + "/";
    /** Name under {@code /docs/} → class path resource and content type, in the order the routes are registered. */
    private static final Map<String, String[]> FILES = new java.util.LinkedHashMap<>();

    static {
        FILES.put("", new String[] {"/dev/mainstay/server/openapi/docs.html", "text/html; charset=utf-8"});
        FILES.put("docs.css", new String[] {"/dev/mainstay/server/openapi/docs.css", "text/css; charset=utf-8"});
        FILES.put("docs.js", new String[] {"/dev/mainstay/server/openapi/docs.js", "text/javascript; charset=utf-8"});
        FILES.put("swagger-ui.css", new String[] {WEBJAR + "swagger-ui.css", "text/css; charset=utf-8"});
        FILES.put("swagger-ui-bundle.js", new String[] {WEBJAR + "swagger-ui-bundle.js", "text/javascript; charset=utf-8"});
    }

    private static final Map<String, Asset> LOADED = new ConcurrentHashMap<>();

    private ReferencePage() {
    }

    /** The names served under {@code /docs/} ({@code ""} is the page itself). */
    public static java.util.List<String> names() {
        return java.util.List.copyOf(FILES.keySet());
    }

    /** The file {@code name}, if the page has one by that name. */
    public static Optional<Asset> asset(String name) {
        String[] file = FILES.get(name);
        if (file == null) {
            return Optional.empty();
        }
        return Optional.of(LOADED.computeIfAbsent(name, n -> new Asset(file[1], read(file[0]))));
    }

    private static byte[] read(String resource) {
        try (InputStream in = ReferencePage.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException(resource + " is not on the class path: the swagger-ui WebJar is missing. Indicates a bug in the build.");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The WebJar's version, from its Maven properties on the class path. */
    private static String swaggerUiVersion() {
        try (InputStream in = ReferencePage.class.getResourceAsStream("/META-INF/maven/org.webjars/swagger-ui/pom.properties")) {
            if (in == null) {
                throw new IllegalStateException("the swagger-ui WebJar is not on the class path. Indicates a bug in the build.");
            }
            java.util.Properties p = new java.util.Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
