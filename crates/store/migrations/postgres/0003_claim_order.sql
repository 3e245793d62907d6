-- Claims take the lowest pending id of a scan's specification: with `id` in the index the next
-- job is its first entry, instead of a sort of every pending job on each claim (which made a
-- claim cost grow with the queue: 234 claims/s on 20,000 jobs).
CREATE INDEX scan_jobs_claim_order ON scan_jobs (scan_id, spec_id, state, id);
DROP INDEX scan_jobs_claim;
