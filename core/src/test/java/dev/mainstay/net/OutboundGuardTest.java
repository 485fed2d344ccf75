package dev.mainstay.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.net.InetAddress;
import java.net.URI;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutboundGuardTest {
    @ParameterizedTest
    @CsvSource({
            "127.0.0.1, loopback", "127.8.9.10, loopback", "::1, loopback", "0.0.0.0, unspecified", "::, unspecified",
            "10.1.2.3, private", "172.16.0.1, private", "172.31.255.255, private", "192.168.1.1, private",
            "169.254.169.254, link-local", "fe80::1, link-local", "100.64.0.1, carrier-grade NAT", "100.127.255.254, carrier-grade NAT",
            "fc00::1, unique-local", "fd12:3456::1, unique-local", "224.0.0.1, multicast", "ff02::1, multicast",
            "::ffff:10.0.0.1, private", "::ffff:127.0.0.1, loopback", "198.18.0.1, benchmarking"})
    void restrictedRangesAreNamed(String address, String kind) throws Exception {
        assertThat(OutboundGuard.restricted(InetAddress.getByName(address))).isEqualTo(kind);
    }

    @ParameterizedTest
    @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1", "2606:4700:4700::1111", "192.169.0.1"})
    void publicAddressesPass(String address) throws Exception {
        assertThat(OutboundGuard.restricted(InetAddress.getByName(address))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/x", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://localhost/"})
    void privateUrlsAreRefusedUnlessAllowed(String url) {
        assertThat(OutboundGuard.refusal(URI.create(url), false)).contains("allow_private");
        assertThat(OutboundGuard.refusal(URI.create(url), true)).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"ftp://8.8.8.8/", "file:///etc/passwd", "http://user:pw@8.8.8.8/"})
    void otherSchemesAndCredentialsInTheUrlAreRefused(String url) {
        assertThat(OutboundGuard.refusal(URI.create(url), true)).isNotNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://127.0.0.1:8080/x", "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.5/", "http://localhost/",
            "http://api.localhost:9/", "http://[fd12::1]/"})
    void addressesWrittenInTheUrlAreRefusedWithoutTheNetwork(String url) {
        assertThat(OutboundGuard.policyRefusal(URI.create(url), false)).contains("allow_private");
        assertThat(OutboundGuard.policyRefusal(URI.create(url), true)).isNull();
    }

    @Test
    void aHostNameIsNotResolvedByThePolicyCheckButIsBeforeACall() {
        URI url = URI.create("https://crm.example.invalid/api");
        assertThat(OutboundGuard.policyRefusal(url, false)).isNull();
        assertThat(OutboundGuard.refusal(url, false)).isEqualTo("the host 'crm.example.invalid' does not resolve");
    }

    @Test
    void aNameThatResolvesToAPrivateAddressPassesThePolicyButNotTheCallCheck() throws Exception {
        // The machine's own name resolves (hosts file, no network) to a loopback or private address on
        // nearly every system; where it is public there is nothing to show.
        String host = InetAddress.getLocalHost().getHostName();
        assumeThat(host).doesNotContain(":").isNotEqualTo("localhost");
        assumeThat(java.util.Arrays.stream(InetAddress.getAllByName(host)).map(OutboundGuard::restricted)).doesNotContainNull();
        URI url = URI.create("http://" + host + ":9/hook");
        assertThat(OutboundGuard.policyRefusal(url, false)).isNull();
        assertThat(OutboundGuard.refusal(url, false)).startsWith("'" + host + "' resolves to ").contains("allow_private");
    }
}
