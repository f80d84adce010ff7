-- Every claim first settles the running jobs whose lease expired: this
-- partial index finds them by expiry without reading any other job, and
-- stays as small as the number of running jobs.
CREATE INDEX weft_jobs_leases ON weft_jobs (lease_expires_at) WHERE state = 'running';
