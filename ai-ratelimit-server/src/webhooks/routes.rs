//! `/api/projects/:id/webhooks…`: endpoints of a project, their secrets, a test event and
//! the delivery log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::store::{self, WebhookRow};
use super::{address, sign};
use crate::error::{ApiError, ErrorBody};
use crate::json::{ApiJson, ApiQuery};
use crate::projects::Owner;
use crate::session::AuthUser;
use crate::state::AppState;

/// Event types an endpoint may subscribe to.
pub const EVENT_TYPES: &[&str] = &["limit.warning", "limit.exceeded", "project_limit.exceeded"];
/// Endpoints per project at most.
const MAX_ENDPOINTS: usize = 20;

/// An endpoint (its secret only in the answers of creation and rotation).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Id.
    pub id: String,
    /// Where events are POSTed.
    #[schema(example = "https://example.com/hooks/ratelimit")]
    pub url: String,
    /// Subscribed event types.
    #[schema(example = json!(["limit.exceeded"]))]
    pub events: Vec<String>,
    /// Whether events are sent (false after failing for 24 hours; set it again to resume).
    pub enabled: bool,
    /// Free text.
    pub description: Option<String>,
    /// `whsec_<base64>`: the signing key, shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// RFC 3339.
    pub created_at: String,
}

fn view(row: &WebhookRow, secret: Option<String>) -> Webhook {
    Webhook {
        id: row.id.clone(),
        url: row.url.clone(),
        events: row.events.clone(),
        enabled: row.enabled,
        description: row.description.clone(),
        secret,
        created_at: row
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
    }
}

/// The event types of the API.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // A schema only: bodies carry the names as strings, checked by `check_events`.
pub enum WebhookEvent {
    /// A non-blocking rule fired.
    #[schema(rename = "limit.warning")]
    LimitWarning,
    /// An identity was denied by its limit or a blocking rule.
    #[schema(rename = "limit.exceeded")]
    LimitExceeded,
    /// A request was denied by the project cap.
    #[schema(rename = "project_limit.exceeded")]
    ProjectLimitExceeded,
}

/// `POST` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where events are POSTed: a plain absolute http(s) URL (in production, not one whose
    /// host resolves to a loopback, private or link-local address).
    #[schema(
        example = "https://example.com/hooks/ratelimit",
        max_length = 2048,
        pattern = r"^https?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?([/?#][^\s]*)?$"
    )]
    pub url: String,
    /// Event types: `limit.warning`, `limit.exceeded`, `project_limit.exceeded`.
    #[schema(value_type = Vec<WebhookEvent>, min_items = 1, example = json!(["limit.exceeded"]))]
    pub events: Vec<String>,
    /// Free text.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// `PATCH` body: any subset.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    /// Where events are POSTed.
    #[serde(default)]
    #[schema(
        max_length = 2048,
        pattern = r"^https?://(([A-Za-z0-9-]+\.)*[A-Za-z][A-Za-z0-9-]*|(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3})(:([0-9]{1,4}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?([/?#][^\s]*)?$"
    )]
    pub url: Option<String>,
    /// Event types.
    #[serde(default)]
    #[schema(value_type = Option<Vec<WebhookEvent>>, min_items = 1)]
    pub events: Option<Vec<String>>,
    /// Enable (resume) or disable.
    #[serde(default)]
    pub enabled: Option<bool>,
    /// Free text.
    #[serde(default)]
    #[schema(max_length = 500)]
    pub description: Option<String>,
}

/// One delivery.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// The event id (`webhook-id`).
    pub id: String,
    /// Event type.
    pub event_type: String,
    /// `pending`, `delivered` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: u32,
    /// HTTP status of the last attempt (null: none, or no answer).
    pub last_response_status: Option<u16>,
    /// Next attempt (pending deliveries), RFC 3339.
    pub next_attempt_at: Option<String>,
    /// Queued, RFC 3339.
    pub created_at: String,
}

/// The delivery log, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryPage {
    /// Up to `limit` deliveries.
    pub items: Vec<Delivery>,
    /// Pass as `cursor` for the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

async fn project_id(state: &AppState, auth: &AuthUser, id: &str) -> Result<String, ApiError> {
    Ok(state
        .projects
        .get(id, Owner::Organization(&auth.organization_id))
        .await?
        .id)
}

async fn endpoint(state: &AppState, project: &str, wid: &str) -> Result<WebhookRow, ApiError> {
    store::get(state.db.pool(), project, wid)
        .await?
        .ok_or(ApiError::NotFound)
}

fn check_events(events: &[String]) -> Result<Vec<String>, ApiError> {
    if events.is_empty() {
        return Err(ApiError::invalid_field(
            "events",
            "name at least one event type",
        ));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(ApiError::invalid_field(
                format!("events[{i}]"),
                format!(
                    "unknown event type; expected one of {}",
                    EVENT_TYPES.join(", ")
                ),
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

async fn check_url(state: &AppState, url: &str) -> Result<String, ApiError> {
    let allow = state.config.webhook_allow_private_networks
        || state.config.environment == crate::config::Environment::Development;
    address::check(url, allow)
        .await
        .map(|_| url.to_owned())
        .map_err(|message| ApiError::invalid_field("url", message))
}

fn check_description(d: Option<String>) -> Result<Option<String>, ApiError> {
    match d {
        Some(d) if d.chars().count() > 500 => Err(ApiError::invalid_field(
            "description",
            "must be at most 500 characters",
        )),
        other => Ok(other),
    }
}

/// Adds an endpoint; the answer shows its signing secret, once.
#[utoipa::path(post, path = "/api/projects/{id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    request_body = NewWebhook,
    responses(
        (status = 201, description = "Created, with `secret`", body = Webhook),
        (status = 400, description = "Invalid URL (or a private address in production) or unknown event", body = ErrorBody),
        (status = 409, description = "`limit_reached`: the project has 20 webhooks", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NewWebhook>,
) -> Result<(StatusCode, Json<Webhook>), ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let events = check_events(&body.events)?;
    let url = check_url(&state, &body.url).await?;
    let description = check_description(body.description)?;
    if store::list(state.db.pool(), &project).await?.len() >= MAX_ENDPOINTS {
        return Err(ApiError::LimitReached(format!(
            "a project has at most {MAX_ENDPOINTS} webhooks"
        )));
    }
    let wid = uuid::Uuid::new_v4().to_string();
    let secret = sign::new_secret();
    let row = WebhookRow {
        secret_encrypted: state.cipher.encrypt(&secret, &wid),
        id: wid,
        project_id: project,
        url,
        events,
        description,
        enabled: true,
        failing_since: None,
        created_at: state.clock.now(),
    };
    store::insert(state.db.pool(), &row).await?;
    Ok((StatusCode::CREATED, Json(view(&row, Some(secret)))))
}

/// A project's endpoints (no secrets).
#[utoipa::path(get, path = "/api/projects/{id}/webhooks", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses((status = 200, description = "Endpoints, oldest first", body = [Webhook])))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Webhook>>, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let rows = store::list(state.db.pool(), &project).await?;
    Ok(Json(rows.iter().map(|r| view(r, None)).collect()))
}

/// One endpoint (no secret).
#[utoipa::path(get, path = "/api/projects/{id}/webhooks/{wid}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The endpoint", body = Webhook)))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
) -> Result<Json<Webhook>, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    Ok(Json(view(&endpoint(&state, &project, &wid).await?, None)))
}

/// Changes an endpoint: URL, events, description, enabled (re-enabling resumes delivery).
#[utoipa::path(patch, path = "/api/projects/{id}/webhooks/{wid}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id")),
    request_body = WebhookPatch,
    responses((status = 200, description = "The endpoint", body = Webhook)))]
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
    ApiJson(body): ApiJson<WebhookPatch>,
) -> Result<Json<Webhook>, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let mut row = endpoint(&state, &project, &wid).await?;
    if let Some(url) = body.url {
        row.url = check_url(&state, &url).await?;
    }
    if let Some(events) = body.events {
        row.events = check_events(&events)?;
    }
    if body.description.is_some() {
        row.description = check_description(body.description)?;
    }
    if let Some(enabled) = body.enabled {
        row.enabled = enabled;
    }
    store::update(state.db.pool(), &row, state.clock.now()).await?;
    if row.enabled {
        state.webhooks.deliverer.wake();
    }
    Ok(Json(view(&row, None)))
}

/// Deletes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/projects/{id}/webhooks/{wid}", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "Deleted")))]
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let row = endpoint(&state, &project, &wid).await?;
    store::delete(state.db.pool(), &row.id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A new signing secret (the old one stops signing at once); shown once.
#[utoipa::path(post, path = "/api/projects/{id}/webhooks/{wid}/rotate-secret", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The endpoint with its new `secret`", body = Webhook)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
) -> Result<Json<Webhook>, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let mut row = endpoint(&state, &project, &wid).await?;
    let secret = sign::new_secret();
    row.secret_encrypted = state.cipher.encrypt(&secret, &row.id);
    store::update(state.db.pool(), &row, state.clock.now()).await?;
    Ok(Json(view(&row, Some(secret))))
}

/// Queues a `webhook.test` event for this endpoint.
#[utoipa::path(post, path = "/api/projects/{id}/webhooks/{wid}/test", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id")),
    responses((status = 202, description = "Queued")))]
pub async fn test(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = project_id(&state, &auth, &id).await?;
    let row = endpoint(&state, &project, &wid).await?;
    let now = state.clock.now();
    let event_id = format!("msg_{}", uuid::Uuid::new_v4().simple());
    let body = serde_json::json!({
        "type": "webhook.test",
        "timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        "data": {"projectId": project},
    })
    .to_string();
    store::enqueue(
        state.db.pool(),
        &event_id,
        &row.id,
        &project,
        None,
        "webhook.test",
        &event_id,
        &body,
        now,
    )
    .await?;
    state.webhooks.deliverer.wake();
    Ok(StatusCode::ACCEPTED)
}

/// Deliveries per page by default, and at most.
const DELIVERY_PAGE_SIZE: usize = 100;

/// The delivery log's query: `limit` (1 to 100) and the previous page's `nextCursor`.
struct DeliveryQuery<'a>(&'a ApiQuery);

impl DeliveryQuery<'_> {
    fn limit(&self) -> Result<usize, ApiError> {
        self.0.0.get("limit").map_or(Ok(DELIVERY_PAGE_SIZE), |v| {
            v.parse::<usize>()
                .ok()
                .filter(|n| (1..=DELIVERY_PAGE_SIZE).contains(n))
                .ok_or_else(|| {
                    ApiError::invalid_field("limit", format!("must be 1 to {DELIVERY_PAGE_SIZE}"))
                })
        })
    }

    fn cursor(&self) -> Result<Option<store::DeliveryCursor>, ApiError> {
        let Some(cursor) = self.0.0.get("cursor").filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        decode_cursor(cursor)
            .map(Some)
            .ok_or_else(|| ApiError::invalid_field("cursor", "is not a cursor of this listing"))
    }
}

/// A cursor is the last listed delivery's `<queue time in ms>:<id>`, base64url: opaque to
/// clients, stable while deliveries are added (newer ones land on the first page).
fn encode_cursor(c: &store::DeliveryCursor) -> String {
    use base64::Engine as _;
    let raw = format!("{}:{}", c.created_at.timestamp_millis(), c.id);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn decode_cursor(cursor: &str) -> Option<store::DeliveryCursor> {
    use base64::Engine as _;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let (ms, id) = std::str::from_utf8(&raw).ok()?.split_once(':')?;
    let created_at = chrono::DateTime::from_timestamp_millis(ms.parse().ok()?)?;
    Some(store::DeliveryCursor {
        created_at,
        id: id.to_owned(),
    })
}

/// The endpoint's delivery log, newest first, a page at a time.
#[utoipa::path(get, path = "/api/projects/{id}/webhooks/{wid}/deliveries", tag = "webhooks", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id"), ("wid" = String, Path, description = "Webhook id"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Deliveries per page (default 100)"),
        ("cursor" = Option<String>, Query, description = "`nextCursor` of the previous page")),
    responses((status = 200, description = "Deliveries, newest first", body = DeliveryPage),
        (status = 400, description = "Bad limit or cursor", body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, wid)): Path<(String, String)>,
    query: ApiQuery,
) -> Result<Json<DeliveryPage>, ApiError> {
    let query = DeliveryQuery(&query);
    let (limit, after) = (query.limit()?, query.cursor()?);
    let project = project_id(&state, &auth, &id).await?;
    let row = endpoint(&state, &project, &wid).await?;
    // One more than asked tells whether there is a next page.
    let mut rows =
        store::deliveries(state.db.pool(), &row.id, after.as_ref(), limit as i64 + 1).await?;
    let next_cursor = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        let last = &rows[limit - 1];
        encode_cursor(&store::DeliveryCursor {
            created_at: last.created_at,
            id: last.id.clone(),
        })
    });
    let time =
        |t: chrono::DateTime<chrono::Utc>| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    Ok(Json(DeliveryPage {
        items: rows
            .into_iter()
            .map(|d| Delivery {
                next_attempt_at: (d.status == "pending").then(|| time(d.next_attempt_at)),
                id: d.id,
                event_type: d.event_type,
                status: d.status,
                attempts: d.attempts,
                last_response_status: d.last_response_status,
                created_at: time(d.created_at),
            })
            .collect(),
        next_cursor,
    }))
}
