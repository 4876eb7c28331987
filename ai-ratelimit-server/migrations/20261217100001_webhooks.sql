-- Issue 19: webhooks on limit events, delivered from a durable outbox.

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    url TEXT NOT NULL,
    -- Subscribed event types, comma-separated.
    events TEXT NOT NULL,
    description TEXT,
    -- The signing secret `whsec_…`, encrypted like provider keys (AES-256-GCM, the webhook id
    -- as associated data).
    secret_encrypted TEXT NOT NULL,
    -- 1 = enabled (0 after failing for 24 hours, or by the user).
    enabled BIGINT NOT NULL,
    -- Start of the current run of failed attempts (NULL: the last attempt succeeded).
    failing_since BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX webhooks_project ON webhooks (project_id);

-- One row per event and endpoint: the outbox and the delivery log at once.
CREATE TABLE webhook_deliveries (
    -- The event id (`webhook-id`, the same on every retry).
    id TEXT PRIMARY KEY,
    webhook_id TEXT NOT NULL,
    project_id TEXT NOT NULL,
    -- The end user the event is about (NULL: none, e.g. a test event), so that erasing an
    -- identity erases its events too.
    identity TEXT,
    event_type TEXT NOT NULL,
    -- Once per endpoint, event type, identity (or project) and period: a second insert of the
    -- same key does nothing.
    dedup_key TEXT NOT NULL UNIQUE,
    -- The signed JSON body (metadata only).
    payload TEXT NOT NULL,
    -- pending | delivered | failed
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    last_response_status BIGINT,
    -- Due time; a claim moves it forward by a lease, so a crashed deliverer's claim expires.
    next_attempt_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
CREATE INDEX webhook_deliveries_identity ON webhook_deliveries (project_id, identity);
