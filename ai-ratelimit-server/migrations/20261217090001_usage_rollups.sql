-- Issue 19: per-day rollups, so that reports read O(days) rows and stay exact when the request
-- log (lossy by design under pressure, and pruned after REQUEST_LOG_RETENTION_DAYS) drops rows.
-- Updated by upserts of increments aggregated in memory (src/reports/rollup.rs).

-- One row per project and UTC day.
CREATE TABLE usage_daily (
    project_id TEXT NOT NULL,
    -- YYYY-MM-DD (UTC).
    day TEXT NOT NULL,
    -- Admitted requests that were answered (not failed upstream), and their tokens.
    requests BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0,
    -- Denied requests (429/503) and admitted requests that failed upstream.
    limited BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day)
);

-- One row per project, identity and UTC day: unique identities of a period, per-identity
-- totals of a date range; erased with the identity.
CREATE TABLE usage_identity_daily (
    project_id TEXT NOT NULL,
    identity TEXT NOT NULL,
    day TEXT NOT NULL,
    -- Tier of the identity's latest request that day.
    tier TEXT,
    requests BIGINT NOT NULL DEFAULT 0,
    tokens BIGINT NOT NULL DEFAULT 0,
    limited BIGINT NOT NULL DEFAULT 0,
    errors BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, identity)
);
CREATE INDEX usage_identity_daily_identity ON usage_identity_daily (project_id, identity);

-- The log's history so far.
INSERT INTO usage_daily (project_id, day, requests, tokens, limited, errors)
SELECT project_id, day,
    SUM(CASE WHEN status = 'allowed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'allowed' THEN tokens ELSE 0 END),
    SUM(CASE WHEN status = 'limited' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END)
FROM request_log GROUP BY project_id, day;

INSERT INTO usage_identity_daily (project_id, identity, day, tier, requests, tokens, limited, errors)
SELECT project_id, identity, day, MAX(tier),
    SUM(CASE WHEN status = 'allowed' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'allowed' THEN tokens ELSE 0 END),
    SUM(CASE WHEN status = 'limited' THEN 1 ELSE 0 END),
    SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END)
FROM request_log GROUP BY project_id, identity, day;

-- Retention pruning walks the log by age; erasure finds an identity's rows.
CREATE INDEX request_log_created ON request_log (created_at);
CREATE INDEX request_log_project_identity ON request_log (project_id, identity);
