-- Reservations in order of expiry (then of id), so that admission cuts the expired ones as a
-- prefix and finds a new one's place from the end, reading only the elements it passes.
-- `res_last` bounds the latest expiry from above (NULL: none), so that a reservation expiring
-- last is appended without reading any.
ALTER TABLE airl_usage_counters ADD COLUMN res_last INTEGER;

-- Rows written before this migration: their arrays were in order of id.
UPDATE airl_usage_counters SET
    reservations = (SELECT '[' || group_concat(r.value, ',' ORDER BY r.value ->> 2, r.value ->> 0) || ']'
                    FROM json_each(reservations) AS r),
    res_next = (SELECT min(r.value ->> 2) FROM json_each(reservations) AS r),
    res_last = (SELECT max(r.value ->> 2) FROM json_each(reservations) AS r)
WHERE reservations <> '[]';
