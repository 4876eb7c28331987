-- AI Ratelimit usage counters. The database file may be shared with an application that
-- has its own sqlx migrations in the same `_sqlx_migrations` table: this crate's versions
-- are distinct and its migrator ignores versions it does not know (the application's
-- migrator must do the same). Every object is prefixed `airl_`.
--
-- One row per (scope, period, identity). In-flight reservations live in the row as a JSON
-- array of [id, tokens, expires_at_unix_micros], so that admission is one upsert statement.
CREATE TABLE IF NOT EXISTS airl_usage_counters (
    scope         TEXT NOT NULL,
    period_id     TEXT NOT NULL,
    identity      TEXT NOT NULL,
    -- Unix microseconds.
    period_end    INTEGER NOT NULL,
    tier          TEXT,
    requests      INTEGER NOT NULL DEFAULT 0,
    tokens        INTEGER NOT NULL DEFAULT 0,
    -- Last reservation id issued for this row; ids are unique within the key.
    res_seq       INTEGER NOT NULL DEFAULT 0,
    reservations  TEXT NOT NULL DEFAULT '[]',
    -- Whether the latest admission attempt on this row was admitted (read back by RETURNING).
    last_admitted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (scope, period_id, identity)
) WITHOUT ROWID;

-- No index covers `requests`, so an admission rewrites the row and no index. Listings find a
-- scope's period through the primary key and sort its rows (BINARY collation = byte order).

-- Eviction of ended periods.
CREATE INDEX IF NOT EXISTS airl_usage_counters_period_end ON airl_usage_counters (period_end);
