-- A model call is on record before it is made: every call takes a reservation (with no holds when
-- no limit applies) carrying the charge to record if the call's answer never is: its estimate.
-- Reservations from before this version have none and are released at expiry as they were.
ALTER TABLE reservations ADD COLUMN estimate json;

-- The jobs a restarted node takes back look up their reservations still held.
CREATE INDEX reservations_held_by_job ON reservations (job_id) WHERE state = 'held';

-- True for a call charged at its reservation's estimate because its outcome is unknown (the node
-- died mid-call); replaced by the provider's figures should they arrive after all.
ALTER TABLE usage_ledger ADD COLUMN unknown_outcome boolean NOT NULL DEFAULT false;
