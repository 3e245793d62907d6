-- Engine state that must survive a restart and be visible to every process sharing the database.

-- A job returned to the queue for a retry is not claimed before this time (Unix seconds);
-- NULL: at once. The wait lives in the row, not in a sleeping worker.
ALTER TABLE scan_jobs ADD COLUMN not_before INTEGER;

-- 1 once an on-demand scan's finished progress was reported (it is reported once, then `[]`).
ALTER TABLE scans ADD COLUMN progress_reported INTEGER NOT NULL DEFAULT 0;
