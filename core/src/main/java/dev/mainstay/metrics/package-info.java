/**
 * What the engine reports for metrics ({@link dev.mainstay.metrics.EngineMetrics}) and the
 * bounded label values it reports them with. Core counts nothing itself: the server wires a
 * Prometheus registry behind this interface, and an embedding application may wire its own.
 */
package dev.mainstay.metrics;
