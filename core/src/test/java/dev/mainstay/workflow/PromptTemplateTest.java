package dev.mainstay.workflow;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mainstay.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** What a prompt renders from a job's input and earlier stages' outputs, value kind by value kind. */
class PromptTemplateTest {
    private static String render(String source, String input, Map<String, JsonNode> stages) {
        return PromptTemplate.compile("p.mustache", source).render(Json.parse(input), stages);
    }

    @Test
    void rendersEveryScalarKindAsItsJsonText() {
        String out = render("{{input.s}}|{{input.i}}|{{input.l}}|{{input.d}}|{{input.b}}|{{input.n}}|{{input.missing}}|{{input.big}}",
                "{\"s\":\"a <b> & c\",\"i\":5,\"l\":10000000000,\"d\":0.5,\"b\":true,\"n\":null,\"big\":123456789012345678901234567890}", Map.of());
        assertThat(out).isEqualTo("a <b> & c|5|10000000000|0.5|true|||123456789012345678901234567890");
    }

    @Test
    void sectionsFollowBooleansListsAndObjects() {
        String out = render("{{#input.b}}yes{{/input.b}}{{^input.f}}no{{/input.f}}[{{#input.xs}}{{.}},{{/input.xs}}]{{#input.o}}{{k}}{{/input.o}}",
                "{\"b\":true,\"f\":false,\"xs\":[1,\"two\",3.5],\"o\":{\"k\":\"v\"}}", Map.of());
        assertThat(out).isEqualTo("yesno[1,two,3.5,]v");
    }

    @Test
    void earlierStagesOutputsAreReadByStageId() {
        Map<String, JsonNode> stages = new LinkedHashMap<>();
        stages.put("extract", Json.parse("{\"points\":[\"a\",\"b\"],\"count\":2}"));
        stages.put("skipped", null);
        String out = render("{{#stages.extract.points}}-{{.}}{{/stages.extract.points}} {{stages.extract.count}} [{{stages.skipped.x}}] [{{stages.none.x}}]",
                "{}", stages);
        assertThat(out).isEqualTo("-a-b 2 [] []");
    }
}
