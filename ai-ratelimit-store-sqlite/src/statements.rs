//! The store's SQL. Times are Unix microseconds; reservations are a JSON array of
//! `[id, tokens, expires_at]` in the counter row.

/// One admission, one statement. Parameters:
///   ?1 scope, ?2 period_id, ?3 identity, ?4 period_end, ?5 tier, ?6 reserve tokens,
///   ?7 reservation expiry, ?8 now, ?9 request limit, ?10 token limit,
///   ?11 whether an empty counter fits (decided in Rust by `AdmitRequest::fits`).
///
/// A writing statement takes SQLite's write lock before it reads, so the decision and the
/// increment are atomic against every other connection and process on the file. The row is
/// always written (also when denied) so that RETURNING reports the usage that decided, like
/// the in-memory store; expired reservations are dropped on the way.
pub(crate) const ADMIT: &str = "\
INSERT INTO airl_usage_counters AS c \
    (scope, period_id, identity, period_end, tier, requests, res_seq, reservations, last_admitted) \
VALUES (?1, ?2, ?3, ?4, CASE WHEN ?11 THEN ?5 END, ?11, ?11, \
    CASE WHEN ?11 THEN json_array(json_array(1, ?6, ?7)) ELSE '[]' END, ?11) \
ON CONFLICT (scope, period_id, identity) DO UPDATE SET \
    (requests, tier, res_seq, reservations, last_admitted) = ( \
    SELECT c.requests + f.ok, \
           CASE WHEN f.ok THEN ?5 ELSE c.tier END, \
           c.res_seq + f.ok, \
           CASE WHEN f.ok THEN json_insert(f.kept, '$[#]', json_array(c.res_seq + 1, ?6, ?7)) \
                ELSE f.kept END, \
           f.ok \
    FROM (SELECT l.kept, \
                 ((?9 IS NULL OR c.requests + 1 <= ?9) AND (?10 IS NULL OR c.tokens + l.live < ?10)) AS ok \
          FROM (SELECT json_group_array(r.value) AS kept, coalesce(sum(r.value ->> 1), 0) AS live \
                FROM json_each(c.reservations) AS r WHERE r.value ->> 2 > ?8) AS l) AS f) \
RETURNING last_admitted, requests, tokens, res_seq, \
    (SELECT coalesce(sum(r.value ->> 1), 0) FROM json_each(reservations) AS r)";

/// Drops reservation ?4 from the row and adds ?5 tokens.
pub(crate) const SETTLE: &str = "\
UPDATE airl_usage_counters SET \
    tokens = CASE WHEN tokens > 9223372036854775807 - ?5 THEN 9223372036854775807 ELSE tokens + ?5 END, \
    reservations = (SELECT json_group_array(r.value) FROM json_each(reservations) AS r \
                    WHERE r.value ->> 0 <> ?4) \
WHERE scope = ?1 AND period_id = ?2 AND identity = ?3";

/// Drops reservation ?4 from the row and un-counts its request.
pub(crate) const RELEASE: &str = "\
UPDATE airl_usage_counters SET \
    requests = max(requests - 1, 0), \
    reservations = (SELECT json_group_array(r.value) FROM json_each(reservations) AS r \
                    WHERE r.value ->> 0 <> ?4) \
WHERE scope = ?1 AND period_id = ?2 AND identity = ?3";

/// One identity's usage, reservations live at ?4 only.
pub(crate) const USAGE: &str = "\
SELECT requests, tokens, \
    (SELECT coalesce(sum(r.value ->> 1), 0) FROM json_each(reservations) AS r WHERE r.value ->> 2 > ?4) \
FROM airl_usage_counters WHERE scope = ?1 AND period_id = ?2 AND identity = ?3";

/// First page of a listing; ?3 rows.
pub(crate) const LIST_FIRST: &str = "\
SELECT identity, tier, requests, tokens FROM airl_usage_counters \
WHERE scope = ?1 AND period_id = ?2 \
ORDER BY requests DESC, identity ASC LIMIT ?3";

/// A page after the cursor (?4 requests, ?5 identity); ?3 rows.
pub(crate) const LIST_AFTER: &str = "\
SELECT identity, tier, requests, tokens FROM airl_usage_counters \
WHERE scope = ?1 AND period_id = ?2 AND (requests < ?4 OR (requests = ?4 AND identity > ?5)) \
ORDER BY requests DESC, identity ASC LIMIT ?3";

/// Totals of a scope in a period.
pub(crate) const TOTALS: &str = "\
SELECT coalesce(sum(requests), 0), coalesce(sum(tokens), 0), count(*) \
FROM airl_usage_counters WHERE scope = ?1 AND period_id = ?2";

/// Deletes the counters of periods that ended at or before ?1.
pub(crate) const PURGE: &str = "DELETE FROM airl_usage_counters WHERE period_end <= ?1";
