-- Submits refused at admission (request rates, token and cost budgets, the account's backlog), per
-- account, UTC day (YYYY-MM-DD) and kind. Nodes count them in memory and add their counts every few
-- seconds, so a flood of refused requests is a few upserts, and every node's counts add up.
CREATE TABLE admission_refusals (
    account_id  TEXT NOT NULL,
    day         TEXT NOT NULL,
    kind        TEXT NOT NULL,
    refused     BIGINT NOT NULL,
    PRIMARY KEY (account_id, day, kind)
);

-- Every account's refusals over a period, for the admin's view of all accounts.
CREATE INDEX admission_refusals_by_day ON admission_refusals (day);
