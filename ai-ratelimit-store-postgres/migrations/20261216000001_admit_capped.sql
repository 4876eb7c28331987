-- Project-wide caps (issue 18): one admission counted in its identity's row and in the
-- scope's own row (identity '', never an identity of a request) in one atomic step.
-- The scope's row is created if missing and locked first, so capped admissions of a scope
-- serialize on it across every connection and instance; the cap is decided on that locked
-- row, then the identity's admission runs with the logic of `airl_admit_batch` (its row
-- locked next: always scope, then identity, so no two capped admissions deadlock), and only
-- if it admitted is the scope's row counted the same way. A denial by either counts in
-- neither. The first five columns answer for the identity as `airl_admit_batch` does; the
-- `o_scope_*` ones are the scope's row (NULL when the identity's own limits denied).
CREATE FUNCTION airl_admit_capped(
    p_scope text, p_period_id text, p_identity text, p_tier text, p_reserve bigint,
    p_expires timestamptz, p_now timestamptz, p_request_limit bigint, p_token_limit bigint,
    p_keep boolean, p_period_end timestamptz, p_fits boolean,
    p_cap_requests bigint, p_cap_tokens bigint, p_cap_fits boolean)
RETURNS TABLE (o_admitted boolean, o_requests bigint, o_tokens bigint, o_seq bigint, o_live bigint,
               o_scope_admitted boolean, o_scope_requests bigint, o_scope_tokens bigint,
               o_scope_seq bigint, o_scope_live bigint)
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
    s record;
    i record;
    s_live bigint;
    i_live bigint;
    b record;
    c record;
BEGIN
    INSERT INTO airl_usage_counters (scope, period_id, identity, period_end)
    VALUES (p_scope, p_period_id, '', p_period_end)
    ON CONFLICT (scope, period_id, identity) DO NOTHING;
    SELECT * INTO s FROM airl_usage_counters
    WHERE scope = p_scope AND period_id = p_period_id AND identity = '' FOR UPDATE;
    SELECT coalesce(sum(r.t), 0)::bigint INTO s_live
    FROM unnest(s.res_tokens, s.res_expires) AS r(t, e) WHERE r.e > p_now;
    IF NOT ((p_cap_requests IS NULL OR s.requests < p_cap_requests)
            AND (p_cap_tokens IS NULL OR s_live < p_cap_tokens - s.tokens)) THEN
        -- Denied by the cap, or by the identity's own limits: which one, from its row.
        SELECT * INTO i FROM airl_usage_counters
        WHERE scope = p_scope AND period_id = p_period_id AND identity = p_identity;
        IF FOUND THEN
            SELECT coalesce(sum(r.t), 0)::bigint INTO i_live
            FROM unnest(i.res_tokens, i.res_expires) AS r(t, e) WHERE r.e > p_now;
            IF NOT ((p_request_limit IS NULL OR i.requests < p_request_limit)
                    AND (p_token_limit IS NULL OR i_live < p_token_limit - i.tokens)) THEN
                RETURN QUERY SELECT false, i.requests, i.tokens, 0::bigint, i_live,
                    NULL::boolean, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint;
                RETURN;
            END IF;
            RETURN QUERY SELECT false, i.requests, i.tokens, 0::bigint, i_live,
                false, s.requests, s.tokens, 0::bigint, s_live;
            RETURN;
        END IF;
        IF NOT p_fits THEN
            RETURN QUERY SELECT false, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
                NULL::boolean, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint;
            RETURN;
        END IF;
        RETURN QUERY SELECT false, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
            false, s.requests, s.tokens, 0::bigint, s_live;
        RETURN;
    END IF;
    SELECT * INTO b FROM airl_admit_batch(ARRAY[p_scope], ARRAY[p_period_id], ARRAY[p_identity],
        ARRAY[p_tier], ARRAY[p_reserve], ARRAY[p_expires], ARRAY[p_now], ARRAY[p_request_limit],
        ARRAY[p_token_limit], ARRAY[p_keep], ARRAY[p_period_end], ARRAY[p_fits]);
    IF NOT b.o_admitted THEN
        RETURN QUERY SELECT b.o_admitted, b.o_requests, b.o_tokens, b.o_seq, b.o_live,
            NULL::boolean, NULL::bigint, NULL::bigint, NULL::bigint, NULL::bigint;
        RETURN;
    END IF;
    SELECT * INTO c FROM airl_admit_batch(ARRAY[p_scope], ARRAY[p_period_id], ARRAY[''],
        ARRAY[NULL::text], ARRAY[p_reserve], ARRAY[p_expires], ARRAY[p_now],
        ARRAY[p_cap_requests], ARRAY[p_cap_tokens], ARRAY[p_keep], ARRAY[p_period_end],
        ARRAY[p_cap_fits]);
    RETURN QUERY SELECT b.o_admitted, b.o_requests, b.o_tokens, b.o_seq, b.o_live,
        c.o_admitted, c.o_requests, c.o_tokens, c.o_seq, c.o_live;
END
$$;
