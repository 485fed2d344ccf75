-- Which version of each workflow serves, shared by every node, and the activation gate of each
-- candidate version: its eval run, the active version's run it is compared with, the decision.
CREATE TABLE workflow_activations (
    workflow        TEXT PRIMARY KEY,
    version         INTEGER NOT NULL,
    highest_version INTEGER NOT NULL,
    changed_at      INTEGER NOT NULL,
    changed_by      TEXT NOT NULL
);

CREATE TABLE activation_gates (
    workflow         TEXT NOT NULL,
    version          INTEGER NOT NULL,
    suite            TEXT NOT NULL,
    run_id           TEXT NOT NULL,
    baseline_version INTEGER NOT NULL,
    baseline_run_id  TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    decision         TEXT,
    detail           TEXT,
    decided_at       INTEGER,
    PRIMARY KEY (workflow, version)
);
CREATE INDEX activation_gates_undecided ON activation_gates (created_at) WHERE decision IS NULL;
