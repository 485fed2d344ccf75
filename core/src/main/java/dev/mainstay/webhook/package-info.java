/**
 * Webhooks out and events in, as Standard Webhooks defines them: signing secrets, the
 * {@code webhook-signature} over {@code id.timestamp.body}, the retry schedule of a delivery, what
 * an attempt's answer means, the event types a job's transitions emit, inbound sources, and the
 * single-use tokens of callback tool stages. Pure decisions and values; the store keeps the rows,
 * the server makes the requests.
 */
package dev.mainstay.webhook;
