//! The store's SQL, built once per store with its schema-qualified table name.

/// `bigint` maximum, to saturate sums the way the in-memory store saturates.
const BIGINT_MAX: &str = "9223372036854775807";

/// Every statement of the store, as text bound to one schema.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) admit: String,
    pub(crate) settle: String,
    pub(crate) release: String,
    pub(crate) usage: String,
    pub(crate) list_first: String,
    pub(crate) list_after: String,
    pub(crate) totals: String,
    pub(crate) purge: String,
}

impl Statements {
    /// `schema` must already be validated as a plain identifier.
    pub(crate) fn new(schema: &str) -> Self {
        let t = format!("\"{schema}\".airl_usage_counters");
        // Parameters of admit (one statement, one round trip):
        //   $1 scope, $2 period_id, $3 identity, $4 period_end, $5 tier, $6 reserve tokens,
        //   $7 reservation expiry, $8 now, $9 request limit, $10 token limit,
        //   $11 whether an empty counter fits (decided in Rust by `AdmitRequest::fits`).
        //
        // The decision and the increment happen under the row lock: admissions of one
        // identity serialize there, whatever the number of connections or instances.
        // The decision on the latest, locked version of an existing row, as column values.
        let decide = "(requests, tier, res_seq, res_ids, res_tokens, res_expires, last_admitted) = ( \
                 SELECT c.requests + f.inc, \
                        CASE WHEN f.ok THEN $5::text ELSE c.tier END, \
                        c.res_seq + f.inc, \
                        l.ids || CASE WHEN f.ok THEN ARRAY[c.res_seq + 1] ELSE '{}'::bigint[] END, \
                        l.toks || CASE WHEN f.ok THEN ARRAY[$6::bigint] ELSE '{}'::bigint[] END, \
                        l.exps || CASE WHEN f.ok THEN ARRAY[$7::timestamptz] ELSE '{}'::timestamptz[] END, \
                        f.ok \
                 FROM (SELECT coalesce(array_agg(r.i ORDER BY r.o), '{}') AS ids, \
                              coalesce(array_agg(r.t ORDER BY r.o), '{}') AS toks, \
                              coalesce(array_agg(r.e ORDER BY r.o), '{}') AS exps, \
                              coalesce(sum(r.t), 0) AS live \
                       FROM unnest(c.res_ids, c.res_tokens, c.res_expires) WITH ORDINALITY AS r(i, t, e, o) \
                       WHERE r.e > $8) AS l \
                 CROSS JOIN LATERAL (SELECT ok, CASE WHEN ok THEN 1 ELSE 0 END AS inc FROM ( \
                     SELECT ($9::bigint IS NULL OR c.requests + 1 <= $9) \
                        AND ($10::bigint IS NULL OR c.tokens + l.live < $10) AS ok) AS d) AS f)";
        let returning = format!(
            "RETURNING c.last_admitted, c.requests, c.tokens, c.res_seq, \
                 (SELECT LEAST(coalesce(sum(x), 0), {BIGINT_MAX})::bigint FROM unnest(c.res_tokens) AS x)"
        );
        // The common case updates the existing row: an UPDATE waiting on the row lock re-reads
        // the latest version (and re-evaluates `decide` on it) when the lock is released,
        // which under contention is cheaper than the speculative insertion of an upsert. A
        // missing row is inserted; a row inserted concurrently meanwhile is decided on by the
        // upsert's DO UPDATE, under its lock as well. Either way the row is written (also when
        // denied) so that RETURNING reports the usage that decided, like the in-memory store;
        // expired reservations are dropped on the way.
        let admit = format!(
            "WITH updated AS ( \
                 UPDATE {t} AS c SET {decide} \
                 WHERE c.scope = $1 AND c.period_id = $2 AND c.identity = $3 {returning}), \
             inserted AS ( \
                 INSERT INTO {t} AS c (scope, period_id, identity, period_end, tier, requests, res_seq, \
                     res_ids, res_tokens, res_expires, last_admitted) \
                 SELECT $1, $2, $3, $4, CASE WHEN $11 THEN $5::text END, CASE WHEN $11 THEN 1 ELSE 0 END, \
                     CASE WHEN $11 THEN 1 ELSE 0 END, \
                     CASE WHEN $11 THEN ARRAY[1::bigint] ELSE '{{}}'::bigint[] END, \
                     CASE WHEN $11 THEN ARRAY[$6::bigint] ELSE '{{}}'::bigint[] END, \
                     CASE WHEN $11 THEN ARRAY[$7::timestamptz] ELSE '{{}}'::timestamptz[] END, $11 \
                 WHERE NOT EXISTS (SELECT 1 FROM updated) \
                 ON CONFLICT (scope, period_id, identity) DO UPDATE SET {decide} {returning}) \
             SELECT * FROM updated UNION ALL SELECT * FROM inserted"
        );
        // Drops reservation $4 (if still held) from the arrays; shared by settle and release.
        let remove = |column: &str| {
            format!(
                "CASE WHEN p.pos IS NULL THEN c.{column} \
                 ELSE c.{column}[:p.pos - 1] || c.{column}[p.pos + 1:] END"
            )
        };
        let (ids, toks, exps) = (
            remove("res_ids"),
            remove("res_tokens"),
            remove("res_expires"),
        );
        let position = "FROM (SELECT array_position(c.res_ids, $4::bigint) AS pos) AS p";
        let key = "c.scope = $1 AND c.period_id = $2 AND c.identity = $3";
        let settle = format!(
            "UPDATE {t} AS c SET (tokens, res_ids, res_tokens, res_expires) = ( \
                 SELECT LEAST(c.tokens::numeric + $5::bigint, {BIGINT_MAX})::bigint, {ids}, {toks}, {exps} {position}) \
             WHERE {key}"
        );
        let release = format!(
            "UPDATE {t} AS c SET (requests, res_ids, res_tokens, res_expires) = ( \
                 SELECT GREATEST(c.requests - 1, 0), {ids}, {toks}, {exps} {position}) \
             WHERE {key}"
        );
        let usage = format!(
            "SELECT c.requests, c.tokens, \
                 (SELECT LEAST(coalesce(sum(r.t), 0), {BIGINT_MAX})::bigint \
                  FROM unnest(c.res_tokens, c.res_expires) AS r(t, e) WHERE r.e > $4) \
             FROM {t} AS c WHERE {key}"
        );
        let list = format!(
            "SELECT identity, tier, requests, tokens FROM {t} WHERE scope = $1 AND period_id = $2"
        );
        let order = "ORDER BY requests DESC, identity ASC";
        let list_first = format!("{list} {order} LIMIT $3");
        let list_after = format!(
            "{list} AND (requests < $4 OR (requests = $4 AND identity > $5)) {order} LIMIT $3"
        );
        let totals = format!(
            "SELECT LEAST(coalesce(sum(requests), 0), {BIGINT_MAX})::bigint, \
                 LEAST(coalesce(sum(tokens), 0), {BIGINT_MAX})::bigint, count(*) \
             FROM {t} WHERE scope = $1 AND period_id = $2"
        );
        let purge = format!("DELETE FROM {t} WHERE period_end <= $1");
        Self {
            admit,
            settle,
            release,
            usage,
            list_first,
            list_after,
            totals,
            purge,
        }
    }
}
