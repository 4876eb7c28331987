-- Issue 18: signed identities. A project may require every proxied call to carry an HS256
-- JWT signed with its identity secret (AES-256-GCM at rest like the provider key, with
-- "<project id>/identity-secret" as associated data). A rotated-out secret stays valid until
-- identity_secret_previous_valid_until (milliseconds since the epoch).
ALTER TABLE projects ADD COLUMN require_signed_identity BIGINT NOT NULL DEFAULT 0;
ALTER TABLE projects ADD COLUMN identity_secret_encrypted TEXT;
ALTER TABLE projects ADD COLUMN identity_secret_previous_encrypted TEXT;
ALTER TABLE projects ADD COLUMN identity_secret_previous_valid_until BIGINT;
