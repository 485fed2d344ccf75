package dev.mainstay.server.console;

import com.samskivert.mustache.Mustache;
import com.samskivert.mustache.Template;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The console's Mustache templates, read from the jar once and kept compiled. A page is its
 * template rendered into {@code layout}; a fragment (what the live stream sends) is rendered
 * alone. Values are HTML-escaped unless a template says otherwise; missing values render empty.
 */
final class Templates {
    private static final String ROOT = "/dev/mainstay/server/console/templates/";

    private final Mustache.Compiler compiler = Mustache.compiler().defaultValue("").emptyStringIsFalse(true).withLoader(name -> reader(name));
    private final Map<String, Template> compiled = new ConcurrentHashMap<>();

    /** The page {@code name} inside the layout. */
    String page(String name, Map<String, Object> model) {
        Map<String, Object> all = new LinkedHashMap<>(model);
        all.put("body", fragment(name, model));
        return fragment("layout", all);
    }

    /** The template {@code name} alone. */
    String fragment(String name, Map<String, Object> model) {
        return compiled.computeIfAbsent(name, n -> {
            try (Reader r = reader(n)) {
                return compiler.compile(r);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }).execute(model);
    }

    private static Reader reader(String name) {
        InputStream in = Templates.class.getResourceAsStream(ROOT + name + ".mustache");
        if (in == null) {
            throw new IllegalStateException("the console template " + name + " is not in the jar. Indicates a bug in the build.");
        }
        return new InputStreamReader(in, StandardCharsets.UTF_8);
    }
}
