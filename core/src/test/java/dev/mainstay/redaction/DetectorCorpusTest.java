package dev.mainstay.redaction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Real-shaped samples per category: each valid one is found as exactly one value of its category
 * covering exactly the sample; each near miss (a failed checksum, an impossible range, a shape one
 * step off) is not found as that category; each negative (prose, dates, prices, order numbers,
 * ids) is not found at all. Samples are set in a sentence so that boundaries are tested too.
 */
class DetectorCorpusTest {
    private static final Redactor MASK_ALL = Redactor.of(RedactionPolicy.all(Mode.MASK));

    static Stream<Arguments> valid() {
        List<Arguments> out = new ArrayList<>();
        add(out, Category.EMAIL,
                "alice@example.com",
                "alice.smith+tag@example.co.uk",
                "first_last%x@sub.domain.org",
                "x@y.io",
                "UPPER.Case@Example.COM",
                "user-name@my-domain.travel",
                "12345@numbers.net",
                "a.b.c.d@mail.server.example.museum");
        add(out, Category.PHONE,
                "+44 20 7946 0958",
                "+1 (555) 123-4567",
                "+1-800-555-0199",
                "+4915112345678",
                "+33 6 12 34 56 78",
                "+91 98765 43210",
                "+81 3-1234-5678",
                "+44 (0)20 7946 0958",
                "+86 138 0013 8000",
                "+353 1 234 5678",
                "+1.555.123.4567",
                "(555) 123-4567",
                "555-123-4567",
                "555.123.4567",
                "555 123 4567",
                "1-800-555-0199",
                "1 (800) 555-0199",
                "020 7946 0958",
                "06 12 34 56 78",
                "030/1234567",
                "030 123456",
                "(02) 9876 5432",
                "0412 345 678",
                "07700 900123",
                "0151 12345678",
                "089-1234567");
        add(out, Category.CARD,
                "4111111111111111",
                "4111 1111 1111 1111",
                "4111-1111-1111-1111",
                "5500 0000 0000 0004",
                "5555555555554444",
                "2223003122003222",
                "378282246310005",
                "3782 822463 10005",
                "371449635398431",
                "6011111111111117",
                "6011 0009 9013 9424",
                "3530111333300000",
                "30569309025904",
                "36227206271667",
                "4222222222222",
                "4111111111119",
                "6250941006528599",
                "5105-1051-0510-5100",
                "6759649826438453",
                "6011000000000000001");
        add(out, Category.IBAN,
                "DE89 3704 0044 0532 0130 00",
                "DE89370400440532013000",
                "de89370400440532013000",
                "GB82 WEST 1234 5698 7654 32",
                "GB82WEST12345698765432",
                "FR14 2004 1010 0505 0001 3M02 606",
                "NL91ABNA0417164300",
                "BE68539007547034",
                "CH93 0076 2011 6238 5295 7",
                "NO9386011117947",
                "IT60X0542811101000000123456",
                "ES9121000418450200051332",
                "AT611904300234573201",
                "PL61109010140000071219812874",
                "MT84MALT011000012345MTLCAST001S",
                "SA0380000000608010167519");
        add(out, Category.SSN,
                "123-45-6789",
                "001-01-0001",
                "899-99-9999",
                "665-12-3456",
                "078-05-1120",
                "667-01-0001");
        add(out, Category.IP,
                "192.168.1.1",
                "10.0.0.1",
                "255.255.255.255",
                "0.0.0.0",
                "8.8.8.8",
                "1.2.3.4",
                "2001:db8:85a3::8a2e:370:7334",
                "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
                "::1",
                "fe80::1",
                "::ffff:192.168.1.1",
                "2001:db8::",
                "FE80::0202:B3FF:FE1E:8329",
                "1:2:3:4:5:6:7:8",
                "dead:beef:cafe:babe:dead:beef:cafe:babe");
        add(out, Category.SECRET,
                "sk-proj-abcDEF1234567890ghijKLMNopqr",
                "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-AbCdEf",
                "sk-1234567890abcdefghijklmnopqrstuvwxyzABCDEFGH",
                "AKIAIOSFODNN7EXAMPLE",
                "ASIAY34FZKBOKMUTVV7A",
                "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "gho_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef",
                "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
                "xoxp-1234567890-abcdefghij",
                "AIzaSyD-abcdefghijklmnopqrstuvwxyz01234",
                "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
                "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTUVWXYZabcdefghijklmnop\nqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn==\n-----END RSA PRIVATE KEY-----",
                "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\\n-----END PRIVATE KEY-----",
                "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n-----END OPENSSH PRIVATE KEY-----",
                "-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,0123456789ABCDEF\n\nMHcCAQEEIBkg4LVWM9nuwNSk3yByxZpYRTBnVJk5oXgDzLXVuQ8yoAoGCCqGSM49\n-----END EC PRIVATE KEY-----");
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("valid")
    void validSampleIsFoundAsExactlyOneValueOfItsCategory(Category category, String sample) {
        Redaction<String> r = MASK_ALL.redact("Contact: " + sample + " today.");
        assertThat(r.value()).isEqualTo("Contact: [" + category.label() + "] today.");
        assertThat(r.report().counts()).containsExactly(entry(category, 1));
    }

    static Stream<Arguments> credentialsInHeaders() {
        return Stream.of(
                Arguments.of("Authorization: Bearer abc123.def456-ghi789", "Authorization: Bearer [SECRET]"),
                Arguments.of("authorization:bearer abcdefgh12345678", "authorization:bearer [SECRET]"),
                Arguments.of("{\"Authorization\": \"Bearer tok_abcdefgh12345678\"}", "{\"Authorization\": \"Bearer [SECRET]\"}"),
                Arguments.of("-H 'Authorization: Basic dXNlcjpwYXNzd29yZA=='", "-H 'Authorization: Basic [SECRET]'"),
                Arguments.of("Proxy-Authorization: Token 0123456789abcdef", "Proxy-Authorization: Token [SECRET]"),
                Arguments.of("AUTHORIZATION = BEARER A1B2C3D4E5F6", "AUTHORIZATION = BEARER [SECRET]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("credentialsInHeaders")
    void anAuthorizationHeaderKeepsItsNameAndSchemeAndLosesItsCredential(String text, String expected) {
        assertThat(MASK_ALL.redact(text).value()).isEqualTo(expected);
    }

    static Stream<Arguments> nearMisses() {
        List<Arguments> out = new ArrayList<>();
        add(out, Category.EMAIL,
                "alice@localhost",
                "alice@example.c",
                "alice.@example.com",
                "al..ice@example.com",
                "alice@-example.com",
                "@handle",
                "alice at example dot com",
                "foo@bar.123");
        add(out, Category.PHONE,
                "555-0199",
                "+1 555",
                "123456",
                "5551234567",
                "06 12 34 56",
                "555-123-45678",
                "555-123.4567",
                "+0 20 7946 0958",
                "+123456");
        add(out, Category.CARD,
                "4111 1111 1111 1112",
                "4111111111111112",
                "4111111111111",
                "411111111111111",
                "1234 5678 9012 3456",
                "9111111111111111",
                "7111111111111114",
                "4111-1111 1111-1111",
                "41 11111111111111",
                "4111111111111111111111",
                "x4111111111111111");
        add(out, Category.IBAN,
                "DE89 3704 0044 0532 0130 01",
                "DE88370400440532013000",
                "XX89370400440532013000",
                "DE8937040044053201300",
                "DE893704004405320130000",
                "GB82 WEST 1234 5698 7654 3",
                "DE89 37040044 0532013000",
                "DE00370400440532013097");
        add(out, Category.SSN,
                "000-12-3456",
                "666-12-3456",
                "900-12-3456",
                "999-99-9999",
                "123-00-4567",
                "123-45-0000",
                "123456789",
                "123-45-67890",
                "1123-45-6789",
                "123 45 6789");
        add(out, Category.IP,
                "999.1.1.1",
                "256.1.1.1",
                "1.2.3",
                "1.2.3.4.5",
                "v1.2.3.4",
                "1.2.3.1234",
                "2001:db8:::1",
                "1:2:3:4:5:6:7:8:9",
                "1::2::3",
                "12:30:45",
                "dead::beef",
                "std::vector",
                "00:1A:2B:3C:4D:5E",
                "fe80:0:0:0:0:0:0:0:1");
        add(out, Category.SECRET,
                "sk-short",
                "sk-learn",
                "task-abcdefghijklmnopqrstuvwxyz0123",
                "AKIA1234",
                "AKIAIOSFODNN7EXAMPLEX",
                "ghp_short",
                "xoxz-1234567890abc",
                "AIzaShort",
                "AIzaSyD-abcdefghijklmnopqrstuvwxyz012345",
                "eyJhbGciOiJIUzI1NiJ9",
                "eyJ.eyJ.x",
                "The bearer of this letter is a friend",
                "Authorization: Bearer abc",
                "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA\n-----END PUBLIC KEY-----",
                "-----BEGIN PRIVATE KEY----- is the first line of a key file.");
        return out.stream();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("nearMisses")
    void nearMissIsNotFoundAsThatCategory(Category category, String sample) {
        Redaction<String> r = MASK_ALL.redact("Contact: " + sample + " today.");
        assertThat(r.report().count(category)).isZero();
        assertThat(r.value()).doesNotContain("[" + category.label() + "]");
    }

    static Stream<String> negatives() {
        return Stream.of(
                "The meeting is on 2024-03-15 at 10:30, in room 101 on floor 3.",
                "In 2024 we shipped 1,234,567 units; in 1999 only 12,000.",
                "Total: $1,299.99 (incl. 20% VAT), or EUR 1.234.567,89.",
                "Order #12345678 shipped on 15.01.2024 and arrived 01/17/2024.",
                "Order 123456, invoice 2024-0042, SKU 12345-678, ticket INC-0042317.",
                "Tracking number 1Z999AA10123456784 via UPS.",
                "Request id 550e8400-e29b-41d4-a716-446655440000 failed.",
                "UUID 123e4567-e89b-12d3-a456-426614174000 and ULID 01ARZ3NDEKTSV4RRFFQ69G5FAV.",
                "Version 3.2.1 released; upgrade from v2.10.4 or 1.2.",
                "ISBN 978-0-306-40615-7 and ISSN 0317-8471.",
                "Pi is 3.14159265358979 and e is 2.718281828.",
                "Coordinates 40.7128, -74.0060; elevation 10 m.",
                "Temperature -3.5 C at 06:45; score 10:8; ratio 16:9.",
                "SHA-256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855.",
                "Base64 aGVsbG8gd29ybGQ= decodes to hello world.",
                "In C++ write std::vector<int> and in Rust std::collections::HashMap.",
                "Lorem ipsum dolor sit amet, consectetur adipiscing elit.",
                "Call me maybe, or send a letter to the bearer.",
                "The 1990s had +5 points and a +3.5% rise.",
                "Time range 09:00-17:00, Monday to Friday.",
                "Page 12345 of 67890; chapter 7.",
                "Population 8336817 in 2020 (census).",
                "Order number 0612345678 was cancelled.",
                "Postcode SW1A 1AA and ZIP 90210-1234.",
                "Email me at alice at example dot com.",
                "The task-manager-abcdefghijklmnopqrstuvwxyz runs tasks.",
                "Matrix [[1, 2], [3, 4]] and a wiki link [[Main Page]].",
                "MAC address 00:1A:2B:3C:4D:5E on port 8080.",
                "Build 20240115123045 finished in 1234567 ms.",
                "A hash 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
                "A 13-digit number 1234567890123 and 19 digits 1234567890123456789.");
    }

    @ParameterizedTest
    @MethodSource("negatives")
    void negativeTextIsLeftAlone(String text) {
        Redaction<String> r = MASK_ALL.redact(text);
        assertThat(r.report().isEmpty()).as("found %s", r.report()).isTrue();
        assertThat(r.value()).isSameAs(text);
    }

    @Test
    void aCardFollowedByMoreDigitGroupsIsCutAtTheLongestValidPrefix() {
        assertThat(MASK_ALL.redact("card 4111 1111 1111 1111 2024 expiry").value()).isEqualTo("card [CARD] 2024 expiry");
    }

    @Test
    void aPhoneWordMakesABareDigitRunAPhone() {
        assertThat(MASK_ALL.redact("Tel: 4930123456").value()).isEqualTo("Tel: [PHONE]");
        assertThat(MASK_ALL.redact("Phone number: 5551234567").value()).isEqualTo("Phone number: [PHONE]");
        assertThat(MASK_ALL.redact("call 07700900123 now").value()).isEqualTo("call [PHONE] now");
        assertThat(MASK_ALL.redact("Mobile no. 0612345678").value()).isEqualTo("Mobile no. [PHONE]");
        assertThat(MASK_ALL.redact("order 4930123456").value()).isEqualTo("order 4930123456");
        assertThat(MASK_ALL.redact("hotel 4930123456").value()).isEqualTo("hotel 4930123456");
    }

    @Test
    void anUnterminatedPrivateKeyIsRedactedUpToItsLastKeyLine() {
        String text = "key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nMIIEvQIBADANBgkqhkiG9w0BAQEF\n(truncated)";
        assertThat(MASK_ALL.redact(text).value()).isEqualTo("key:\n[SECRET]\n(truncated)");
    }

    @Test
    void aSentencesFullStopBeforeOrAfterAnAddressStaysInTheText() {
        assertThat(MASK_ALL.redact("Write to .alice@example.com.").value()).isEqualTo("Write to .[EMAIL].");
        assertThat(MASK_ALL.redact("Servers: ::1, 10.0.0.1. Done").value()).isEqualTo("Servers: [IP], [IP]. Done");
        assertThat(MASK_ALL.redact("From fe80::1.").value()).isEqualTo("From [IP].");
    }

    private static void add(List<Arguments> out, Category category, String... samples) {
        for (String s : samples) {
            out.add(Arguments.of(category, s));
        }
    }
}
