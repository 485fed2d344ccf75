package dev.mainstay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** JSON pointers (RFC 6901) are built and read in one place, {@link Json#pointer} and {@link Json#tokens}. */
class JsonPointerTest {
    @Test
    void aMemberNameWithSlashOrTildeIsEscaped() {
        assertThat(Json.pointer("/prices", "openai/gpt-4o")).isEqualTo("/prices/openai~1gpt-4o");
        assertThat(Json.pointer("", "a~b")).isEqualTo("/a~0b");
        assertThat(Json.pointer("/x/0", "~/")).isEqualTo("/x/0/~0~1");
        assertThat(Json.pointer("", "")).isEqualTo("/");
    }

    @Test
    void tokensAreUnescapedInOrder() {
        assertThat(Json.tokens("/prices/openai~1gpt-4o/0")).containsExactly("prices", "openai/gpt-4o", "0");
        assertThat(Json.tokens("/a~01/b~10")).containsExactly("a~1", "b/0");
        assertThat(Json.tokens("")).isEmpty();
    }

    @Test
    void aPointerReadsBackAsTheNamesItWasBuiltFrom() {
        List<String> names = List.of("routes", "a/b~c", "~1", "plain");
        String pointer = "";
        for (String n : names) {
            pointer = Json.pointer(pointer, n);
        }
        assertThat(Json.tokens(pointer)).isEqualTo(names);
        var root = Json.object();
        root.putObject("routes").putObject("a/b~c").putObject("~1").put("plain", 7);
        assertThat(root.at(pointer).asInt()).as("the document member %s names", pointer).isEqualTo(7);
    }
}
