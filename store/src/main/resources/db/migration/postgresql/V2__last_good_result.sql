-- The 'cached' fallback rung looks up the newest full result of a workflow version for an input.
CREATE INDEX jobs_last_good ON jobs (workflow, workflow_version, input_hash, completed_at)
    WHERE status = 'completed' AND result_type = 'full';
