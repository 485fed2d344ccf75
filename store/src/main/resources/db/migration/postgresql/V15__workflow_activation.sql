-- Which version of each workflow serves, shared by every node, and the activation gate of each
-- candidate version: its eval run, the active version's run it is compared with, the decision.
CREATE TABLE workflow_activations (
    workflow        text COLLATE "C" PRIMARY KEY,
    version         integer NOT NULL,
    highest_version integer NOT NULL,
    changed_at      timestamptz NOT NULL,
    changed_by      text NOT NULL
);

CREATE TABLE activation_gates (
    workflow         text COLLATE "C" NOT NULL,
    version          integer NOT NULL,
    suite            text COLLATE "C" NOT NULL,
    run_id           text COLLATE "C" NOT NULL,
    baseline_version integer NOT NULL,
    baseline_run_id  text COLLATE "C" NOT NULL,
    created_at       timestamptz NOT NULL,
    decision         text,
    detail           json,
    decided_at       timestamptz,
    PRIMARY KEY (workflow, version)
);
CREATE INDEX activation_gates_undecided ON activation_gates (created_at) WHERE decision IS NULL;
