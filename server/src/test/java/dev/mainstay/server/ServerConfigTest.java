package dev.mainstay.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.provider.Target;
import dev.mainstay.providers.anthropic.AnthropicMessagesProvider;
import dev.mainstay.providers.openai.OpenAiChatProvider;
import dev.mainstay.server.http.Hardening;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration: defaults, environment, file, and errors that name the file and field. */
class ServerConfigTest {
    @TempDir
    Path dir;

    @Test
    void withNothingConfiguredEveryRouteUsesTheDemoModel() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of());
        assertThat(c.demoOnly()).isTrue();
        assertThat(c.port()).isEqualTo(8080);
        assertThat(c.host()).isEqualTo("127.0.0.1");
        assertThat(c.dataDir()).isEqualTo(Path.of("var"));
        assertThat(c.routes().get("primary")).containsExactly(new Target("demo", "mainstay-demo-1"));
    }

    @Test
    void hardeningLimitsHaveDefaultsAndAreReadFromTheServerSection(@TempDir Path dir) throws Exception {
        assertThat(ServerConfig.load(Optional.empty(), Map.of()).hardening()).isEqualTo(Hardening.DEFAULT);
        Path file = dir.resolve("mainstay.yaml");
        java.nio.file.Files.writeString(file, """
                server:
                  max_string_length: 2048
                  max_header_bytes: 8192
                  read_timeout: 5s
                  idle_timeout: 30s
                  auth_failures: { max: 5, window: 10m }
                """);
        assertThat(ServerConfig.load(Optional.of(file), Map.of()).hardening()).isEqualTo(new Hardening(2048, 8192,
                java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(30), 5, java.time.Duration.ofMinutes(10)));
        java.nio.file.Files.writeString(file, "server:\n  auth_failures: { max: 5, per: 1m }\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).hasMessageContaining("server.auth_failures.per").hasMessageContaining("unknown field");
        java.nio.file.Files.writeString(file, "server:\n  read_timeout: 10ms\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).hasMessageContaining("server.read_timeout: must be at least 1s");
    }

    @Test
    void openAiKeyMakesOpenAiThePrimaryRoute() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "sk-test", "OPENAI_BASE_URL", "http://127.0.0.1:11434/v1",
                "OPENAI_MODEL", "llama3.1", "MAINSTAY_PORT", "9000", "MAINSTAY_PRICES", "openai/llama3.1=0,0"));
        assertThat(c.demoOnly()).isFalse();
        assertThat(c.port()).isEqualTo(9000);
        assertThat(c.routes().get("primary")).containsExactly(new Target("openai", "llama3.1"));
        ProviderSpec.OpenAi spec = (ProviderSpec.OpenAi) c.providers().get("openai");
        assertThat(spec.config().baseUrl().toString()).isEqualTo("http://127.0.0.1:11434/v1");
        assertThat(spec.config().maxTokensField()).isEqualTo("max_tokens");
    }

    @Test
    void openAiProvidersAskForStrictSchemasAndTheirTokenFieldByHostUnlessTold() throws Exception {
        Path file = dir.resolve("strict.yaml");
        Files.writeString(file, """
                providers:
                  openai: { kind: openai, api_key: sk-test-0123456789 }
                  azure: { kind: openai, base_url: "https://my-resource.openai.azure.com/openai/v1", api_key: az-test-0123456789 }
                  local: { kind: openai, base_url: "http://127.0.0.1:11434/v1", strict_schema: false }
                  lookalike: { kind: openai, base_url: "https://notopenai.com/v1", max_tokens_field: max_completion_tokens }
                routes:
                  primary: [openai/gpt-4o-mini]
                  small: [openai/gpt-4o-mini]
                """);
        ServerConfig c = ServerConfig.load(Optional.of(file), Map.of());
        java.util.function.Function<String, OpenAiChatProvider.Config> config = name -> ((ProviderSpec.OpenAi) c.providers().get(name)).config();
        assertThat(config.apply("openai").maxTokensField()).isEqualTo("max_completion_tokens");
        assertThat(config.apply("openai").strictSchema()).isTrue();
        assertThat(config.apply("azure").maxTokensField()).isEqualTo("max_completion_tokens");
        assertThat(config.apply("azure").strictSchema()).isTrue();
        assertThat(config.apply("local").maxTokensField()).isEqualTo("max_tokens");
        assertThat(config.apply("local").strictSchema()).isFalse();
        assertThat(config.apply("lookalike").maxTokensField()).isEqualTo("max_completion_tokens");
        assertThat(OpenAiChatProvider.Config.maxTokensFieldFor(URI.create("https://notopenai.com/v1"))).isEqualTo("max_tokens");

        Files.writeString(file, """
                providers:
                  local: { kind: openai, base_url: "http://127.0.0.1:11434/v1", strict_schema: sometimes }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("strict.yaml:2")
                .hasMessageContaining("providers.local.strict_schema: must be true or false");
    }

    @Test
    void aRouteToAModelWithoutAPriceIsRefusedAtStart() {
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "sk-test", "OPENAI_MODEL", "llama3.1")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("routes.primary")
                .hasMessageContaining("openai/llama3.1 has no price")
                .hasMessageContaining("MAINSTAY_PRICES");
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "sk-test", "OPENAI_MODEL", "llama3.1", "MAINSTAY_PRICES", "llama=free")))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("MAINSTAY_PRICES: 'llama=free'");
    }

    @Test
    void accountLimitDefaultsAndCachedPricesAreRead(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, """
                providers:
                  local: { kind: openai, base_url: "http://127.0.0.1:11434/v1" }
                routes:
                  primary: [local/qwen2.5]
                prices:
                  local/qwen2.5: { input: "0.20", cached_input: "0.05", output: "0.60" }
                limits:
                  accounts: { requests_per_minute: 120, cost_per_month_usd: "25.50" }
                  failure_cooldown: { failures: 5, duration: 2m }
                """);
        ServerConfig c = ServerConfig.load(Optional.of(file), Map.of());
        assertThat(c.prices().get("local/qwen2.5")).isEqualTo(new dev.mainstay.usage.PriceTable.Price(200_000, 50_000, 600_000));
        assertThat(c.defaultLimits()).isEqualTo(new dev.mainstay.limits.AccountLimits(120L, null, 25_500_000L, null));
        assertThat(c.cooldownFailures()).isEqualTo(5);
        assertThat(c.cooldown()).isEqualTo(Duration.ofMinutes(2));

        Files.writeString(file, """
                limits:
                  accounts: { cost_per_month_usd: 25.5 }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mainstay.yaml:2")
                .hasMessageContaining("limits.accounts.cost_per_month_usd");
    }

    @Test
    void anthropicKeyAloneMakesAnthropicThePrimaryAndSmallRoute() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of("ANTHROPIC_API_KEY", " sk-ant-test ", "ANTHROPIC_BASE_URL", "http://127.0.0.1:8091"));
        assertThat(c.demoOnly()).isFalse();
        assertThat(c.routes().get("primary")).containsExactly(new Target("anthropic", "claude-haiku-4-5"));
        assertThat(c.routes().get("small")).containsExactly(new Target("anthropic", "claude-haiku-4-5"));
        ProviderSpec.Anthropic spec = (ProviderSpec.Anthropic) c.providers().get("anthropic");
        assertThat(spec.config().baseUrl().toString()).isEqualTo("http://127.0.0.1:8091");
        assertThat(spec.config().apiKey()).isEqualTo("sk-ant-test");
        assertThat(ServerConfig.load(Optional.empty(), Map.of("ANTHROPIC_API_KEY", "k", "ANTHROPIC_MODEL", "claude-sonnet-4-5")).routes().get("primary"))
                .containsExactly(new Target("anthropic", "claude-sonnet-4-5"));
        assertThat(((ProviderSpec.Anthropic) ServerConfig.load(Optional.empty(), Map.of("ANTHROPIC_API_KEY", "k")).providers().get("anthropic"))
                .config().baseUrl().toString()).isEqualTo("https://api.anthropic.com");
    }

    @Test
    void withBothKeysOpenAiKeepsTheDefaultRoutesAndAnthropicIsStillConfigured() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of("OPENAI_API_KEY", "sk-test", "ANTHROPIC_API_KEY", "sk-ant-test"));
        assertThat(c.routes().get("primary")).containsExactly(new Target("openai", "gpt-4o-mini"));
        assertThat(c.providers()).containsKeys("openai", "anthropic", "demo");
    }

    @Test
    void fileConfiguresAnAnthropicProviderAndRejectsAVersionedBaseUrl() throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, """
                providers:
                  claude: { kind: anthropic, base_url: "http://127.0.0.1:8091", api_key_env: MY_CLAUDE_KEY, connect_timeout: 2s, concurrency: 8 }
                routes:
                  primary: [claude/claude-haiku-4-5]
                """);
        ServerConfig c = ServerConfig.load(Optional.of(file), Map.of("MY_CLAUDE_KEY", "sk-ant-file"));
        ProviderSpec.Anthropic spec = (ProviderSpec.Anthropic) c.providers().get("claude");
        assertThat(spec.config()).isEqualTo(new AnthropicMessagesProvider.Config("claude", URI.create("http://127.0.0.1:8091"), "sk-ant-file", Duration.ofSeconds(2)));
        assertThat(spec.concurrency()).isEqualTo(8);
        assertThat(c.routes().get("primary")).containsExactly(new Target("claude", "claude-haiku-4-5"));

        Files.writeString(file, """
                providers:
                  claude: { kind: anthropic, base_url: "https://api.anthropic.com/v1" }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mainstay.yaml:2")
                .hasMessageContaining("providers.claude.base_url")
                .hasMessageContaining("without /v1");
        Files.writeString(file, """
                providers:
                  claude: { kind: anthropic, max_tokens_field: max_tokens }
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).hasMessageContaining("max_tokens_field");
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("ANTHROPIC_API_KEY", "k", "ANTHROPIC_BASE_URL", "https://api.anthropic.com/v1")))
                .hasMessageContaining("ANTHROPIC_BASE_URL");
    }

    @Test
    void fileSetsProvidersRoutesAndPrices() throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, """
                server: { port: 7001 }
                providers:
                  local: { kind: openai, base_url: "http://127.0.0.1:8000/v1", concurrency: 4 }
                routes:
                  primary: [local/qwen2.5, demo/mainstay-demo-1]
                prices:
                  local/qwen2.5: { input: "0.01", output: "0.02" }
                engine: { lease: 10s, max_backlog: 500 }
                """);
        ServerConfig c = ServerConfig.load(Optional.of(file), Map.of());
        assertThat(c.port()).isEqualTo(7001);
        assertThat(c.routes().get("primary")).containsExactly(new Target("local", "qwen2.5"), new Target("demo", "mainstay-demo-1"));
        assertThat(c.providers().get("local").concurrency()).isEqualTo(4);
        assertThat(c.prices().get("local/qwen2.5").inputPerMillion()).isEqualTo(10_000);
        assertThat(c.maxBacklog()).isEqualTo(500);
    }

    @Test
    void errorsNameTheFileLineAndField() throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                providers:
                  local: { kind: openai, base_url: "http://127.0.0.1:8000/v1" }
                routes:
                  primary: [local/qwen2.5, nowhere/x]
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("bad.yaml:4")
                .hasMessageContaining("routes.primary[1]")
                .hasMessageContaining("unknown provider 'nowhere'");
        for (List<String> broken : List.of(
                List.of("servr: { port: 1 }", "servr: unknown field"),
                List.of("server: { port: 99999 }", "server.port: must be between 0 and 65535"),
                List.of("engine: { lease: soon }", "engine.lease: must be a duration"),
                List.of("storage: { sqlite: { synchronous: off } }", "storage.sqlite.synchronous: must be full or normal"),
                List.of("providers: { local: { kind: openai, base_url: 'http://127.0.0.1:8000/v1?key=x' } }", "providers.local.base_url: must not carry a query string"))) {
            Files.writeString(file, broken.get(0) + "\n");
            assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).hasMessageContaining("bad.yaml:1").hasMessageContaining(broken.get(1));
        }
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_PORT", "eighty")))
                .hasMessageContaining("MAINSTAY_PORT: must be a whole number");
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_ADMIN_KEY", "short")))
                .hasMessageContaining("MAINSTAY_ADMIN_KEY");
    }

    @Test
    void aDatabaseUrlSelectsPostgresqlWithItsUserPasswordAndPool() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of(
                "MAINSTAY_DB_URL", "postgresql://mainstay:s%40cret@db.internal:6432/jobs?sslmode=require", "MAINSTAY_DB_POOL_SIZE", "20"));
        Database.Postgres pg = (Database.Postgres) c.database();
        assertThat(pg.config().url()).isEqualTo("jdbc:postgresql://db.internal:6432/jobs?sslmode=require");
        assertThat(pg.config().user()).isEqualTo("mainstay");
        assertThat(pg.config().password()).isEqualTo("s@cret");
        assertThat(pg.config().poolSize()).isEqualTo(20);
        assertThat(pg.config().statementTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(pg.config().toString()).doesNotContain("s@cret");
    }

    @Test
    void withoutADatabaseUrlTheNodeKeepsItsSqliteFile() {
        ServerConfig c = ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_DATA_DIR", "data", "MAINSTAY_SQLITE_SYNCHRONOUS", "normal"));
        assertThat(c.database()).isEqualTo(new Database.Sqlite(Path.of("data", "mainstay.db"), dev.mainstay.store.sqlite.SqliteStore.Durability.NORMAL));
    }

    @Test
    void badDatabaseUrlsAreRefusedSayingWhatIsMissing() {
        for (Map.Entry<String, String> bad : Map.of(
                "mysql://root@localhost/mainstay", "must start with postgresql://",
                "postgresql://db.internal/mainstay", "needs a user",
                "postgresql://mainstay:hunter2@db.internal", "needs a database name",
                "postgresql://mainstay:hunter2@/mainstay", "needs a host").entrySet()) {
            assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_DB_URL", bad.getKey())))
                    .isInstanceOf(ConfigException.class)
                    .hasMessageStartingWith("MAINSTAY_DB_URL (or --db): " + bad.getValue())
                    .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
        }
        assertThatThrownBy(() -> ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_DB_URL", "postgresql://m@h/db", "MAINSTAY_DB_POOL_SIZE", "1")))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("MAINSTAY_DB_POOL_SIZE: must be a whole number between 2 and 1000");
    }

    @Test
    void theConfigurationFileSetsPostgresqlWithThePasswordFromTheEnvironment(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, """
                storage:
                  postgresql:
                    url: postgresql://mainstay@db.internal:5432/mainstay
                    password_env: PG_SECRET
                    pool_size: 16
                    statement_timeout: 5s
                    lock_timeout: 2s
                """);
        Database.Postgres pg = (Database.Postgres) ServerConfig.load(Optional.of(file), Map.of("PG_SECRET", "from-env")).database();
        assertThat(pg.config().password()).isEqualTo("from-env");
        assertThat(pg.config().poolSize()).isEqualTo(16);
        assertThat(pg.config().statementTimeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(pg.config().lockTimeout()).isEqualTo(Duration.ofSeconds(2));
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("storage.postgresql.password_env")
                .hasMessageContaining("PG_SECRET, which is not set");
        Files.writeString(file, """
                storage:
                  postgresql:
                    url: jdbc:postgresql://db.internal/mainstay
                """);
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("mainstay.yaml:3")
                .hasMessageContaining("must start with postgresql://");
    }

    @Test
    void workflowDirectoriesComeFromTheEnvironmentSeparatedByThePathSeparatorOrFromAList() throws Exception {
        assertThat(ServerConfig.load(Optional.empty(), Map.of()).workflowDirs()).containsExactly(Path.of("examples/workflows"));
        String sep = java.io.File.pathSeparator;
        assertThat(ServerConfig.load(Optional.empty(), Map.of("MAINSTAY_WORKFLOWS", "examples/workflows" + sep + "my/workflows" + sep)).workflowDirs())
                .containsExactly(Path.of("examples/workflows"), Path.of("my/workflows"));
        Path file = dir.resolve("mainstay.yaml");
        Files.writeString(file, "workflows: [examples/workflows, my/workflows, my/workflows]\n");
        assertThat(ServerConfig.load(Optional.of(file), Map.of()).workflowDirs()).containsExactly(Path.of("examples/workflows"), Path.of("my/workflows"));
        Files.writeString(file, "workflows: my/workflows\n");
        assertThat(ServerConfig.load(Optional.of(file), Map.of()).workflowDirs()).containsExactly(Path.of("my/workflows"));
        assertThat(ServerConfig.load(Optional.of(file), Map.of("MAINSTAY_WORKFLOWS", "a")).workflowDirs()).as("the environment wins").containsExactly(Path.of("a"));
        Files.writeString(file, "workflows: []\n");
        assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).hasMessageContaining("mainstay.yaml:1: workflows: names no directory");
    }

    @Test
    void aToolsHostNameIsNotResolvedWhenTheConfigurationLoadsButAnAddressWrittenInItIsJudged() throws Exception {
        Path file = dir.resolve("mainstay.yaml");
        // .invalid never resolves anywhere: loading must not depend on DNS (a build without network validates).
        Files.writeString(file, """
                tools:
                  crm:
                    base_url: https://crm.example.invalid/api
                """);
        assertThat(ServerConfig.load(Optional.of(file), Map.of()).tools().get("crm").baseUrl()).isEqualTo(URI.create("https://crm.example.invalid/api"));
        for (String url : List.of("http://10.1.2.3/api", "http://localhost:9000", "http://[::1]:9000")) {
            Files.writeString(file, "tools:\n  crm:\n    base_url: " + url + "\n");
            assertThatThrownBy(() -> ServerConfig.load(Optional.of(file), Map.of())).as(url)
                    .hasMessageContaining("mainstay.yaml:3: tools.crm.base_url: ")
                    .hasMessageContaining("allow_private: true");
        }
    }
}
