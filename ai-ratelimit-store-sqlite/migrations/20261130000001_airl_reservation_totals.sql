-- Admission without reading the reservations: the row keeps the total of its reserved tokens
-- (`res_live`, every reservation still in the array) and a lower bound of their earliest
-- expiry (`res_next`, Unix microseconds; NULL: none). The array is read only once
-- `res_next` has passed, to drop the expired reservations.
ALTER TABLE airl_usage_counters ADD COLUMN res_live INTEGER NOT NULL DEFAULT 0;
ALTER TABLE airl_usage_counters ADD COLUMN res_next INTEGER;

-- Rows written before this migration.
UPDATE airl_usage_counters SET
    res_live = (SELECT coalesce(sum(r.value ->> 1), 0) FROM json_each(reservations) AS r),
    res_next = (SELECT min(r.value ->> 2) FROM json_each(reservations) AS r)
WHERE reservations <> '[]';
