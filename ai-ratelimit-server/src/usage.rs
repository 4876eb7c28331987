//! Usage routes of a project: the period summary, the per-identity listing and the per-day
//! history. Counters come from the usage store; limited and failed requests, and the history,
//! from the request log.

use std::collections::{BTreeMap, HashMap};

use ai_ratelimit_core::UsageStore;
use ai_ratelimit_core::{PageRequest, Period, Policy};
use axum::Json;
use axum::extract::{Path, State};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Days, NaiveDate, TimeZone as _, Utc};
use serde::Serialize;
use sqlx::Row as _;
use utoipa::ToSchema;

use crate::db::to_millis;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiQuery;
use crate::projects::Owner;
use crate::session::AuthUser;
use crate::state::AppState;

/// Longest history span, in days.
pub const MAX_HISTORY_DAYS: u64 = 366;
/// Default page size of the by-identity listing.
pub const DEFAULT_PAGE_SIZE: usize = 100;
/// Largest page size of the by-identity listing.
pub const MAX_PAGE_SIZE: usize = 1000;

/// A project's usage in one period.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UsageSummary {
    /// First day of the period, `YYYY-MM-DD`.
    pub period_start: String,
    /// Admitted requests that count toward limits.
    pub total_requests: u64,
    /// Tokens counted.
    pub total_tokens: u64,
    /// Identities with usage in the period.
    pub unique_identities: u64,
    /// Requests answered with a 429.
    pub limited_requests: u64,
    /// Admitted requests that failed upstream (not in `totalRequests`).
    pub error_requests: u64,
    /// The project-wide cap, when one is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::projects::model::TierLimitsDoc>)]
    pub project_limits: Option<ai_ratelimit_core::TierLimits>,
    /// Project-wide requests counted against the cap in the period (when a cap is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requests_used: Option<u64>,
    /// Project-wide tokens counted against the cap in the period (when a cap is set).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens_used: Option<u64>,
}

/// One identity's usage.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityUsageView {
    /// The end user.
    pub identity: String,
    /// Tier of its latest admitted request.
    pub tier: Option<String>,
    /// Admitted requests.
    pub requests_used: u64,
    /// Tokens counted.
    pub tokens_used: u64,
    /// First day of the period.
    pub period_start: String,
}

/// A page of identities, most requests first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentityUsagePage {
    /// The identities.
    pub items: Vec<IdentityUsageView>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// One day of history.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryDay {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Admitted requests (that were not failed upstream).
    pub requests: u64,
    /// Tokens of those requests.
    pub tokens: u64,
    /// Requests answered with a 429.
    pub limited: u64,
    /// Distinct identities with admitted requests.
    pub unique_identities: u64,
}

/// Per-day history.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageHistory {
    /// Every day from `from` to `to`, oldest first (days without traffic are zeros).
    pub days: Vec<HistoryDay>,
}

fn parse_date(query: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    query
        .get(name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map_err(|_| ApiError::invalid_field(name, "must be a date YYYY-MM-DD"))
        })
        .transpose()
}

/// The period of `policy`'s window that contains `date` (today when `None`).
fn period_of(state: &AppState, policy: &Policy, date: Option<NaiveDate>) -> Period {
    match date {
        Some(d) => policy
            .window()
            .period_at(Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN))),
        None => policy.window().period_at(state.clock.now()),
    }
}

fn count(row: &sqlx::any::AnyRow, column: &str) -> Result<u64, ApiError> {
    let value: Option<i64> = row.try_get(column)?;
    Ok(u64::try_from(value.unwrap_or(0)).unwrap_or(0))
}

/// Totals of a project in its current period (or the period containing `date`).
#[utoipa::path(get, path = "/api/projects/{id}/usage/summary", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("date" = Option<String>, Query, description = "A day of the period, YYYY-MM-DD (default today)"),
    ),
    responses(
        (status = 200, description = "Summary", body = UsageSummary),
        (status = 400, description = "Bad date", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn summary(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery,
) -> Result<Json<UsageSummary>, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let period = period_of(&state, &project.policy, parse_date(&query, "date")?);
    let totals = state.limiter.store().totals(&project.id, &period).await?;
    let row = sqlx::query(
        "SELECT CAST(SUM(CASE WHEN status = 'limited' THEN 1 ELSE 0 END) AS BIGINT) AS limited, \
         CAST(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS errors \
         FROM request_log WHERE project_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(&project.id)
    .bind(to_millis(period.start()))
    .bind(to_millis(period.end()))
    .fetch_one(state.db.pool())
    .await?;
    let cap = project.policy.project_limits();
    let whole = match cap {
        // The scope's own counter: what the cap counts, reservations included.
        Some(_) => Some(
            state
                .limiter
                .store()
                .usage(
                    &ai_ratelimit_core::UsageKeyRef {
                        scope: &project.id,
                        identity: ai_ratelimit_core::SCOPE_IDENTITY,
                        period,
                    },
                    state.clock.now(),
                )
                .await?,
        ),
        None => None,
    };
    Ok(Json(UsageSummary {
        period_start: period.start_date().to_string(),
        total_requests: totals.requests,
        total_tokens: totals.tokens,
        unique_identities: totals.identities,
        limited_requests: count(&row, "limited")?,
        error_requests: count(&row, "errors")?,
        project_limits: cap.map(|l| ai_ratelimit_core::TierLimits {
            request_limit: l.requests,
            token_limit: l.tokens,
        }),
        requests_used: whole.map(|u| u.requests),
        tokens_used: whole.map(|u| u.tokens),
    }))
}

/// Identities of a project in a period, most requests first, paginated.
#[utoipa::path(get, path = "/api/projects/{id}/usage/by-identity", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("date" = Option<String>, Query, description = "A day of the period, YYYY-MM-DD (default today)"),
        ("limit" = Option<usize>, Query, description = "Items per page, 1–1000 (default 100)"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page", body = IdentityUsagePage),
        (status = 400, description = "Bad date, limit or cursor", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn by_identity(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery,
) -> Result<Json<IdentityUsagePage>, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let period = period_of(&state, &project.policy, parse_date(&query, "date")?);
    let limit = match query.get("limit").filter(|v| !v.is_empty()) {
        None => DEFAULT_PAGE_SIZE,
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_PAGE_SIZE).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_field("limit", format!("must be 1 to {MAX_PAGE_SIZE}"))
            })?,
    };
    let bad_cursor = || ApiError::invalid_field("cursor", "is not a cursor of this listing");
    let cursor = query
        .get("cursor")
        .filter(|v| !v.is_empty())
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad_cursor)
        })
        .transpose()?;
    let page = state
        .limiter
        .store()
        .list_usage(&project.id, &period, &PageRequest { limit, cursor })
        .await
        .map_err(|e| match e {
            ai_ratelimit_core::StoreError::Data(_) => bad_cursor(),
            other => other.into(),
        })?;
    let period_start = period.start_date().to_string();
    Ok(Json(IdentityUsagePage {
        items: page
            .items
            .into_iter()
            .map(|u| IdentityUsageView {
                identity: u.identity,
                tier: u.tier,
                requests_used: u.requests,
                tokens_used: u.tokens,
                period_start: period_start.clone(),
            })
            .collect(),
        next_cursor: page.next_cursor.map(|c| URL_SAFE_NO_PAD.encode(c)),
    }))
}

/// Per-day totals from the request log, for charts and weekly/monthly reports.
#[utoipa::path(get, path = "/api/projects/{id}/usage/history", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD (default 29 days before `to`)"),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD (default today); at most 366 days after `from`"),
    ),
    responses(
        (status = 200, description = "Days, oldest first", body = UsageHistory),
        (status = 400, description = "Bad or reversed dates, or a span over 366 days", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery,
) -> Result<Json<UsageHistory>, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let to = parse_date(&query, "to")?.unwrap_or_else(|| state.clock.now().date_naive());
    let from = match parse_date(&query, "from")? {
        Some(d) => d,
        None => to.checked_sub_days(Days::new(29)).unwrap_or(to),
    };
    if from > to {
        return Err(ApiError::invalid_field("from", "must not be after `to`"));
    }
    let span = u64::try_from((to - from).num_days()).unwrap_or(u64::MAX) + 1;
    if span > MAX_HISTORY_DAYS {
        return Err(ApiError::invalid_field(
            "to",
            format!("the range may cover at most {MAX_HISTORY_DAYS} days"),
        ));
    }
    let rows = sqlx::query(
        "SELECT day, \
         CAST(SUM(CASE WHEN status = 'allowed' THEN 1 ELSE 0 END) AS BIGINT) AS requests, \
         CAST(SUM(CASE WHEN status = 'allowed' THEN tokens ELSE 0 END) AS BIGINT) AS tokens, \
         CAST(SUM(CASE WHEN status = 'limited' THEN 1 ELSE 0 END) AS BIGINT) AS limited, \
         COUNT(DISTINCT CASE WHEN status = 'allowed' THEN identity END) AS identities \
         FROM request_log WHERE project_id = $1 AND day >= $2 AND day <= $3 GROUP BY day",
    )
    .bind(&project.id)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(state.db.pool())
    .await?;
    let mut by_day = BTreeMap::new();
    for row in &rows {
        let day: String = row.try_get("day")?;
        by_day.insert(
            day.clone(),
            HistoryDay {
                date: day,
                requests: count(row, "requests")?,
                tokens: count(row, "tokens")?,
                limited: count(row, "limited")?,
                unique_identities: count(row, "identities")?,
            },
        );
    }
    let days = from
        .iter_days()
        .take_while(|d| *d <= to)
        .map(|d| {
            let date = d.to_string();
            by_day.remove(&date).unwrap_or(HistoryDay {
                date,
                requests: 0,
                tokens: 0,
                limited: 0,
                unique_identities: 0,
            })
        })
        .collect();
    Ok(Json(UsageHistory { days }))
}
