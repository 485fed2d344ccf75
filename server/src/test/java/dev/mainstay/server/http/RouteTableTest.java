package dev.mainstay.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.helidon.common.uri.UriPath;
import io.helidon.webserver.http.Handler;
import io.helidon.webserver.http.HttpService;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The route table: what resources register is what it holds, matched as Helidon matches it. */
class RouteTableTest {
    private static final Handler NOTHING = (req, res) -> res.send();

    private static final HttpService THINGS = rules -> rules
            .get("/v1/things", NOTHING)
            .post("/v1/things", NOTHING)
            .get("/v1/things/{id}", NOTHING)
            .delete("/v1/things/{id}/parts/{part}", NOTHING);

    @Test
    void holdsWhatTheResourcesRegisterInTheirOrder() {
        RouteTable table = RouteTable.of(List.of(THINGS, rules -> rules.put("/v1/other", NOTHING)));
        assertThat(table.routes()).containsExactly(new Route("GET", "/v1/things"), new Route("POST", "/v1/things"),
                new Route("GET", "/v1/things/{id}"), new Route("DELETE", "/v1/things/{id}/parts/{part}"), new Route("PUT", "/v1/other"));
        assertThat(table.routes().get(2)).hasToString("GET /v1/things/{id}");
    }

    @Test
    void findsTheRouteOfARequestAsSent() {
        RouteTable table = RouteTable.of(List.of(THINGS));
        assertThat(table.find("GET", "/v1/things/thing_01abc")).contains(new Route("GET", "/v1/things/{id}"));
        assertThat(table.find("DELETE", "/v1/things/t1/parts/p_2")).contains(new Route("DELETE", "/v1/things/{id}/parts/{part}"));
        assertThat(table.find("POST", "/v1/things/thing_01abc")).isEmpty();
        assertThat(table.find("GET", "/v1/things/thing_01abc/more")).isEmpty();
        assertThat(table.find("GET", "/v1/thingsx")).isEmpty();
    }

    @Test
    void aPathParameterIsAnIdOfAtMost80LettersDigitsAndUnderscores() {
        RouteTable table = RouteTable.of(List.of(THINGS));
        assertThat(table.find("GET", "/v1/things/" + "a".repeat(80))).isPresent();
        assertThat(table.find("GET", "/v1/things/" + "a".repeat(81))).isEmpty();
        assertThat(table.find("GET", "/v1/things/a-b")).isEmpty();
        assertThat(table.find("GET", "/v1/things/a.b")).isEmpty();
        assertThat(table.find("GET", "/v1/things/a%20b")).isEmpty();
        assertThat(table.find("GET", "/v1/things/job%5F1")).as("decoded before matching, as Helidon does").isPresent();
    }

    @Test
    void theMethodsOfAPathAreWhatItsAllowHeaderLists() {
        RouteTable table = RouteTable.of(List.of(THINGS));
        assertThat(table.methods(UriPath.create("/v1/things"))).containsExactly("GET", "POST");
        assertThat(table.methods(UriPath.create("/v1/things/x1"))).containsExactly("GET");
        assertThat(table.methods(UriPath.create("/v1/nothing"))).isEmpty();
    }

    @Test
    void aRouteTheTableCouldNotNameIsRefused() {
        assertThatThrownBy(() -> RouteTable.of(List.of(rules -> rules.any(NOTHING)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Indicates a bug");
        assertThatThrownBy(() -> RouteTable.of(List.of(rules -> rules.register("/v1/prefix", THINGS)))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("/v1/prefix");
        assertThatThrownBy(() -> RouteTable.of(List.of(rules -> rules.get("relative", NOTHING)))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> RouteTable.of(List.of(THINGS, THINGS))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("GET /v1/things is registered twice");
    }
}
