package dev.mainstay.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mainstay.ConfigException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignaturesTest {
    // The example of the Standard Webhooks specification and its reference libraries' tests.
    private static final SigningSecret SPEC_SECRET = SigningSecret.parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long SPEC_TS = 1614265330;
    private static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    @Test
    void signsAsTheSpecificationsExample() {
        assertThat(Signatures.sign(SPEC_SECRET, SPEC_ID, SPEC_TS, SPEC_BODY)).isEqualTo(SPEC_SIGNATURE);
    }

    @Test
    void verifiesWithinTheWindowAndRefusesOutsideIt() {
        Instant at = Instant.ofEpochSecond(SPEC_TS);
        List<SigningSecret> secrets = List.of(SPEC_SECRET);
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, SPEC_SIGNATURE, SPEC_BODY, at.plusSeconds(299), Duration.ofMinutes(5))).isNull();
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, SPEC_SIGNATURE, SPEC_BODY, at.plusSeconds(301), Duration.ofMinutes(5)))
                .isEqualTo(Signatures.Refusal.OUTSIDE_WINDOW);
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, SPEC_SIGNATURE, SPEC_BODY, at.minusSeconds(301), Duration.ofMinutes(5)))
                .isEqualTo(Signatures.Refusal.OUTSIDE_WINDOW);
    }

    @Test
    void refusesAChangedBodyIdOrTimestamp() {
        Instant at = Instant.ofEpochSecond(SPEC_TS);
        List<SigningSecret> secrets = List.of(SPEC_SECRET);
        Duration window = Signatures.DEFAULT_TOLERANCE;
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, SPEC_SIGNATURE, "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8), at, window))
                .isEqualTo(Signatures.Refusal.NO_MATCH);
        assertThat(Signatures.verify(secrets, SPEC_ID + "x", "" + SPEC_TS, SPEC_SIGNATURE, SPEC_BODY, at, window)).isEqualTo(Signatures.Refusal.NO_MATCH);
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + (SPEC_TS + 1), SPEC_SIGNATURE, SPEC_BODY, at, window)).isEqualTo(Signatures.Refusal.NO_MATCH);
        assertThat(Signatures.verify(secrets, SPEC_ID, "soon", SPEC_SIGNATURE, SPEC_BODY, at, window)).isEqualTo(Signatures.Refusal.BAD_TIMESTAMP);
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, "", SPEC_BODY, at, window)).isEqualTo(Signatures.Refusal.MISSING_HEADERS);
        assertThat(Signatures.verify(secrets, SPEC_ID, "" + SPEC_TS, "v2," + SPEC_SIGNATURE.substring(3), SPEC_BODY, at, window))
                .isEqualTo(Signatures.Refusal.NO_MATCH);
    }

    @Test
    void aRotationHeaderCarriesBothSignaturesAndEitherSecretVerifies() {
        SigningSecret next = SigningSecret.generate();
        String header = Signatures.header(List.of(next, SPEC_SECRET), SPEC_ID, SPEC_TS, SPEC_BODY);
        assertThat(header.split(" ")).hasSize(2).contains(SPEC_SIGNATURE);
        Instant at = Instant.ofEpochSecond(SPEC_TS);
        assertThat(Signatures.verify(List.of(next), SPEC_ID, "" + SPEC_TS, header, SPEC_BODY, at, Signatures.DEFAULT_TOLERANCE)).isNull();
        assertThat(Signatures.verify(List.of(SPEC_SECRET), SPEC_ID, "" + SPEC_TS, header, SPEC_BODY, at, Signatures.DEFAULT_TOLERANCE)).isNull();
        assertThat(Signatures.verify(List.of(SigningSecret.generate()), SPEC_ID, "" + SPEC_TS, header, SPEC_BODY, at, Signatures.DEFAULT_TOLERANCE))
                .isEqualTo(Signatures.Refusal.NO_MATCH);
    }

    @Test
    void secretsRoundTripAndNeverPrint() {
        SigningSecret s = SigningSecret.generate();
        assertThat(s.reveal()).startsWith("whsec_");
        assertThat(SigningSecret.parse(s.reveal())).isEqualTo(s);
        assertThat(s.toString()).doesNotContain(s.reveal().substring(6));
        assertThatThrownBy(() -> SigningSecret.parse("whsec_not base64!")).isInstanceOf(ConfigException.class).hasMessageNotContaining("not base64!");
        assertThatThrownBy(() -> SigningSecret.parse("whsec_AAAA")).isInstanceOf(ConfigException.class).hasMessageContaining("holds 3");
    }
}
