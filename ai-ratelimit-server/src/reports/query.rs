//! Reads of the rollups: each costs O(days) rows of `usage_daily` (plus, for unique
//! identities and per-identity totals, the identity-days of the range), never the raw log.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::{AnyPool, Row as _};

use super::rollup::Counts;

fn count(row: &sqlx::any::AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    let value: Option<i64> = row.try_get(column)?;
    Ok(u64::try_from(value.unwrap_or(0)).unwrap_or(0))
}

fn day(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A project's per-day totals from `from` to `to` (inclusive), by `YYYY-MM-DD`.
pub async fn days(
    pool: &AnyPool,
    project_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, Counts>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT day, requests, tokens, limited, errors FROM usage_daily \
         WHERE project_id = $1 AND day >= $2 AND day <= $3",
    )
    .bind(project_id)
    .bind(day(from))
    .bind(day(to))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.try_get::<String, _>("day")?,
                Counts {
                    requests: count(row, "requests")?,
                    tokens: count(row, "tokens")?,
                    limited: count(row, "limited")?,
                    errors: count(row, "errors")?,
                },
            ))
        })
        .collect()
}

/// Identities with admitted requests on each day from `from` to `to`, by `YYYY-MM-DD`.
pub async fn unique_per_day(
    pool: &AnyPool,
    project_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HashMap<String, u64>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT day, COUNT(*) AS identities FROM usage_identity_daily \
         WHERE project_id = $1 AND day >= $2 AND day <= $3 AND requests > 0 GROUP BY day",
    )
    .bind(project_id)
    .bind(day(from))
    .bind(day(to))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get::<String, _>("day")?, count(row, "identities")?)))
        .collect()
}

/// Distinct identities with admitted requests from `from` to `to`.
pub async fn unique_between(
    pool: &AnyPool,
    project_id: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<u64, sqlx::Error> {
    let row = sqlx::query(
        "SELECT COUNT(DISTINCT identity) AS identities FROM usage_identity_daily \
         WHERE project_id = $1 AND day >= $2 AND day <= $3 AND requests > 0",
    )
    .bind(project_id)
    .bind(day(from))
    .bind(day(to))
    .fetch_one(pool)
    .await?;
    count(&row, "identities")
}

/// One identity's totals over a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityTotals {
    /// The end user.
    pub identity: String,
    /// Tier of its latest day with a tier in the range.
    pub tier: Option<String>,
    /// Admitted requests.
    pub requests: u64,
    /// Their tokens.
    pub tokens: u64,
}

/// A page of identities active from `from` to `to`, most requests first, then by identity;
/// `after` is the `(requests, identity)` of the previous page's last item.
pub async fn identities_between(
    pool: &AnyPool,
    project_id: &str,
    from: NaiveDate,
    to: NaiveDate,
    after: Option<(u64, &str)>,
    limit: usize,
) -> Result<Vec<IdentityTotals>, sqlx::Error> {
    let (after_requests, after_identity) = after.unwrap_or((u64::MAX, ""));
    // The tier is looked up per identity of the page only (a correlated subquery in the
    // outer select runs after the limit).
    let rows = sqlx::query(
        "SELECT p.identity, p.requests, p.tokens, \
         (SELECT t.tier FROM usage_identity_daily t WHERE t.project_id = $1 AND t.identity = p.identity \
          AND t.day >= $2 AND t.day <= $3 AND t.tier IS NOT NULL ORDER BY t.day DESC LIMIT 1) AS tier \
         FROM (SELECT identity, CAST(SUM(requests) AS BIGINT) AS requests, CAST(SUM(tokens) AS BIGINT) AS tokens \
               FROM usage_identity_daily WHERE project_id = $1 AND day >= $2 AND day <= $3 \
               GROUP BY identity) p \
         WHERE p.requests < $4 OR (p.requests = $4 AND p.identity > $5) \
         ORDER BY p.requests DESC, p.identity ASC LIMIT $6",
    )
    .bind(project_id)
    .bind(day(from))
    .bind(day(to))
    .bind(i64::try_from(after_requests).unwrap_or(i64::MAX))
    .bind(after_identity)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(IdentityTotals {
                identity: row.try_get("identity")?,
                tier: row.try_get("tier")?,
                requests: count(row, "requests")?,
                tokens: count(row, "tokens")?,
            })
        })
        .collect()
}
