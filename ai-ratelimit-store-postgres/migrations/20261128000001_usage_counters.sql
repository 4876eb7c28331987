-- AI Ratelimit usage counters. Runs with search_path set to the store's own schema, which
-- also holds this migration set's `_sqlx_migrations` table.
--
-- One row per (scope, period, identity). In-flight reservations live in the row itself as
-- parallel arrays (id, tokens, expiry), so that admission is one conditional upsert that
-- sees and locks everything it decides on.
CREATE TABLE airl_usage_counters (
    scope       TEXT COLLATE "C" NOT NULL,
    period_id   TEXT COLLATE "C" NOT NULL,
    identity    TEXT COLLATE "C" NOT NULL,
    period_end  TIMESTAMPTZ NOT NULL,
    tier        TEXT,
    requests    BIGINT NOT NULL DEFAULT 0,
    tokens      BIGINT NOT NULL DEFAULT 0,
    -- Last reservation id issued for this row; ids are unique within the key.
    res_seq     BIGINT NOT NULL DEFAULT 0,
    res_ids     BIGINT[] NOT NULL DEFAULT '{}',
    res_tokens  BIGINT[] NOT NULL DEFAULT '{}',
    res_expires TIMESTAMPTZ[] NOT NULL DEFAULT '{}',
    -- Whether the latest admission attempt on this row was admitted (read back by RETURNING).
    last_admitted BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (scope, period_id, identity)
) WITH (fillfactor = 80);

-- No index covers `requests`: admissions then change no indexed column, so their updates
-- are HOT (no index entries per admission, no dead index entries for a hot identity to walk).
-- Listings find a scope's period through the primary key and sort its rows.

-- Eviction of ended periods.
CREATE INDEX airl_usage_counters_period_end ON airl_usage_counters (period_end);
