package dev.mainstay.server.testing;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.zip.GZIPInputStream;

/**
 * An OTLP/HTTP trace receiver on a loopback port, as a collector listens on 4318: it takes what
 * OpenTelemetry's exporter posts to {@code /v1/traces}, decodes the protobuf with the protocol's
 * own classes and keeps every span, so that a test reads the trace a collector would have got.
 */
public final class OtlpReceiver implements AutoCloseable {
    /** One span as it arrived, ids in lower-case hex; {@code parentSpanId} is {@code ""} for a root. */
    public record Received(String service, String traceId, String spanId, String parentSpanId, String name, Span.SpanKind kind,
                    Map<String, Object> attributes, boolean error, long startNanos, long endNanos) {
        public String string(String key) {
            Object v = attributes.get(key);
            return v == null ? null : v.toString();
        }

        public long number(String key) {
            return (Long) attributes.get(key);
        }

        public String jobId() {
            return string("mainstay.job.id");
        }
    }

    private WebServer web;
    private final List<Received> spans = new CopyOnWriteArrayList<>();
    private final List<String> contentTypes = new CopyOnWriteArrayList<>();

    private OtlpReceiver() {
    }

    public static OtlpReceiver start() {
        OtlpReceiver receiver = new OtlpReceiver();
        receiver.web = WebServer.builder().host("127.0.0.1").port(0)
                .routing(r -> r.post("/v1/traces", (req, res) -> {
                    byte[] body = req.content().as(byte[].class);
                    try {
                        if (req.headers().first(HeaderNames.CONTENT_ENCODING).map("gzip"::equalsIgnoreCase).orElse(false)) {
                            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
                                body = in.readAllBytes();
                            }
                        }
                        receiver.contentTypes.add(req.headers().first(HeaderNames.CONTENT_TYPE).orElse(""));
                        receiver.take(ExportTraceServiceRequest.parseFrom(body));
                    } catch (IOException | RuntimeException e) {
                        res.status(Status.BAD_REQUEST_400).send();
                        return;
                    }
                    res.header(HeaderNames.CONTENT_TYPE, "application/x-protobuf").send(ExportTraceServiceResponse.getDefaultInstance().toByteArray());
                }))
                .build().start();
        return receiver;
    }

    /** The base URL to give as {@code OTEL_EXPORTER_OTLP_ENDPOINT}. */
    public String endpoint() {
        return "http://127.0.0.1:" + web.port();
    }

    /**
     * The variables that point a node's exporter here, exporting each span within a few
     * milliseconds of its end. No protocol: the node's default must be the one a collector's
     * port 4318 speaks.
     */
    public Map<String, String> env() {
        return Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint(),
                "OTEL_SERVICE_NAME", "mainstay-test",
                "OTEL_BSP_SCHEDULE_DELAY", "20");
    }

    public List<Received> spans() {
        return List.copyOf(spans);
    }

    /** The spans of one job: those carrying its {@code mainstay.job.id}. */
    public List<Received> job(String jobId) {
        return spans.stream().filter(s -> jobId.equals(s.jobId())).toList();
    }

    public Optional<Received> span(String spanId) {
        return spans.stream().filter(s -> s.spanId().equals(spanId)).findFirst();
    }

    public List<String> contentTypes() {
        return List.copyOf(contentTypes);
    }

    private void take(ExportTraceServiceRequest request) {
        HexFormat hex = HexFormat.of();
        for (ResourceSpans rs : request.getResourceSpansList()) {
            String service = service(rs.getResource());
            for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span s : ss.getSpansList()) {
                    Map<String, Object> attributes = new LinkedHashMap<>();
                    for (KeyValue kv : s.getAttributesList()) {
                        attributes.put(kv.getKey(), value(kv.getValue()));
                    }
                    spans.add(new Received(service, hex.formatHex(s.getTraceId().toByteArray()), hex.formatHex(s.getSpanId().toByteArray()),
                            hex.formatHex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind(), attributes,
                            s.getStatus().getCode() == io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR, s.getStartTimeUnixNano(), s.getEndTimeUnixNano()));
                }
            }
        }
    }

    private static String service(Resource resource) {
        return resource.getAttributesList().stream().filter(kv -> kv.getKey().equals("service.name")).map(kv -> kv.getValue().getStringValue())
                .findFirst().orElse("");
    }

    private static Object value(AnyValue v) {
        return switch (v.getValueCase()) {
            case STRING_VALUE -> v.getStringValue();
            case INT_VALUE -> v.getIntValue();
            case DOUBLE_VALUE -> v.getDoubleValue();
            case BOOL_VALUE -> v.getBoolValue();
            case ARRAY_VALUE -> {
                List<Object> out = new ArrayList<>();
                v.getArrayValue().getValuesList().forEach(x -> out.add(value(x)));
                yield out;
            }
            default -> v.toString();
        };
    }

    @Override
    public void close() {
        web.stop();
    }
}
