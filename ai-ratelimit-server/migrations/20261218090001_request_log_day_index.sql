-- The usage reports read the per-day rollups since 20261217090001; no query filters the raw
-- log by day any more, so its (project_id, day) index only cost every insert a B-tree write.
DROP INDEX IF EXISTS request_log_project_day;
