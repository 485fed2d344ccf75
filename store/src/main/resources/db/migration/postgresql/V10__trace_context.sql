-- The W3C trace context of the job's trace (traceparent and tracestate as the headers carry
-- them), so that a job resumed after a crash, a restart or on another node goes on in the trace
-- its submit started. Null when tracing was off at the submit.
ALTER TABLE jobs ADD COLUMN trace_parent text;
ALTER TABLE jobs ADD COLUMN trace_state text;

-- Stats over a time range read finished jobs by when they finished.
CREATE INDEX jobs_completed_at ON jobs (completed_at) WHERE completed_at IS NOT NULL;
