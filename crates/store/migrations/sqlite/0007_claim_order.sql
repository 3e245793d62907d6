-- Claims take the lowest pending id of a scan's specification: with `id` in the index the next
-- job is its first entry rather than the result of a sort of every pending job.
CREATE INDEX scan_jobs_claim_order ON scan_jobs (scan_id, spec_id, state, id);
DROP INDEX scan_jobs_claim;
