package dev.mainstay.server.http;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Follows the bytes of one HTTP/1.x connection as they arrive, before Helidon's HTTP/1.1 parser
 * reads them, and knows at every moment where the stream is: between requests, inside a request
 * head, or inside a body. That is what the connection's deadlines depend on ({@link GuardedConnection}),
 * and it is what lets Mainstay answer what Helidon 4 cannot:
 *
 * <ul>
 *   <li>HTTP/1.0 requests (and HTTP/1.x with a minor version above 1, which RFC 9110 §2.5 asks to be
 *       treated as the highest minor version served) are passed on as HTTP/1.1 requests. A 1.0
 *       request that did not ask for {@code Connection: keep-alive} gets {@code Connection: close}
 *       added, so that the answer closes the connection as HTTP/1.0 expects; one without
 *       {@code Host} gets the address it reached.</li>
 *   <li>A request line that is not HTTP/1.x (a TLS handshake, the HTTP/2 preface, HTTP/0.9,
 *       garbage, bare LF line ends, an oversized line or header block) is refused with a problem
 *       (400, 414 or 431; 400 also for another major version) the moment it is recognised, instead of
 *       the silent close Helidon gives.</li>
 *   <li>Body framing is checked as it streams: a chunk whose declared size would take the body past
 *       {@code max_body_bytes} is refused (413) as soon as its size line arrives, before any of its
 *       data. Ambiguous framing (both {@code Content-Length} and {@code Transfer-Encoding}, several
 *       {@code Content-Length}s, a coding other than {@code chunked}) is refused (400) so that this
 *       view of where one request ends and the next begins can never differ from Helidon's.</li>
 * </ul>
 *
 * Bytes are passed on unchanged except for the request line and the added headers of a rewritten
 * head, chunk-size lines (passed on without extensions) and trailer fields (dropped). A request
 * head is held back until it is complete, so Helidon never sees half of one.
 * Not thread-safe: one connection's reading thread feeds it.
 */
final class RequestFramer {
    /** Longest chunk-size line, extensions included. */
    static final int MAX_CHUNK_LINE = 1024;
    /** Empty lines tolerated before a request line (RFC 9112 §2.2 asks to ignore at least one). */
    private static final int MAX_LEADING_EMPTY_LINES = 8;
    private static final byte[] NOTHING = new byte[0];

    /**
     * Why the stream was refused. A refusal {@code inHead} is answered by Mainstay itself, before
     * any route runs; one in a body is raised to whoever reads that body.
     */
    record Refusal(int status, String detail, boolean inHead, String target) {
    }

    private enum State {
        METHOD, LEADING_LF, TARGET, VERSION, REQUEST_LINE_LF, HEADER, HEADER_LF,
        LENGTH_BODY, CHUNK_SIZE, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR, CHUNK_DATA_LF, TRAILER, TRAILER_LF,
        REFUSED,
        /** A request that closes the connection has been read: what follows it is never served. */
        FINISHED
    }

    private final int maxHeaderBytes;
    private final long maxBodyBytes;
    private final String hostForHttp10;

    private State state = State.METHOD;
    private Refusal refusal;
    private byte[] out = new byte[4096];
    private int outLength;

    // the request head being read
    private byte[] head = new byte[1024];
    private int headLength;
    private boolean awaitingRequest = true;
    private long headStartedAt;
    private int leadingEmptyLines;
    private int methodLength;
    private int targetStart;
    private int targetLength;
    private int versionStart;
    private int requestLineEnd;
    private int lineStart;
    private int minorVersion;
    private boolean http10;
    private boolean rewrite;
    private int contentLengths;
    private String contentLength;
    private final List<String> transferEncodings = new ArrayList<>();
    private final List<String> connectionTokens = new ArrayList<>();
    private boolean hostSeen;

    // the body being read
    private long remaining;
    private long bodyBytes;
    private long chunkSize;
    private int chunkDigits;
    private int chunkLineLength;
    private boolean chunkExtension;
    private int trailerBytes;
    private int requests;

    /**
     * @param maxHeaderBytes the longest request line and, separately, the largest header block
     * @param maxBodyBytes the largest chunked body, counted in chunk data
     * @param hostForHttp10 the {@code Host} value given to an HTTP/1.0 request that sent none
     * @param openedAt when the connection was accepted ({@link System#nanoTime()}): the first
     *        request's head is due within the read timeout of that moment
     */
    RequestFramer(int maxHeaderBytes, long maxBodyBytes, String hostForHttp10, long openedAt) {
        this.maxHeaderBytes = maxHeaderBytes;
        this.maxBodyBytes = maxBodyBytes;
        this.hostForHttp10 = hostForHttp10;
        this.headStartedAt = openedAt;
    }

    /** Takes in {@code length} bytes read from the socket at {@code now} ({@link System#nanoTime()}). */
    void feed(byte[] bytes, int length, long now) {
        int i = 0;
        while (i < length && state != State.REFUSED && state != State.FINISHED) {
            switch (state) {
                case LENGTH_BODY, CHUNK_DATA -> {
                    int n = (int) Math.min(remaining, length - i);
                    emit(bytes, i, n);
                    i += n;
                    remaining -= n;
                    if (remaining == 0) {
                        if (state == State.LENGTH_BODY) {
                            requestDone();
                        } else {
                            state = State.CHUNK_DATA_CR;
                        }
                    }
                }
                default -> {
                    if (awaitingRequest) {
                        awaitingRequest = false;
                        if (requests > 0) {
                            headStartedAt = now;
                        }
                    }
                    step(bytes[i++]);
                }
            }
        }
    }

    /** The bytes Helidon may read now (empty when there are none), handed over once. */
    byte[] take() {
        if (outLength == 0) {
            return NOTHING;
        }
        byte[] ready = Arrays.copyOf(out, outLength);
        outLength = 0;
        return ready;
    }

    Optional<Refusal> refusal() {
        return Optional.ofNullable(refusal);
    }

    /** Nothing of the next request has arrived yet: the connection is between requests (or new). */
    boolean awaitingRequest() {
        return awaitingRequest && state == State.METHOD;
    }

    /** Part of a request head has arrived, not all of it. */
    boolean inHead() {
        return switch (state) {
            case METHOD, LEADING_LF, TARGET, VERSION, REQUEST_LINE_LF, HEADER, HEADER_LF -> true;
            default -> false;
        };
    }

    /** When the head being read began: the first byte of it, or the connection's opening for the first request. */
    long headStartedAt() {
        return headStartedAt;
    }

    /**
     * A request that ends the connection ({@code Connection: close}, or HTTP/1.0 without
     * {@code keep-alive}) has been read to its end: once its bytes are taken, nothing more is read.
     */
    boolean finished() {
        return state == State.FINISHED;
    }

    /** Requests read to their end. */
    int requests() {
        return requests;
    }

    private void step(byte b) {
        switch (state) {
            case METHOD -> method(b);
            case LEADING_LF -> {
                if (b != '\n') {
                    refuseHead(400, "the request starts with a CR that is not followed by LF");
                } else if (++leadingEmptyLines > MAX_LEADING_EMPTY_LINES) {
                    refuseHead(400, "more than " + MAX_LEADING_EMPTY_LINES + " empty lines before the request line");
                } else {
                    state = State.METHOD;
                }
            }
            case TARGET -> target(b);
            case VERSION -> version(b);
            case REQUEST_LINE_LF -> {
                if (b != '\n') {
                    refuseHead(400, "the request line ends with a CR that is not followed by LF");
                } else {
                    keep(b);
                    requestLine();
                }
            }
            case HEADER -> header(b);
            case HEADER_LF -> {
                if (b != '\n') {
                    refuseHead(400, "a header line ends with a CR that is not followed by LF");
                } else {
                    keep(b);
                    headerLineDone();
                }
            }
            case CHUNK_SIZE -> chunkSize(b);
            case CHUNK_SIZE_LF -> {
                if (b != '\n') {
                    refuseBody(400, "a chunk-size line ends with a CR that is not followed by LF");
                    return;
                }
                if (chunkDigits == 0) {
                    refuseBody(400, "a chunk-size line has no size");
                    return;
                }
                // Passed on as bare hexadecimal: Helidon reads neither extensions nor leading zeros,
                // and a recipient may ignore extensions it does not know (RFC 9112 §7.1.1).
                byte[] line = (Long.toHexString(chunkSize) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                emit(line, 0, line.length);
                if (chunkSize == 0) {
                    state = State.TRAILER;
                    chunkLineLength = 0;
                } else {
                    remaining = chunkSize;
                    state = State.CHUNK_DATA;
                }
            }
            case CHUNK_DATA_CR -> {
                if (b != '\r') {
                    refuseBody(400, "a chunk has more data than its size line declares");
                } else {
                    emit(b);
                    state = State.CHUNK_DATA_LF;
                }
            }
            case CHUNK_DATA_LF -> {
                if (b != '\n') {
                    refuseBody(400, "chunk data ends with a CR that is not followed by LF");
                } else {
                    emit(b);
                    startChunk();
                }
            }
            case TRAILER -> trailer(b);
            case TRAILER_LF -> {
                if (b != '\n') {
                    refuseBody(400, "a trailer line ends with a CR that is not followed by LF");
                    return;
                }
                if (chunkLineLength == 0) {
                    // Trailer fields are dropped (RFC 9112 §7.1.2 allows it; Helidon reads none).
                    emit((byte) '\r');
                    emit((byte) '\n');
                    requestDone();
                } else {
                    chunkLineLength = 0;
                    state = State.TRAILER;
                }
            }
            case LENGTH_BODY, CHUNK_DATA, REFUSED, FINISHED -> throw new IllegalStateException("step() in state " + state + ". Indicates a bug.");
        }
    }

    // ---- the request line ------------------------------------------------------------------------

    private void method(byte b) {
        if (methodLength == 0 && b == '\r') {
            state = State.LEADING_LF;
        } else if (methodLength == 0 && b == '\n') {
            refuseHead(400, "the request starts with a bare LF; lines end with CRLF");
        } else if (isTokenChar(b)) {
            keep(b);
            methodLength++;
            checkRequestLineLength();
        } else if (b == ' ' && methodLength > 0) {
            keep(b);
            targetStart = headLength;
            state = State.TARGET;
        } else if (methodLength == 0 && b == 0x16) {
            refuseHead(400, "this is a TLS handshake; Mainstay serves plain HTTP here (put TLS in front of it)");
        } else {
            refuseHead(400, "the request line does not start with an HTTP method");
        }
    }

    private void target(byte b) {
        if (b > 0x20 && b < 0x7f) {
            keep(b);
            targetLength++;
            checkRequestLineLength();
        } else if (b == ' ' && targetLength > 0) {
            keep(b);
            versionStart = headLength;
            state = State.VERSION;
        } else if (b == '\r' || b == '\n') {
            refuseHead(400, "the request line has no HTTP version; HTTP/0.9 is not served, send HTTP/1.1");
        } else {
            refuseHead(400, targetLength == 0 ? "the request line has more than one space after the method"
                    : "the request target has a byte that is not allowed in a URI");
        }
    }

    private void version(byte b) {
        if (b == '\r') {
            keep(b);
            state = State.REQUEST_LINE_LF;
        } else if (b == '\n') {
            refuseHead(400, "the request line ends with a bare LF; lines end with CRLF");
        } else if (headLength - versionStart >= 8 || !(b == 'H' || b == 'T' || b == 'P' || b == '/' || b == '.' || (b >= '0' && b <= '9'))) {
            refuseHead(400, "the request line does not end with an HTTP version such as HTTP/1.1");
        } else {
            keep(b);
        }
    }

    private void checkRequestLineLength() {
        if (headLength > maxHeaderBytes) {
            refuseHead(414, "the request line is longer than server.max_header_bytes (" + maxHeaderBytes + " bytes)");
        }
    }

    private void requestLine() {
        requestLineEnd = headLength;
        String version = new String(head, versionStart, requestLineEnd - 2 - versionStart, StandardCharsets.US_ASCII);
        if (!version.matches("HTTP/[0-9]\\.[0-9]")) {
            refuseHead(400, "the request line does not end with an HTTP version such as HTTP/1.1");
            return;
        }
        if (version.charAt(5) != '1') {
            // 400 rather than 505: no request a client can send makes Mainstay answer with a 5xx,
            // which monitoring would count as the server's fault.
            refuseHead(400, "HTTP/" + version.substring(5) + " is not served on this port; send HTTP/1.1 (or HTTP/1.0)");
            return;
        }
        minorVersion = version.charAt(7) - '0';
        http10 = minorVersion == 0;
        rewrite = minorVersion != 1;
        lineStart = headLength;
        state = State.HEADER;
    }

    // ---- header lines ----------------------------------------------------------------------------

    private void header(byte b) {
        if (b == '\r') {
            keep(b);
            state = State.HEADER_LF;
        } else if (b == '\n') {
            refuseHead(400, "a header line ends with a bare LF; lines end with CRLF");
        } else if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
            refuseHead(400, "a header line has a control character");
        } else {
            keep(b);
            if (headLength - requestLineEnd > maxHeaderBytes) {
                refuseHead(431, "the request headers are larger than server.max_header_bytes (" + maxHeaderBytes + " bytes)");
            }
        }
    }

    private void headerLineDone() {
        int end = headLength - 2;
        if (end == lineStart) {
            headDone();
            return;
        }
        if (head[lineStart] == ' ' || head[lineStart] == '\t') {
            refuseHead(400, "a header line starts with whitespace (obsolete line folding is not accepted)");
            return;
        }
        int colon = lineStart;
        while (colon < end && isTokenChar(head[colon])) {
            colon++;
        }
        if (colon == lineStart || colon == end || head[colon] != ':') {
            refuseHead(400, "a header line is not 'Name: value' (the name must be followed directly by ':')");
            return;
        }
        String name = new String(head, lineStart, colon - lineStart, StandardCharsets.US_ASCII).toLowerCase(Locale.ROOT);
        String value = new String(head, colon + 1, end - colon - 1, StandardCharsets.ISO_8859_1).strip();
        switch (name) {
            case "content-length" -> {
                contentLengths++;
                contentLength = value;
            }
            case "transfer-encoding" -> transferEncodings.add(value);
            case "connection" -> {
                for (String token : value.split(",")) {
                    connectionTokens.add(token.strip().toLowerCase(Locale.ROOT));
                }
            }
            case "host" -> hostSeen = true;
            default -> {
                // not needed to find the body or the connection's fate
            }
        }
        lineStart = headLength;
        state = State.HEADER;
    }

    private void headDone() {
        if (!transferEncodings.isEmpty()) {
            if (http10) {
                refuseHead(400, "Transfer-Encoding is not allowed in an HTTP/1.0 request; send Content-Length");
                return;
            }
            if (contentLengths > 0) {
                refuseHead(400, "the request has both Content-Length and Transfer-Encoding; send one");
                return;
            }
            List<String> codings = new ArrayList<>();
            for (String v : transferEncodings) {
                for (String c : v.split(",")) {
                    if (!c.isBlank()) {
                        codings.add(c.strip().toLowerCase(Locale.ROOT));
                    }
                }
            }
            if (!codings.equals(List.of("chunked"))) {
                refuseHead(400, "Transfer-Encoding must be 'chunked' alone (got '" + printable(String.join(", ", transferEncodings)) + "')");
                return;
            }
            emitHead();
            startChunk();
            bodyBytes = 0;
            return;
        }
        long length = 0;
        if (contentLengths > 1) {
            refuseHead(400, "the request has " + contentLengths + " Content-Length headers; send one");
            return;
        }
        if (contentLengths == 1) {
            if (!contentLength.matches("[0-9]{1,18}")) {
                refuseHead(400, "Content-Length must be a whole number of bytes (got '" + printable(contentLength) + "')");
                return;
            }
            length = Long.parseLong(contentLength);
        }
        emitHead();
        if (length > 0) {
            remaining = length;
            state = State.LENGTH_BODY;
        } else {
            requestDone();
        }
    }

    /** Passes the held head on: as it came, or with the request line and headers HTTP/1.1 needs. */
    private void emitHead() {
        if (!rewrite) {
            emit(head, 0, headLength);
            return;
        }
        emit(head, 0, versionStart);
        emit("HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII), 0, 10);
        emit(head, requestLineEnd, headLength - 2 - requestLineEnd);
        StringBuilder added = new StringBuilder();
        if (http10 && !connectionTokens.contains("keep-alive") && !connectionTokens.contains("close")) {
            added.append("Connection: close\r\n");
        }
        if (http10 && !hostSeen) {
            added.append("Host: ").append(hostForHttp10).append("\r\n");
        }
        added.append("\r\n");
        byte[] bytes = added.toString().getBytes(StandardCharsets.US_ASCII);
        emit(bytes, 0, bytes.length);
    }

    // ---- chunked bodies --------------------------------------------------------------------------

    private void startChunk() {
        state = State.CHUNK_SIZE;
        chunkSize = 0;
        chunkDigits = 0;
        chunkLineLength = 0;
        chunkExtension = false;
    }

    private void chunkSize(byte b) {
        if (++chunkLineLength > MAX_CHUNK_LINE) {
            refuseBody(400, "a chunk-size line is longer than " + MAX_CHUNK_LINE + " bytes");
            return;
        }
        int digit = Character.digit(b, 16);
        if (b == '\r') {
            bodyBytes += chunkSize;
            state = State.CHUNK_SIZE_LF;
        } else if (b == '\n') {
            refuseBody(400, "a chunk-size line ends with a bare LF; lines end with CRLF");
        } else if (chunkExtension) {
            if ((b >= 0 && b < 0x20 && b != '\t') || b == 0x7f) {
                refuseBody(400, "a chunk extension has a control character");
            }
        } else if (digit >= 0 && b < 0x7f) {
            chunkSize = chunkSize * 16 + digit;
            chunkDigits++;
            // Refused on the digit that crosses the limit, before the rest of the line or any data:
            // a declared size of 7fffffffffffffff must not make anyone wait for 2^63 bytes. Checked
            // after every digit, the size never gets near overflowing.
            if (bodyBytes + chunkSize > maxBodyBytes) {
                refuseBody(413, "a chunk of the request body declares at least " + chunkSize + " bytes, more than server.max_body_bytes ("
                        + maxBodyBytes + " bytes) allows for the whole body");
            }
        } else if ((b == ';' || b == ' ' || b == '\t') && chunkDigits > 0) {
            chunkExtension = true;
        } else {
            refuseBody(400, "a chunk-size line does not start with a hexadecimal size");
        }
    }

    private void trailer(byte b) {
        if (++trailerBytes > maxHeaderBytes) {
            refuseBody(400, "the trailer section is larger than server.max_header_bytes (" + maxHeaderBytes + " bytes)");
        } else if (b == '\r') {
            state = State.TRAILER_LF;
        } else if (b == '\n') {
            refuseBody(400, "a trailer line ends with a bare LF; lines end with CRLF");
        } else {
            chunkLineLength++;
        }
    }

    // ---- between requests ------------------------------------------------------------------------

    private void requestDone() {
        requests++;
        if (connectionTokens.contains("close") || (http10 && !connectionTokens.contains("keep-alive"))) {
            state = State.FINISHED;
            return;
        }
        state = State.METHOD;
        awaitingRequest = true;
        headLength = 0;
        leadingEmptyLines = 0;
        methodLength = 0;
        targetStart = 0;
        targetLength = 0;
        versionStart = 0;
        requestLineEnd = 0;
        lineStart = 0;
        http10 = false;
        rewrite = false;
        contentLengths = 0;
        contentLength = null;
        transferEncodings.clear();
        connectionTokens.clear();
        hostSeen = false;
        remaining = 0;
        bodyBytes = 0;
        trailerBytes = 0;
    }

    private void refuseHead(int status, String detail) {
        refusal = new Refusal(status, detail, true, target());
        state = State.REFUSED;
    }

    private void refuseBody(int status, String detail) {
        refusal = new Refusal(status, detail, false, null);
        state = State.REFUSED;
    }

    /** The request target read so far, for the problem's {@code instance}; empty before it starts. */
    private String target() {
        if (targetLength == 0) {
            return "";
        }
        return new String(head, targetStart, Math.min(targetLength, 200), StandardCharsets.US_ASCII);
    }

    private void keep(byte b) {
        if (headLength == head.length) {
            head = Arrays.copyOf(head, head.length * 2);
        }
        head[headLength++] = b;
    }

    private void emit(byte b) {
        if (outLength == out.length) {
            out = Arrays.copyOf(out, out.length * 2);
        }
        out[outLength++] = b;
    }

    private void emit(byte[] bytes, int offset, int length) {
        if (outLength + length > out.length) {
            out = Arrays.copyOf(out, Math.max(out.length * 2, outLength + length));
        }
        System.arraycopy(bytes, offset, out, outLength, length);
        outLength += length;
    }

    /** RFC 9110 tchar: what a method or a header name is made of. */
    private static boolean isTokenChar(byte b) {
        if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')) {
            return true;
        }
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    private static String printable(String text) {
        String clean = text.replaceAll("[^\\x20-\\x7e]", "?");
        return clean.length() <= 100 ? clean : clean.substring(0, 100) + "…";
    }
}
