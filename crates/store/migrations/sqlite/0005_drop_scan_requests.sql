-- Scan requests were recorded and never read: a scan is the record of what was asked.
DROP TABLE IF EXISTS scan_requests;
