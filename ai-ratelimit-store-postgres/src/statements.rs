//! The store's SQL, built once per store with its schema-qualified table name.

/// `bigint` maximum, to saturate sums the way the in-memory store saturates.
const BIGINT_MAX: &str = "9223372036854775807";

/// Every statement of the store, as text bound to one schema.
#[derive(Debug)]
pub(crate) struct Statements {
    pub(crate) admit_update: String,
    pub(crate) admit_insert: String,
    pub(crate) admit_batch: String,
    pub(crate) admit_capped: String,
    pub(crate) settle: String,
    pub(crate) release: String,
    pub(crate) usage: String,
    pub(crate) list_first: String,
    pub(crate) list_after: String,
    pub(crate) totals: String,
    pub(crate) purge: String,
    pub(crate) forget: String,
}

impl Statements {
    /// `schema` must already be validated as a plain identifier.
    pub(crate) fn new(schema: &str) -> Self {
        let t = format!("\"{schema}\".airl_usage_counters");
        // Parameters of both admission statements:
        //   $1 scope, $2 period_id, $3 identity, $4 tier, $5 reserve tokens, $6 reservation
        //   expiry, $7 now, $8 request limit, $9 token limit, $10 whether an admitted request's
        //   reservation is kept (it has tokens and has not expired already);
        // and of the insertion only: $11 period_end, $12 whether an empty counter fits
        // (both decided in Rust, by `AdmitRequest::fits` for the latter).
        //
        // The decision and the increment happen under the row lock: admissions of one
        // identity serialize there, whatever the number of connections or instances. The
        // reservation arrays are sorted by expiry and `res_live` totals their tokens, so the
        // expired ones are the first `k` (binary search by `width_bucket`), the live total is
        // `res_live` less their tokens, and the new reservation goes in at its place in
        // order: slices and concatenations, with no unnesting (a scan is only needed to sum
        // two or more expired reservations at once). The `OFFSET 0` fences keep the planner
        // from inlining (and so repeating) the intermediate values. The batch function of
        // migration 20261130190001 (`airl_admit_batch`) repeats both admission statements
        // with its loop variables in place of the parameters: change them together.
        let live = "c.res_live - CASE e.k WHEN 0 THEN 0 WHEN 1 THEN c.res_tokens[1] \
             ELSE (SELECT sum(x)::bigint FROM unnest(c.res_tokens[1:e.k]) AS x) END";
        let keep_or_purge = |column: &str, new: &str| {
            format!(
                "CASE WHEN d.keep THEN c.{column}[d.k + 1 : d.p] || {new} || c.{column}[d.p + 1 :] \
                 ELSE c.{column}[d.k + 1 :] END"
            )
        };
        let decide = format!(
            "(requests, tier, res_seq, res_ids, res_tokens, res_expires, res_live, last_admitted) = ( \
                 SELECT c.requests + d.inc, \
                        CASE WHEN d.ok THEN $4::text ELSE c.tier END, \
                        c.res_seq + d.inc, \
                        {ids}, {toks}, {exps}, \
                        CASE WHEN NOT d.keep THEN d.live \
                             WHEN d.live > {BIGINT_MAX} - $5::bigint THEN {BIGINT_MAX} \
                             ELSE d.live + $5::bigint END, \
                        d.ok \
                 FROM (SELECT l.k, l.live, l.ok, CASE WHEN l.ok THEN 1 ELSE 0 END AS inc, \
                              l.ok AND $10::boolean AS keep, \
                              width_bucket($6::timestamptz, c.res_expires) AS p \
                       FROM (SELECT x.k, x.live, \
                                    ($8::bigint IS NULL OR c.requests < $8) \
                                    AND ($9::bigint IS NULL OR x.live < $9 - c.tokens) AS ok \
                             FROM (SELECT e.k, GREATEST({live}, 0) AS live \
                                   FROM (SELECT width_bucket($7::timestamptz, c.res_expires) AS k OFFSET 0) AS e \
                                   OFFSET 0) AS x \
                             OFFSET 0) AS l) AS d)",
            ids = keep_or_purge("res_ids", "(c.res_seq + 1)"),
            toks = keep_or_purge("res_tokens", "$5::bigint"),
            exps = keep_or_purge("res_expires", "$6::timestamptz"),
        );
        let returning = "RETURNING c.last_admitted, c.requests, c.tokens, c.res_seq, c.res_live";
        // The common case: the counter exists. An UPDATE waiting on the row lock re-reads the
        // latest version (and re-evaluates `decide` on it) when the lock is released.
        let admit_update = format!(
            "UPDATE {t} AS c SET {decide} \
             WHERE c.scope = $1 AND c.period_id = $2 AND c.identity = $3 {returning}"
        );
        // The first admission of an identity in a period (the update found no row): insert,
        // or decide under the lock on a row inserted concurrently meanwhile. Either way the
        // row is written (also when denied) so that RETURNING reports the usage that decided,
        // like the in-memory store.
        let admit_insert = format!(
            "INSERT INTO {t} AS c (scope, period_id, identity, period_end, tier, requests, res_seq, \
                 res_ids, res_tokens, res_expires, res_live, last_admitted) \
             VALUES ($1, $2, $3, $11, CASE WHEN $12 THEN $4::text END, \
                 CASE WHEN $12 THEN 1 ELSE 0 END, CASE WHEN $12 THEN 1 ELSE 0 END, \
                 CASE WHEN $12 AND $10 THEN ARRAY[1::bigint] ELSE '{{}}'::bigint[] END, \
                 CASE WHEN $12 AND $10 THEN ARRAY[$5::bigint] ELSE '{{}}'::bigint[] END, \
                 CASE WHEN $12 AND $10 THEN ARRAY[$6::timestamptz] ELSE '{{}}'::timestamptz[] END, \
                 CASE WHEN $12 AND $10 THEN $5::bigint ELSE 0 END, $12) \
             ON CONFLICT (scope, period_id, identity) DO UPDATE SET {decide} {returning}"
        );
        // Several admissions in one round trip: arrays of the parameters above ($1 to $12,
        // one element per admission), one row per admission in their order.
        let admit_batch = format!(
            "SELECT o_admitted, o_requests, o_tokens, o_seq, o_live \
             FROM \"{schema}\".airl_admit_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        // An admission capped project-wide (migration 20261216000001): the parameters of the
        // insertion ($1 to $12), then $13 the cap's request limit, $14 its token limit, $15
        // whether an empty scope counter fits.
        let admit_capped = format!(
            "SELECT o_admitted, o_requests, o_tokens, o_seq, o_live, o_scope_admitted, \
                 o_scope_requests, o_scope_tokens, o_scope_seq, o_scope_live \
             FROM \"{schema}\".airl_admit_capped($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, \
                 $12, $13, $14, $15)"
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
        // Removing an element keeps the arrays sorted; `res_live` loses its tokens.
        let live_after = "CASE WHEN p.pos IS NULL THEN c.res_live \
                          ELSE GREATEST(c.res_live - c.res_tokens[p.pos], 0) END";
        // Saturating in bigint ($5 is never negative), not through numeric: settling is half
        // of every request's writes.
        let settle = format!(
            "UPDATE {t} AS c SET (tokens, res_ids, res_tokens, res_expires, res_live) = ( \
                 SELECT CASE WHEN c.tokens > {BIGINT_MAX} - $5::bigint THEN {BIGINT_MAX} \
                             ELSE c.tokens + $5::bigint END, \
                        {ids}, {toks}, {exps}, {live_after} {position}) \
             WHERE {key}"
        );
        let release = format!(
            "UPDATE {t} AS c SET (requests, res_ids, res_tokens, res_expires, res_live) = ( \
                 SELECT GREATEST(c.requests - 1, 0), {ids}, {toks}, {exps}, {live_after} {position}) \
             WHERE {key}"
        );
        // Live reservations at $4: the total less the expired prefix (as in admission).
        let usage = format!(
            "SELECT c.requests, c.tokens, GREATEST({live}, 0) \
             FROM {t} AS c CROSS JOIN LATERAL \
                 (SELECT width_bucket($4::timestamptz, c.res_expires) AS k) AS e \
             WHERE {key}"
        );
        // The scope's own counter (identity '', see `ai_ratelimit_core::SCOPE_IDENTITY`) is
        // no identity: listings and totals leave it out.
        let list = format!(
            "SELECT identity, tier, requests, tokens FROM {t} \
             WHERE scope = $1 AND period_id = $2 AND identity <> ''"
        );
        let order = "ORDER BY requests DESC, identity ASC";
        let list_first = format!("{list} {order} LIMIT $3");
        let list_after = format!(
            "{list} AND (requests < $4 OR (requests = $4 AND identity > $5)) {order} LIMIT $3"
        );
        let totals = format!(
            "SELECT LEAST(coalesce(sum(requests), 0), {BIGINT_MAX})::bigint, \
                 LEAST(coalesce(sum(tokens), 0), {BIGINT_MAX})::bigint, count(*) \
             FROM {t} WHERE scope = $1 AND period_id = $2 AND identity <> ''"
        );
        let purge = format!("DELETE FROM {t} WHERE period_end <= $1");
        let forget =
            format!("DELETE FROM {t} WHERE scope = $1 AND period_id = $2 AND identity = $3");
        Self {
            admit_update,
            admit_insert,
            admit_batch,
            admit_capped,
            settle,
            release,
            usage,
            list_first,
            list_after,
            totals,
            purge,
            forget,
        }
    }
}
