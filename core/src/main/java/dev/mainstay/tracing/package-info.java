/**
 * A job's trace, behind an interface core owns ({@link dev.mainstay.tracing.JobTracer}): the
 * server wires OpenTelemetry behind it, an embedding application may wire its own, and without
 * either every span is a no-op. Attribute names follow the OpenTelemetry GenAI semantic
 * conventions ({@link dev.mainstay.tracing.SpanNames}).
 */
package dev.mainstay.tracing;
