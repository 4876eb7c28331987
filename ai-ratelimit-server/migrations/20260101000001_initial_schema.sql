-- Portable between SQLite and PostgreSQL: ids are TEXT (uuid), times BIGINT (Unix milliseconds),
-- so one query text serves both databases through sqlx's `Any` driver.

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- Lower-cased name: organization names are unique case-insensitively.
    name_key TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    -- Stored lower-cased.
    email TEXT NOT NULL UNIQUE,
    organization_id TEXT NOT NULL REFERENCES organizations (id),
    -- Argon2id PHC string; NULL for magic-link-only accounts.
    password_hash TEXT,
    created_at BIGINT NOT NULL
);

CREATE TABLE magic_links (
    -- SHA-256 (hex) of the token: the token itself is never stored.
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX magic_links_user ON magic_links (user_id);

CREATE TABLE projects (
    id TEXT PRIMARY KEY,
    -- NULL for projects created through the admin API.
    organization_id TEXT REFERENCES organizations (id),
    name TEXT NOT NULL,
    project_key TEXT NOT NULL UNIQUE,
    provider TEXT NOT NULL,
    base_url TEXT,
    -- AES-256-GCM: "v1:" + base64(nonce || ciphertext), the project id as associated data.
    provider_api_key_encrypted TEXT,
    provider_api_key_preview TEXT,
    -- The validated policy as JSON (limitType, limits, tiers, rules, limitExceededResponse).
    policy TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX projects_organization_created ON projects (organization_id, created_at);

-- Metadata only: never a prompt, message or completion.
CREATE TABLE request_log (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    identity TEXT NOT NULL,
    tier TEXT,
    model TEXT,
    -- allowed | limited | error
    status TEXT NOT NULL,
    tokens BIGINT NOT NULL,
    latency_ms BIGINT NOT NULL,
    -- UTC date (YYYY-MM-DD) of created_at, for per-day aggregation in both dialects.
    day TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX request_log_project_day ON request_log (project_id, day);
CREATE INDEX request_log_project_created ON request_log (project_id, created_at);
