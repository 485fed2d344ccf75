package dev.mainstay.server.security;

import dev.mainstay.Json;
import dev.mainstay.server.MainstayServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A client that writes raw bytes to a real socket and reads HTTP/1.x answers byte by byte: what a
 * well-behaved HTTP client never sends, and what it never lets a test see (whether the server
 * closed the connection, the exact status line).
 */
final class RawClient implements AutoCloseable {
    /** One answer as it came over the wire. */
    record Answer(String statusLine, int status, Map<String, List<String>> headers, byte[] body) {
        String header(String name) {
            List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
            return values == null ? null : values.getFirst();
        }

        JsonNode json() {
            return Json.parse(new String(body, StandardCharsets.UTF_8));
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Socket socket;
    private final InputStream in;

    RawClient(String host, int port, Duration timeout) {
        try {
            this.socket = new Socket(host, port);
            socket.setSoTimeout((int) timeout.toMillis());
            this.in = socket.getInputStream();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static RawClient to(MainstayServer server, Duration timeout) {
        return new RawClient(server.baseUrl().getHost(), server.port(), timeout);
    }

    RawClient send(String ascii) {
        return send(ascii.getBytes(StandardCharsets.ISO_8859_1));
    }

    RawClient send(byte[] bytes) {
        try {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads one answer, framed by its {@code Content-Length}; fails on a timeout or a close before it is whole. */
    Answer read() {
        try {
            String statusLine = line();
            if (statusLine == null) {
                throw new AssertionError("the server closed the connection without an answer");
            }
            Map<String, List<String>> headers = new LinkedHashMap<>();
            for (String h = line(); h != null && !h.isEmpty(); h = line()) {
                int colon = h.indexOf(':');
                headers.computeIfAbsent(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), k -> new ArrayList<>()).add(h.substring(colon + 1).strip());
            }
            List<String> length = headers.get("content-length");
            if (length == null) {
                throw new AssertionError("the answer has no Content-Length: " + statusLine + " " + headers);
            }
            byte[] body = in.readNBytes(Integer.parseInt(length.getFirst()));
            String[] parts = statusLine.split(" ", 3);
            return new Answer(statusLine, Integer.parseInt(parts[1]), headers, body);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Whether the server closes the connection (end of stream or reset) within {@code within},
     * sending nothing more; a byte more is a failure.
     */
    boolean closedWithin(Duration within) {
        try {
            socket.setSoTimeout((int) Math.max(1, within.toMillis()));
            int b = in.read();
            if (b != -1) {
                throw new AssertionError("the server sent more after the answer, starting with byte " + b);
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true; // reset by the server
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A line ending in CRLF, without it; {@code null} at the end of the stream. */
    private String line() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            int b;
            try {
                b = in.read();
            } catch (SocketException reset) {
                b = -1;
            }
            if (b == -1) {
                return line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
            }
            if (b == '\n') {
                String s = line.toString(StandardCharsets.ISO_8859_1);
                return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
            }
            line.write(b);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a test socket
        }
    }
}
