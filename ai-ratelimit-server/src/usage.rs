//! Usage routes of a project: the period summary, the per-identity listing and the history.
//! Counters of the current period come from the usage store; limited and failed requests,
//! date ranges and the history from the per-day rollups (see [`crate::reports`]).

use std::collections::HashMap;

use ai_ratelimit_core::UsageStore;
use ai_ratelimit_core::{PageRequest, Period, Policy};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse as _, Response};
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
use crate::reports::periods::Interval;
use crate::reports::{csv, query};
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

/// Per-day history (`interval=day`, the default).
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageHistory {
    /// Every day from `from` to `to`, oldest first (days without traffic are zeros).
    pub days: Vec<HistoryDay>,
}

/// One week or month of history.
#[derive(Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPeriod {
    /// First day of the period, `YYYY-MM-DD` (a Monday for weeks, the 1st for months).
    #[schema(example = "2026-03-09")]
    pub start: String,
    /// Last day of the period, `YYYY-MM-DD` (inclusive: a Sunday, or the month's last day).
    #[schema(example = "2026-03-15")]
    pub end: String,
    /// Admitted requests (that were not failed upstream).
    pub requests: u64,
    /// Tokens of those requests.
    pub tokens: u64,
    /// Requests answered with a 429.
    pub limited: u64,
    /// Distinct identities with admitted requests in the whole period.
    pub unique_identities: u64,
}

/// Per-week or per-month history (`interval=week|month`).
#[derive(Debug, Serialize, ToSchema)]
pub struct UsagePeriods {
    /// `week` or `month`.
    #[schema(example = "week")]
    pub interval: String,
    /// Every whole period overlapping `from`–`to`, oldest first.
    pub periods: Vec<HistoryPeriod>,
}

/// The history: per day (`{"days"}`) or per week or month (`{"interval", "periods"}`).
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum HistoryReport {
    /// `interval=day`.
    Days(UsageHistory),
    /// `interval=week|month`.
    Periods(UsagePeriods),
}

fn parse_date(query: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, ApiError> {
    // An empty value is not a date (the document says `format: date`); leave it out instead.
    query
        .get(name)
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
        ("date" = Option<String>, Query, description = "A day of the period, YYYY-MM-DD (default today)", format = Date),
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
    let (limited, errors) = limited_and_errors(&state, &project.id, &period).await?;
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
        limited_requests: limited,
        error_requests: errors,
        project_limits: cap.map(|l| ai_ratelimit_core::TierLimits {
            request_limit: l.requests,
            token_limit: l.tokens,
        }),
        requests_used: whole.map(|u| u.requests),
        tokens_used: whole.map(|u| u.tokens),
    }))
}

/// Limited and failed requests of a period: from the rollups when the period is whole days
/// (day, week, month windows); an hour window reads the request log of that hour.
async fn limited_and_errors(
    state: &AppState,
    project_id: &str,
    period: &Period,
) -> Result<(u64, u64), ApiError> {
    let midnight = chrono::NaiveTime::MIN;
    if period.start().time() == midnight && period.end().time() == midnight {
        let first = period.start_date();
        let last = period.end().date_naive().pred_opt().unwrap_or(first);
        let days = query::days(state.db.pool(), project_id, first, last).await?;
        return Ok(days.values().fold((0, 0), |(l, e), c| {
            (l.saturating_add(c.limited), e.saturating_add(c.errors))
        }));
    }
    let row = sqlx::query(
        "SELECT CAST(SUM(CASE WHEN status = 'limited' THEN 1 ELSE 0 END) AS BIGINT) AS limited, \
         CAST(SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS BIGINT) AS errors \
         FROM request_log WHERE project_id = $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(project_id)
    .bind(to_millis(period.start()))
    .bind(to_millis(period.end()))
    .fetch_one(state.db.pool())
    .await?;
    Ok((count(&row, "limited")?, count(&row, "errors")?))
}

/// `from`/`to` of a request (`to` defaulting to today, `from` to `default_from(to)`),
/// checked: not reversed, at most [`MAX_HISTORY_DAYS`] days.
fn date_range(
    state: &AppState,
    query: &HashMap<String, String>,
    default_from: impl FnOnce(NaiveDate) -> NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let to = parse_date(query, "to")?.unwrap_or_else(|| state.clock.now().date_naive());
    let from = match parse_date(query, "from")? {
        Some(d) => d,
        None => default_from(to),
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
    Ok((from, to))
}

/// Identities of a project, most requests first, paginated: in a period of the project's
/// window (`date`, default the current one), or totalled over `from`–`to`. CSV with
/// `Accept: text/csv` (the next page's cursor then in `x-next-cursor`).
#[utoipa::path(get, path = "/api/projects/{id}/usage/by-identity", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("date" = Option<String>, Query, description = "A day of the period, YYYY-MM-DD (default today); unused (but still checked) with `from`/`to`", format = Date),
        ("from" = Option<String>, Query, description = "First day of a range to total, YYYY-MM-DD (default `to`)", format = Date),
        ("to" = Option<String>, Query, description = "Last day of a range to total, YYYY-MM-DD (default today when `from` is given); at most 366 days after `from`", format = Date),
        ("limit" = Option<usize>, Query, description = "Items per page, 1–1000 (default 100)", minimum = 1, maximum = 1000),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page"),
    ),
    responses(
        (status = 200, description = "A page", content(
            (IdentityUsagePage = "application/json"),
            (String = "text/csv", example = json!("identity,tier,requestsUsed,tokensUsed,periodStart\nalice,pro,3,300,2026-03-10\n")),
        ), headers(("x-next-cursor" = String, description = "CSV only: the next page's cursor, when there is one"))),
        (status = 400, description = "Bad date, range, limit or cursor", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 503, description = "The usage store is unavailable", body = ErrorBody),
    ))]
pub async fn by_identity(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery,
) -> Result<Response, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let limit = match query.get("limit") {
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
    let ranged = query.contains_key("from") || query.contains_key("to");
    let page = if ranged {
        // Unused beside a range, but a bad one is still the client's mistake to hear about.
        parse_date(&query, "date")?;
        let (from, to) = date_range(&state, &query, |to| to)?;
        let after = cursor
            .as_deref()
            .map(ai_ratelimit_core::store::ListingCursor::decode)
            .transpose()
            .map_err(|_| bad_cursor())?;
        // One more than asked tells whether there is a next page.
        let mut rows = query::identities_between(
            state.db.pool(),
            &project.id,
            from,
            to,
            after.as_ref().map(|c| (c.requests, c.identity.as_str())),
            limit + 1,
        )
        .await?;
        let next_cursor = (rows.len() > limit).then(|| {
            let last = &rows[limit - 1];
            ai_ratelimit_core::store::ListingCursor {
                requests: last.requests,
                identity: last.identity.clone(),
            }
            .encode()
        });
        rows.truncate(limit);
        let period_start = from.to_string();
        IdentityUsagePage {
            items: rows
                .into_iter()
                .map(|r| IdentityUsageView {
                    identity: r.identity,
                    tier: r.tier,
                    requests_used: r.requests,
                    tokens_used: r.tokens,
                    period_start: period_start.clone(),
                })
                .collect(),
            next_cursor: next_cursor.map(|c| URL_SAFE_NO_PAD.encode(c)),
        }
    } else {
        let period = period_of(&state, &project.policy, parse_date(&query, "date")?);
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
        IdentityUsagePage {
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
        }
    };
    if csv::wants_csv(&headers) {
        let mut response = csv::render(
            &[
                "identity",
                "tier",
                "requestsUsed",
                "tokensUsed",
                "periodStart",
            ],
            &page.items,
        )?;
        if let Some(next) = page
            .next_cursor
            .as_deref()
            .and_then(|c| axum::http::HeaderValue::from_str(c).ok())
        {
            response.headers_mut().insert("x-next-cursor", next);
        }
        return Ok(response);
    }
    Ok(Json(page).into_response())
}

/// History from the per-day rollups, per day, ISO week or calendar month (UTC), for charts
/// and weekly/monthly reports; CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/api/projects/{id}/usage/history", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD (default 29 days before `to` for days, 11 weeks for weeks, 11 months for months)", format = Date),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD (default today); at most 366 days after `from`", format = Date),
        ("interval" = Option<crate::reports::periods::Interval>, Query, description = "`day` (default), `week` (ISO, Monday start) or `month` (calendar); weeks and months are whole periods overlapping `from`–`to`"),
    ),
    responses(
        (status = 200, description = "`{\"days\"}` for `interval=day`, `{\"interval\", \"periods\"}` for weeks and months, oldest first", content(
            (HistoryReport = "application/json"),
            (String = "text/csv", example = json!("date,requests,tokens,limited,uniqueIdentities\n2026-03-10,8,370,2,4\n")),
        )),
        (status = 400, description = "Bad or reversed dates, a span over 366 days, or an unknown interval", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
    ))]
pub async fn history(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery,
) -> Result<Response, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let interval = match query.get("interval") {
        None => Interval::Day,
        Some(v) => Interval::parse(v)
            .ok_or_else(|| ApiError::invalid_field("interval", "must be day, week or month"))?,
    };
    let (from, to) = date_range(&state, &query, |to| {
        let back = match interval {
            Interval::Day => to.checked_sub_days(Days::new(29)),
            Interval::Week => to.checked_sub_days(Days::new(7 * 11)),
            Interval::Month => to.checked_sub_months(chrono::Months::new(11)),
        };
        back.unwrap_or(to)
    })?;
    let periods = interval.periods(from, to);
    // Whole periods: the first may start before `from`, the last end after `to`.
    let (first, last) = (
        periods.first().map_or(from, |p| p.0),
        periods.last().map_or(to, |p| p.1),
    );
    let pool = state.db.pool();
    let days = query::days(pool, &project.id, first, last).await?;
    let day_counts = |d: NaiveDate| days.get(&d.to_string()).copied().unwrap_or_default();
    let csv = csv::wants_csv(&headers);
    if interval == Interval::Day {
        let uniques = query::unique_per_day(pool, &project.id, first, last).await?;
        let days: Vec<HistoryDay> = periods
            .iter()
            .map(|(d, _)| {
                let c = day_counts(*d);
                let date = d.to_string();
                HistoryDay {
                    unique_identities: uniques.get(&date).copied().unwrap_or(0),
                    date,
                    requests: c.requests,
                    tokens: c.tokens,
                    limited: c.limited,
                }
            })
            .collect();
        if csv {
            return csv::render(
                &["date", "requests", "tokens", "limited", "uniqueIdentities"],
                &days,
            );
        }
        return Ok(Json(HistoryReport::Days(UsageHistory { days })).into_response());
    }
    let mut out = Vec::with_capacity(periods.len());
    for (start, end) in periods {
        let (requests, tokens, limited) = start
            .iter_days()
            .take_while(|d| *d <= end)
            .map(day_counts)
            .fold((0u64, 0u64, 0u64), |(r, t, l), c| {
                (
                    r.saturating_add(c.requests),
                    t.saturating_add(c.tokens),
                    l.saturating_add(c.limited),
                )
            });
        // Distinct over the whole period (not a sum of daily counts); skipped when idle.
        let unique_identities = if requests == 0 {
            0
        } else {
            query::unique_between(pool, &project.id, start, end).await?
        };
        out.push(HistoryPeriod {
            start: start.to_string(),
            end: end.to_string(),
            requests,
            tokens,
            limited,
            unique_identities,
        });
    }
    if csv {
        return csv::render(
            &[
                "start",
                "end",
                "requests",
                "tokens",
                "limited",
                "uniqueIdentities",
            ],
            &out,
        );
    }
    Ok(Json(HistoryReport::Periods(UsagePeriods {
        interval: interval.as_str().to_owned(),
        periods: out,
    }))
    .into_response())
}
