-- Group commit of admissions: several admissions (one element of each array per admission)
-- in one round trip and one transaction, applied in the order given with the logic of the
-- store's single admission statements (`Statements::admit_update`, then `admit_insert` when
-- the counter does not exist yet; keep them in step), one row per admission in that order.
-- Admissions of one hot identity take its row lock once per batch instead of waiting for it
-- one by one. Callers sort a batch by key, so that two batches never lock rows in opposite
-- orders (no deadlock between instances).
CREATE FUNCTION airl_admit_batch(
    scopes text[], period_ids text[], identities text[], tiers text[], reserves bigint[],
    expiries timestamptz[], nows timestamptz[], request_limits bigint[], token_limits bigint[],
    keeps boolean[], period_ends timestamptz[], fits boolean[])
RETURNS TABLE (o_admitted boolean, o_requests bigint, o_tokens bigint, o_seq bigint, o_live bigint)
LANGUAGE plpgsql
-- The table is found in the store's schema (where this migration runs), whatever the
-- caller's search_path.
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    a record;
BEGIN
    FOR a IN
        SELECT * FROM unnest(scopes, period_ids, identities, tiers, reserves, expiries, nows,
                             request_limits, token_limits, keeps, period_ends, fits)
            AS u(scope, period_id, identity, tier, reserve, expires, at, request_limit,
                 token_limit, keep, period_end, fits)
    LOOP
        -- The admission statement's decision, written once: update the counter; if it does
        -- not exist yet, create it as the first admission; if another transaction created
        -- it meanwhile (the insertion did nothing), update it after all.
        LOOP
            UPDATE airl_usage_counters AS c SET (requests, tier, res_seq, res_ids, res_tokens, res_expires, res_live, last_admitted) = (
                SELECT c.requests + d.inc,
                       CASE WHEN d.ok THEN a.tier::text ELSE c.tier END,
                       c.res_seq + d.inc,
                       CASE WHEN d.keep THEN c.res_ids[d.k + 1 : d.p] || (c.res_seq + 1) || c.res_ids[d.p + 1 :]
                              ELSE c.res_ids[d.k + 1 :] END,
                       CASE WHEN d.keep THEN c.res_tokens[d.k + 1 : d.p] || a.reserve::bigint || c.res_tokens[d.p + 1 :]
                              ELSE c.res_tokens[d.k + 1 :] END,
                       CASE WHEN d.keep THEN c.res_expires[d.k + 1 : d.p] || a.expires::timestamptz || c.res_expires[d.p + 1 :]
                              ELSE c.res_expires[d.k + 1 :] END,
                       CASE WHEN NOT d.keep THEN d.live
                            WHEN d.live > 9223372036854775807 - a.reserve::bigint THEN 9223372036854775807
                            ELSE d.live + a.reserve::bigint END,
                       d.ok
                FROM (SELECT l.k, l.live, l.ok, CASE WHEN l.ok THEN 1 ELSE 0 END AS inc,
                             l.ok AND a.keep::boolean AS keep,
                             width_bucket(a.expires::timestamptz, c.res_expires) AS p
                      FROM (SELECT x.k, x.live,
                                   (a.request_limit::bigint IS NULL OR c.requests < a.request_limit)
                                   AND (a.token_limit::bigint IS NULL OR x.live < a.token_limit - c.tokens) AS ok
                            FROM (SELECT e.k, GREATEST(c.res_live - CASE e.k WHEN 0 THEN 0 WHEN 1 THEN c.res_tokens[1] ELSE (SELECT sum(x)::bigint FROM unnest(c.res_tokens[1:e.k]) AS x) END, 0) AS live
                                  FROM (SELECT width_bucket(a.at::timestamptz, c.res_expires) AS k OFFSET 0) AS e
                                  OFFSET 0) AS x
                            OFFSET 0) AS l) AS d)
            WHERE c.scope = a.scope AND c.period_id = a.period_id AND c.identity = a.identity
            RETURNING c.last_admitted, c.requests, c.tokens, c.res_seq, c.res_live
                INTO o_admitted, o_requests, o_tokens, o_seq, o_live;
            EXIT WHEN FOUND;
            INSERT INTO airl_usage_counters AS c (scope, period_id, identity, period_end, tier,
                requests, res_seq, res_ids, res_tokens, res_expires, res_live, last_admitted)
            VALUES (a.scope, a.period_id, a.identity, a.period_end, CASE WHEN a.fits THEN a.tier::text END,
                CASE WHEN a.fits THEN 1 ELSE 0 END, CASE WHEN a.fits THEN 1 ELSE 0 END,
                CASE WHEN a.fits AND a.keep THEN ARRAY[1::bigint] ELSE '{}'::bigint[] END,
                CASE WHEN a.fits AND a.keep THEN ARRAY[a.reserve::bigint] ELSE '{}'::bigint[] END,
                CASE WHEN a.fits AND a.keep THEN ARRAY[a.expires::timestamptz] ELSE '{}'::timestamptz[] END,
                CASE WHEN a.fits AND a.keep THEN a.reserve::bigint ELSE 0 END, a.fits)
            ON CONFLICT (scope, period_id, identity) DO NOTHING
            RETURNING c.last_admitted, c.requests, c.tokens, c.res_seq, c.res_live
            INTO o_admitted, o_requests, o_tokens, o_seq, o_live;
            EXIT WHEN FOUND;
        END LOOP;
        RETURN NEXT;
    END LOOP;
END
$$;
