package dev.mainstay.server.functional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.server.ServerConfig;
import dev.mainstay.server.testing.Accounts;
import dev.mainstay.server.testing.TestNode;
import dev.mainstay.testkit.FakeProvider;
import dev.mainstay.testkit.FaultScript;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code limits.defaults}: the limits a new account starts with, written as its own when it is
 * created, audited, and untouched by a later change of the setting. Without it, a new account has
 * no limits at all.
 */
class NewAccountLimitsTest {
    @TempDir
    Path dir;

    @Test
    void withoutDefaultsANewAccountHasNoLimitsAtAll() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none());
             TestNode node = TestNode.start(dir, fake)) {
            JsonNode created = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Acme\"}").json();
            JsonNode limits = node.http.get("/v1/admin/accounts/" + created.path("account").path("id").asString() + "/limits", TestNode.ADMIN_KEY).json();
            for (String field : new String[] {"requests_per_minute", "tokens_per_day", "cost_per_month_usd", "max_concurrent_jobs"}) {
                assertThat(limits.path("limits").path(field).isNull()).as(field).isTrue();
                assertThat(limits.path("effective").path(field).isNull()).as(field).isTrue();
            }
        }
    }

    @Test
    void newAccountsStartWithTheConfiguredDefaultsAndKeepThemWhenTheSettingChanges() throws Exception {
        try (FakeProvider fake = FakeProvider.start(FaultScript.none())) {
            String first;
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).limits("defaults: { requests_per_minute: 60, cost_per_month_usd: \"5.00\" }").start()) {
                JsonNode created = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Acme\"}").json();
                first = created.path("account").path("id").asString();
                assertThat(created.path("account").path("limits").path("cost_per_month_usd").asString()).isEqualTo("5.000000");
                JsonNode limits = limits(node, first);
                // Set on the account itself, not filled in from a fallback.
                assertThat(limits.path("limits").path("requests_per_minute").asLong()).isEqualTo(60);
                assertThat(limits.path("limits").path("cost_per_month_usd").asString()).isEqualTo("5.000000");
                assertThat(limits.path("limits").path("tokens_per_day").isNull()).isTrue();
                // The demo account, made at this first start, is a new account too.
                assertThat(limits(node, "acct_demo").path("limits").path("requests_per_minute").asLong()).isEqualTo(60);

                JsonNode audit = node.http.get("/v1/admin/audit?action=limits.changed&actor=system:limits.defaults", TestNode.ADMIN_KEY).json();
                assertThat(audit.path("records").findValuesAsString("subject")).contains(first, "acct_demo");
                // The account's own key is held to them at once.
                String key = created.path("api_key").path("secret").asString();
                JsonNode usage = node.http.get("/v1/usage", key).json();
                assertThat(usage.path("budgets").get(0).path("max").asString()).isEqualTo("5.000000");
            }

            // The same data directory, started again with another setting.
            try (TestNode node = TestNode.in(dir).provider(fake.baseUrl()).limits("defaults: { requests_per_minute: 10 }").start()) {
                String second = node.http.post("/v1/admin/accounts", TestNode.ADMIN_KEY, "{\"name\": \"Beta\"}").json().path("account").path("id").asString();
                assertThat(limits(node, second).path("limits").path("requests_per_minute").asLong()).isEqualTo(10);
                assertThat(limits(node, second).path("limits").path("cost_per_month_usd").isNull()).isTrue();
                // Accounts made earlier keep what they started with; operators change them one by one.
                assertThat(limits(node, first).path("limits").path("requests_per_minute").asLong()).isEqualTo(60);
                assertThat(limits(node, "acct_demo").path("limits").path("requests_per_minute").asLong()).isEqualTo(60);
            }
        }
    }

    @Test
    void aBadDefaultStopsTheStartNamingTheField() throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, """
                limits:
                  defaults: { cost_per_month_usd: 5 }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.defaults.cost_per_month_usd").hasMessageContaining("decimal string");
        Files.writeString(file, """
                limits:
                  defaults: { requests_per_month: 5 }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("limits.defaults.requests_per_month").hasMessageContaining("unknown limit");
    }

    private static JsonNode limits(TestNode node, String account) {
        return node.http.get("/v1/admin/accounts/" + account + "/limits", TestNode.ADMIN_KEY).json();
    }
}
