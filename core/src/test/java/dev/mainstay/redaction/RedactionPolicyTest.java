package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import dev.mainstay.Json;
import dev.mainstay.config.YamlDocument;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RedactionPolicyTest {
    private static final String KNOWN_CATEGORIES = "secret, card, iban, ssn, ip, email, phone";

    private static RedactionPolicy redact(String yaml) {
        YamlDocument doc = YamlDocument.parse(yaml, "leads/classify.yaml");
        return RedactionPolicy.parse(doc.node("/redact"), "/redact", doc::error);
    }

    private static ProviderDataPolicy data(String yaml) {
        YamlDocument doc = YamlDocument.parse(yaml, "mainstay.yaml");
        return ProviderDataPolicy.parse(doc.node("/providers/openai/data"), "/providers/openai/data", doc::error);
    }

    @Test
    void aRedactBlockNamesAModePerCategoryAndLeavesTheOthersAllowed() {
        RedactionPolicy p = redact("""
                workflow: leads/classify
                redact: { email: tokenize, phone: tokenize, card: tokenize, secret: block }
                """);
        assertThat(p.mode(Category.EMAIL)).isEqualTo(Mode.TOKENIZE);
        assertThat(p.mode(Category.PHONE)).isEqualTo(Mode.TOKENIZE);
        assertThat(p.mode(Category.CARD)).isEqualTo(Mode.TOKENIZE);
        assertThat(p.mode(Category.SECRET)).isEqualTo(Mode.BLOCK);
        assertThat(p.categories(Mode.ALLOW)).containsExactly(Category.IBAN, Category.SSN, Category.IP);
        assertThat(p.toString()).isEqualTo("RedactionPolicy[secret=block, card=tokenize, email=tokenize, phone=tokenize, others allow]");
    }

    @Test
    void defaultSetsTheModeOfEveryCategoryNotNamed() {
        RedactionPolicy p = redact("""
                redact:
                  ip: allow
                  default: mask
                  secret: block
                """);
        assertThat(p.modes()).isEqualTo(Map.of(
                Category.SECRET, Mode.BLOCK, Category.CARD, Mode.MASK, Category.IBAN, Mode.MASK, Category.SSN, Mode.MASK,
                Category.IP, Mode.ALLOW, Category.EMAIL, Mode.MASK, Category.PHONE, Mode.MASK));
    }

    @Test
    void aMissingOrNullBlockRedactsNothing() {
        assertThat(redact("workflow: x/y\n")).isEqualTo(RedactionPolicy.NONE);
        assertThat(redact("redact: null\n")).isEqualTo(RedactionPolicy.NONE);
        assertThat(RedactionPolicy.NONE.isNone()).isTrue();
        assertThat(RedactionPolicy.NONE.toString()).isEqualTo("RedactionPolicy[allow all]");
    }

    @Test
    void errorsNameFileLineAndField() {
        assertThatThrownBy(() -> redact("""
                workflow: leads/classify
                redact:
                  email: tokenize
                  emial: mask
                """))
                .isInstanceOf(ConfigException.class)
                .hasMessage("leads/classify.yaml:4: redact.emial: unknown category 'emial' (known: " + KNOWN_CATEGORIES + ", or default for the others, or kinds with mode)");
        assertThatThrownBy(() -> redact("redact:\n  email: hide\n"))
                .hasMessage("leads/classify.yaml:2: redact.email: unknown mode 'hide' (known: allow, mask, tokenize, block)");
        assertThatThrownBy(() -> redact("redact:\n  email: [mask]\n"))
                .hasMessage("leads/classify.yaml:2: redact.email: must be a mode (allow, mask, tokenize, block), got a list");
        assertThatThrownBy(() -> redact("redact: [email]\n"))
                .hasMessage("leads/classify.yaml:1: redact: must be a mapping, e.g. { kinds: [email, phone], mode: tokenize } or { email: tokenize, secret: block }, got a list");
        assertThatThrownBy(() -> redact("redact:\n  default: scramble\n"))
                .hasMessage("leads/classify.yaml:2: redact.default: unknown mode 'scramble' (known: allow, mask, tokenize, block)");
    }

    @Test
    void aMapOrATreeFromElsewhereParsesWithTheSourceNamedInErrors() {
        assertThat(RedactionPolicy.parse(Map.of("email", "mask", "ssn", "block"), "tenant policy"))
                .isEqualTo(RedactionPolicy.NONE.with(Category.EMAIL, Mode.MASK).with(Category.SSN, Mode.BLOCK));
        assertThat(RedactionPolicy.parse(Json.parse("{\"card\": \"tokenize\"}"), "tenant policy").mode(Category.CARD)).isEqualTo(Mode.TOKENIZE);
        assertThatThrownBy(() -> RedactionPolicy.parse(Map.of("passport", "mask"), "tenant policy"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("tenant policy: passport: unknown category 'passport' (known: " + KNOWN_CATEGORIES + ", or default for the others, or kinds with mode)");
        assertThatThrownBy(() -> RedactionPolicy.parse(Map.of("email", 3), "tenant policy"))
                .hasMessage("tenant policy: email: must be a mode (allow, mask, tokenize, block), got 3");
    }

    @Test
    void aProviderDataPolicyIsDenyAllPiiAllowAllOrAnAllowList() {
        assertThat(data("providers: { openai: { data: deny_all_pii } }")).isEqualTo(ProviderDataPolicy.DENY_ALL_PII);
        assertThat(data("providers: { openai: { data: allow_all } }")).isEqualTo(ProviderDataPolicy.UNRESTRICTED);
        assertThat(data("providers: { openai: { kind: openai } }")).isEqualTo(ProviderDataPolicy.UNRESTRICTED);
        assertThat(data("providers: { openai: { data: { allow: [email, ip] } } }").allowed()).containsExactly(Category.IP, Category.EMAIL);
        assertThat(data("providers: { openai: { data: { allow: email } } }").allowed()).containsExactly(Category.EMAIL);
        assertThat(data("providers: { openai: { data: { allow: [] } } }")).isEqualTo(ProviderDataPolicy.DENY_ALL_PII);
        assertThat(ProviderDataPolicy.parse(Map.of("allow", List.of("card")), "provider local").allowed()).containsExactly(Category.CARD);
        assertThat(ProviderDataPolicy.allowing(Category.EMAIL, Category.IP).toString()).isEqualTo("ProviderDataPolicy[allow=ip, email]");
        assertThat(ProviderDataPolicy.DENY_ALL_PII.toString()).isEqualTo("ProviderDataPolicy[deny_all_pii]");
    }

    @Test
    void providerDataPolicyErrorsNameFileLineAndField() {
        assertThatThrownBy(() -> data("providers:\n  openai:\n    data: deny_all\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessage("mainstay.yaml:3: providers.openai.data: must be deny_all_pii, allow_all or { allow: [categories] }, got the string 'deny_all'");
        assertThatThrownBy(() -> data("providers:\n  openai:\n    data:\n      allow: [email, passport]\n"))
                .hasMessage("mainstay.yaml:4: providers.openai.data.allow[1]: unknown category 'passport' (known: " + KNOWN_CATEGORIES + ")");
        assertThatThrownBy(() -> data("providers:\n  openai:\n    data:\n      deny: [email]\n"))
                .hasMessage("mainstay.yaml:4: providers.openai.data.deny: unknown field (allowed here: allow)");
        assertThatThrownBy(() -> data("providers:\n  openai:\n    data:\n      allow: { email: true }\n"))
                .hasMessage("mainstay.yaml:4: providers.openai.data.allow: must be a list of categories, got a mapping");
        assertThatThrownBy(() -> data("providers:\n  openai:\n    data: {}\n"))
                .hasMessage("mainstay.yaml:3: providers.openai.data.allow: is required: the categories this provider may receive in the clear, e.g. [email]; [] for none");
        assertThatThrownBy(() -> ProviderDataPolicy.parse(Map.of("allow", List.of(1)), "provider local"))
                .hasMessage("provider local: allow[0]: must be a category (" + KNOWN_CATEGORIES + "), got 1");
    }

    @Test
    void aProviderPolicyTokenizesWhatTheWorkflowAllowsButTheProviderMayNotReceive() {
        RedactionPolicy workflow = RedactionPolicy.NONE.with(Category.EMAIL, Mode.MASK).with(Category.SECRET, Mode.BLOCK).with(Category.CARD, Mode.TOKENIZE);
        RedactionPolicy forOpenAi = workflow.forProvider(ProviderDataPolicy.allowing(Category.IP, Category.EMAIL));
        assertThat(forOpenAi.mode(Category.EMAIL)).as("never loosened").isEqualTo(Mode.MASK);
        assertThat(forOpenAi.mode(Category.SECRET)).isEqualTo(Mode.BLOCK);
        assertThat(forOpenAi.mode(Category.CARD)).isEqualTo(Mode.TOKENIZE);
        assertThat(forOpenAi.mode(Category.IP)).isEqualTo(Mode.ALLOW);
        assertThat(forOpenAi.categories(Mode.TOKENIZE)).containsExactlyInAnyOrderElementsOf(EnumSet.of(Category.CARD, Category.IBAN, Category.SSN, Category.PHONE));
        assertThat(workflow.forProvider(ProviderDataPolicy.UNRESTRICTED)).isEqualTo(workflow);
        assertThat(RedactionPolicy.NONE.forProvider(ProviderDataPolicy.DENY_ALL_PII)).isEqualTo(RedactionPolicy.all(Mode.TOKENIZE));

        Redaction<String> r = Redactor.of(RedactionPolicy.NONE.forProvider(ProviderDataPolicy.allowing(Category.IP)))
                .redact("alice@example.com from 10.0.0.1");
        assertThat(r.value()).isEqualTo("[[EMAIL_1]] from 10.0.0.1");
    }

    @Test
    void categoriesAndModesHaveStableWireNames() {
        assertThat(List.of(Category.values()).stream().map(Category::wire)).containsExactly("secret", "card", "iban", "ssn", "ip", "email", "phone");
        assertThat(List.of(Mode.values()).stream().map(Mode::wire)).containsExactly("allow", "mask", "tokenize", "block");
        assertThat(Category.fromWire("email")).contains(Category.EMAIL);
        assertThat(Category.fromWire("EMAIL")).isEmpty();
        assertThat(Mode.fromWire("block")).contains(Mode.BLOCK);
    }

    @Test
    void kindsAndModeGiveEveryListedCategoryThatModeAndMixWithNamedCategories() {
        RedactionPolicy p = redact("""
                redact: { kinds: [email, phone, card], mode: tokenize, secret: block }
                """);
        assertThat(p.categories(Mode.TOKENIZE)).containsExactly(Category.CARD, Category.EMAIL, Category.PHONE);
        assertThat(p.mode(Category.SECRET)).isEqualTo(Mode.BLOCK);
        assertThat(p.categories(Mode.ALLOW)).containsExactly(Category.IBAN, Category.SSN, Category.IP);
    }

    @Test
    void aStageBlockOverTheWorkflowsChangesOnlyWhatItNames() {
        RedactionPolicy workflow = redact("redact: { kinds: [email, phone], mode: tokenize, secret: block }\n");
        YamlDocument doc = YamlDocument.parse("redact: { email: mask }\n", "w.yaml");
        RedactionPolicy stage = RedactionPolicy.parse(doc.node("/redact"), "/redact", doc::error, workflow);
        assertThat(stage.mode(Category.EMAIL)).isEqualTo(Mode.MASK);
        assertThat(stage.mode(Category.PHONE)).isEqualTo(Mode.TOKENIZE);
        assertThat(stage.mode(Category.SECRET)).isEqualTo(Mode.BLOCK);
        assertThat(RedactionPolicy.parse(doc.node("/missing"), "/missing", doc::error, workflow)).isEqualTo(workflow);
        YamlDocument all = YamlDocument.parse("redact: { default: allow }\n", "w.yaml");
        assertThat(RedactionPolicy.parse(all.node("/redact"), "/redact", all::error, workflow).isNone()).isTrue();
    }

    @Test
    void kindsWithoutModeAModeWithoutKindsAndACategoryNamedTwiceAreRefusedNamingTheField() {
        assertThatThrownBy(() -> redact("redact: { kinds: [email] }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redact.mode").hasMessageContaining("is required with kinds");
        assertThatThrownBy(() -> redact("redact: { mode: mask }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redact.kinds").hasMessageContaining("default: <mode>");
        assertThatThrownBy(() -> redact("redact: { kinds: [email, passport], mode: mask }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redact.kinds[1]").hasMessageContaining("unknown category 'passport'");
        assertThatThrownBy(() -> redact("redact: { kinds: email, mode: mask }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redact.kinds").hasMessageContaining("must be a list");
        assertThatThrownBy(() -> redact("redact: { kinds: [email], mode: mask, email: block }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("redact.email").hasMessageContaining("name it once");
        assertThatThrownBy(() -> redact("redact: { kinds: [email], mode: erase }\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown mode 'erase'");
    }

    @Test
    void anEgressRecordSplitsCountsByModeAndSurvivesItsJsonForm() {
        RedactionPolicy p = redact("redact: { email: tokenize, phone: mask, ip: allow, default: tokenize }\n");
        Egress e = Egress.of(p, new Report(Map.of(Category.EMAIL, 2, Category.PHONE, 1)));
        assertThat(e.tokenized()).isEqualTo(new Report(Map.of(Category.EMAIL, 2)));
        assertThat(e.masked()).isEqualTo(new Report(Map.of(Category.PHONE, 1)));
        assertThat(e.notRedacted()).containsExactly(Category.IP);
        assertThat(Json.write(e.toJson())).isEqualTo("{\"mask\":{\"phone\":1},\"tokenize\":{\"email\":2},\"block\":{},\"not_redacted\":[\"ip\"]}");
        assertThat(Egress.fromJson(e.toJson())).isEqualTo(e);
        assertThat(e.plus(e).tokenized().count(Category.EMAIL)).isEqualTo(4);
        Egress refused = Egress.of(p.with(Category.SECRET, Mode.BLOCK), new Report(Map.of(Category.SECRET, 1, Category.EMAIL, 1)));
        assertThat(refused.blocked()).isEqualTo(new Report(Map.of(Category.SECRET, 1)));
        assertThat(refused.tokenized().isEmpty()).isTrue();
    }

    @Test
    void secretsAreScrubbedFromTextThatIsLoggedOrStoredAsAnError() {
        assertThat(Redactor.scrubSecrets("401: Incorrect API key provided: sk-proj-abcDEF1234567890ghijKLMNopqr; mail bob@example.com"))
                .isEqualTo("401: Incorrect API key provided: [SECRET]; mail bob@example.com");
        assertThat(Redactor.scrubSecrets(null)).isNull();
    }
}
