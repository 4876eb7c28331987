-- Admission without scanning the reservations: the row keeps the total of its reserved tokens
-- (`res_live`, every reservation still in the arrays), and the arrays are kept sorted by
-- expiry, so the expired reservations are a prefix found by binary search (`width_bucket`).
ALTER TABLE airl_usage_counters ADD COLUMN res_live BIGINT NOT NULL DEFAULT 0;

-- Rows written before this migration: sort their reservations by expiry and total them.
UPDATE airl_usage_counters AS c
SET (res_ids, res_tokens, res_expires, res_live) = (
    SELECT array_agg(r.i ORDER BY r.e, r.o), array_agg(r.t ORDER BY r.e, r.o),
           array_agg(r.e ORDER BY r.e, r.o), LEAST(sum(r.t), 9223372036854775807)::bigint
    FROM unnest(c.res_ids, c.res_tokens, c.res_expires) WITH ORDINALITY AS r(i, t, e, o))
WHERE cardinality(c.res_ids) > 0;
