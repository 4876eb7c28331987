//! The store's SQL. Times are Unix microseconds; reservations are a JSON array of
//! `[id, tokens, expires_at]` in the counter row, always in SQLite's minified form
//! (`[[1,250,17…],[2,250,17…]]`: what its JSON functions write), in order of expiry (then
//! of id).
//!
//! The statements edit that text as a string instead of parsing it. A reservation is found
//! for settlement by `[<id>,` (an id is the only value that follows a `[` directly). Being in
//! order of expiry, the expired reservations are a prefix, cut one element at a time from the
//! front, and a new reservation goes in after the last one that expires no later, found one
//! element at a time from the back: each step reads one element (the text up to its `]`, or
//! back to its `[`), so the work grows with the elements passed, not with the array (usually
//! one expired reservation, and none passed when the new one expires last).

/// The admission's decision and counting, as the assignments of an `UPDATE` of the counter
/// `c` (the SET clause of `ADMIT_UPDATE` and of `ADMIT_INSERT`'s conflict). Parameters of both:
///   ?1 scope, ?2 period_id, ?3 identity, ?4 period_end, ?5 tier, ?6 reserve tokens,
///   ?7 reservation expiry, ?8 now, ?9 request limit, ?10 token limit,
///   ?11 whether an empty counter fits (decided in Rust by `AdmitRequest::fits`; used by
///   the insertion only), ?12 whether an admitted request's reservation is kept (it has
///   tokens and has not expired already).
///
/// A writing statement takes SQLite's write lock before it reads, so the decision and the
/// increment are atomic against every other connection and process on the file. The row is
/// always written (also when denied) so that RETURNING reports the usage that decided, like
/// the in-memory store.
///
/// `res_live` totals the reservations' tokens, `res_next` bounds their earliest expiry from
/// below and `res_last` their latest from above, so the common admission (nothing may have
/// expired, the new reservation expires last) appends to the array's text without reading it.
/// Only once `res_next` has passed is the expired prefix cut, handed on as one text (its
/// tokens, then the array left): without a loop when the first or second element is live
/// (the usual case: reservations expire about as often as they are made), else by `w`
/// (`n` elements, `gone` tokens). The first element's expiry, read from its text, is the new
/// exact `res_next`. A reservation
/// expiring before `res_last` goes in through `b`: `head` is the array's text without its
/// final `]` and less the elements moved so far to `tail`; the last element of `head` starts
/// at its last `[` (what `rtrim` of the characters an element holds leaves).
/// `LIMIT -1 OFFSET 0` keeps SQLite from flattening (and so repeating) the derived tables.
macro_rules! admit_assignments {
    () => {
        "(requests, tier, res_seq, reservations, res_live, res_next, res_last, last_admitted) = ( \
    SELECT c.requests + f.ok, \
           CASE WHEN f.ok THEN ?5 ELSE c.tier END, \
           c.res_seq + f.ok, \
           CASE WHEN NOT f.keep THEN f.kept \
                WHEN f.kept = '[]' THEN '[[' || (c.res_seq + 1) || ',' || ?6 || ',' || ?7 || ']]' \
                WHEN c.res_last <= ?7 THEN substr(f.kept, 1, length(f.kept) - 1) \
                     || ',[' || (c.res_seq + 1) || ',' || ?6 || ',' || ?7 || ']]' \
                ELSE (WITH RECURSIVE b(n, head, tail) AS ( \
                          SELECT 0, substr(f.kept, 1, length(f.kept) - 1), ']' \
                          UNION ALL \
                          SELECT n + 1, substr(head, 1, max(length(rtrim(head, '-0123456789,]')) - 2, 1)), \
                                 ',' || substr(head, length(rtrim(head, '-0123456789,]'))) || tail \
                          FROM b WHERE head <> '[' \
                                 AND substr(head, length(rtrim(head, '-0123456789,]'))) ->> 2 > ?7) \
                      SELECT head || CASE WHEN head = '[' THEN '' ELSE ',' END \
                             || '[' || (c.res_seq + 1) || ',' || ?6 || ',' || ?7 || ']' || tail \
                      FROM b ORDER BY n DESC LIMIT 1) END, \
           CASE WHEN f.keep THEN f.live + ?6 ELSE f.live END, \
           CASE WHEN f.keep THEN min(coalesce(f.next, ?7), ?7) ELSE f.next END, \
           CASE WHEN f.keep THEN CASE WHEN f.kept = '[]' THEN ?7 ELSE max(coalesce(c.res_last, ?7), ?7) END \
                WHEN f.kept = '[]' THEN NULL ELSE c.res_last END, \
           f.ok \
    FROM (SELECT l.kept, l.live, l.next, l.ok, l.ok AND ?12 AS keep \
          FROM (SELECT k.kept, k.live, k.next, \
                       ((?9 IS NULL OR c.requests < ?9) AND (?10 IS NULL OR k.live < ?10 - c.tokens)) AS ok \
                FROM (SELECT q.kept, q.live, \
                             CASE WHEN q.fresh THEN c.res_next WHEN q.kept = '[]' THEN NULL \
                                  ELSE substr(q.kept, 2, instr(q.kept, ']') - 1) ->> 2 END AS next \
                      FROM (SELECT p.fresh, \
                                   CASE WHEN p.fresh THEN c.reservations ELSE substr(p.cut, instr(p.cut, '[')) END AS kept, \
                                   CASE WHEN p.fresh THEN c.res_live ELSE c.res_live - CAST(p.cut AS INTEGER) END AS live \
                            FROM (SELECT o.fresh, \
                                         CASE WHEN o.fresh THEN NULL \
                                              WHEN c.reservations = '[]' THEN '0[]' \
                                              WHEN substr(c.reservations, 2, instr(c.reservations, ']') - 1) ->> 2 > ?8 \
                                                   THEN '0' || c.reservations \
                                              WHEN substr(c.reservations, instr(c.reservations, ']') + 2) = '' \
                                                   THEN (substr(c.reservations, 2, instr(c.reservations, ']') - 1) ->> 1) || '[]' \
                                              WHEN substr(substr(c.reservations, instr(c.reservations, ']') + 2), 1, \
                                                          instr(substr(c.reservations, instr(c.reservations, ']') + 2), ']')) ->> 2 > ?8 \
                                                   THEN (substr(c.reservations, 2, instr(c.reservations, ']') - 1) ->> 1) \
                                                        || '[' || substr(c.reservations, instr(c.reservations, ']') + 2) \
                                              ELSE ( \
                                      WITH RECURSIVE w(n, rest, gone) AS ( \
                                          SELECT 0, c.reservations, 0 \
                                          UNION ALL \
                                          SELECT n + 1, '[' || ltrim(substr(rest, instr(rest, ']') + 1), ','), \
                                                 gone + (substr(rest, 2, instr(rest, ']') - 1) ->> 1) \
                                          FROM w WHERE rest <> '[]' \
                                                 AND substr(rest, 2, instr(rest, ']') - 1) ->> 2 <= ?8) \
                                      SELECT gone || rest FROM w ORDER BY n DESC LIMIT 1) END AS cut \
                                  FROM (SELECT c.res_next IS NULL OR c.res_next > ?8 AS fresh) AS o \
                                  LIMIT -1 OFFSET 0) AS p \
                            LIMIT -1 OFFSET 0) AS q \
                      LIMIT -1 OFFSET 0) AS k \
                LIMIT -1 OFFSET 0) AS l) AS f)"
    };
}

/// The common admission: the counter exists. `RETURNING` gives no row when it does not,
/// and the admission goes on to `ADMIT_INSERT` (each statement is atomic on its own, and an
/// update that found no row changed nothing).
pub(crate) const ADMIT_UPDATE: &str = concat!(
    "UPDATE airl_usage_counters AS c SET ",
    admit_assignments!(),
    " WHERE c.scope = ?1 AND c.period_id = ?2 AND c.identity = ?3 \
     RETURNING last_admitted, requests, tokens, res_seq, res_live",
);

/// The first admission of an identity in a period (the update found no row): insert, or
/// decide on a row inserted concurrently meanwhile.
pub(crate) const ADMIT_INSERT: &str = concat!(
    "INSERT INTO airl_usage_counters AS c \
    (scope, period_id, identity, period_end, tier, requests, res_seq, reservations, res_live, \
     res_next, res_last, last_admitted) \
VALUES (?1, ?2, ?3, ?4, CASE WHEN ?11 THEN ?5 END, ?11, ?11, \
    CASE WHEN ?11 AND ?12 THEN json_array(json_array(1, ?6, ?7)) ELSE '[]' END, \
    CASE WHEN ?11 AND ?12 THEN ?6 ELSE 0 END, CASE WHEN ?11 AND ?12 THEN ?7 END, \
    CASE WHEN ?11 AND ?12 THEN ?7 END, ?11) \
ON CONFLICT (scope, period_id, identity) DO UPDATE SET ",
    admit_assignments!(),
    " RETURNING last_admitted, requests, tokens, res_seq, res_live",
);

/// The end of `SETTLE` and `RELEASE`: drops reservation ?4 of key (?1, ?2, ?3), if the row
/// still holds it, from the text of the array and its tokens from `res_live`.
///
/// `pos` is where its `[<id>,` starts (0: not held), `len` the length of its `[…]`. Its
/// tokens are the integer after `[<id>,`. Cutting it out takes the comma before it, or
/// after it when it comes first.
macro_rules! remove_reservation {
    () => {
        "(res_live, reservations) = ( \
    SELECT CASE WHEN s.pos = 0 THEN res_live \
                ELSE res_live - CAST(substr(reservations, s.pos + length(?4) + 2, 20) AS INTEGER) END, \
           CASE WHEN s.pos = 0 THEN reservations \
                WHEN s.pos = 2 THEN '[' || ltrim(substr(reservations, s.pos + s.len), ',') \
                ELSE substr(reservations, 1, s.pos - 2) || substr(reservations, s.pos + s.len) END \
    FROM (SELECT r.pos, CASE WHEN r.pos = 0 THEN 0 ELSE instr(substr(reservations, r.pos), ']') END AS len \
          FROM (SELECT instr(reservations, '[' || ?4 || ',') AS pos LIMIT -1 OFFSET 0) AS r \
          LIMIT -1 OFFSET 0) AS s) \
WHERE scope = ?1 AND period_id = ?2 AND identity = ?3"
    };
}

/// Drops reservation ?4 from the row (and its tokens from the total) and adds ?5 tokens.
/// `res_next` stays a lower bound.
pub(crate) const SETTLE: &str = concat!(
    "UPDATE airl_usage_counters SET \
    tokens = CASE WHEN tokens > 9223372036854775807 - ?5 THEN 9223372036854775807 ELSE tokens + ?5 END, ",
    remove_reservation!(),
);

/// Drops reservation ?4 from the row (and its tokens from the total) and un-counts its request.
pub(crate) const RELEASE: &str = concat!(
    "UPDATE airl_usage_counters SET requests = max(requests - 1, 0), ",
    remove_reservation!(),
);

/// One identity's usage, reservations live at ?4 only (read only if one may have expired).
pub(crate) const USAGE: &str = "\
SELECT requests, tokens, \
    CASE WHEN res_next IS NULL OR res_next > ?4 THEN res_live ELSE \
        (SELECT coalesce(sum(r.value ->> 1), 0) FROM json_each(reservations) AS r \
         WHERE r.value ->> 2 > ?4) END \
FROM airl_usage_counters WHERE scope = ?1 AND period_id = ?2 AND identity = ?3";

/// First page of a listing; ?3 rows. The scope's own counter (identity `''`, see
/// `ai_ratelimit_core::SCOPE_IDENTITY`) is no identity: listings and totals leave it out.
pub(crate) const LIST_FIRST: &str = "\
SELECT identity, tier, requests, tokens FROM airl_usage_counters \
WHERE scope = ?1 AND period_id = ?2 AND identity <> '' \
ORDER BY requests DESC, identity ASC LIMIT ?3";

/// A page after the cursor (?4 requests, ?5 identity); ?3 rows.
pub(crate) const LIST_AFTER: &str = "\
SELECT identity, tier, requests, tokens FROM airl_usage_counters \
WHERE scope = ?1 AND period_id = ?2 AND identity <> '' AND (requests < ?4 OR (requests = ?4 AND identity > ?5)) \
ORDER BY requests DESC, identity ASC LIMIT ?3";

/// Totals of a scope in a period.
pub(crate) const TOTALS: &str = "\
SELECT coalesce(sum(requests), 0), coalesce(sum(tokens), 0), count(*) \
FROM airl_usage_counters WHERE scope = ?1 AND period_id = ?2 AND identity <> ''";

/// Deletes the counters of periods that ended at or before ?1.
pub(crate) const PURGE: &str = "DELETE FROM airl_usage_counters WHERE period_end <= ?1";

/// Erases one identity's counter in one period (?1 scope, ?2 period_id, ?3 identity).
pub(crate) const FORGET: &str =
    "DELETE FROM airl_usage_counters WHERE scope = ?1 AND period_id = ?2 AND identity = ?3";
