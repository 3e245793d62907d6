mod scans;
