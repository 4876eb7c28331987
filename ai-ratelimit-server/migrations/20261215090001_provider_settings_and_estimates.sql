-- Issue 20: provider-specific project settings (validated JSON: Azure deployments and
-- api-version, Gemini safety settings, Cohere options; never a key, which stays in
-- provider_api_key_encrypted), and a request-log flag for tokens that are the proxy's
-- estimate because the provider reported no usage (0 = reported, 1 = estimated; an integer,
-- as every flag of this portable schema).
ALTER TABLE projects ADD COLUMN provider_settings TEXT;
ALTER TABLE request_log ADD COLUMN tokens_estimated BIGINT NOT NULL DEFAULT 0;
