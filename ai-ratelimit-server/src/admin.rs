//! Admin routes (`x-admin-key` = `GLOBAL_ADMIN_KEY`): create projects without an organization
//! and read any identity's usage by project key. Without `GLOBAL_ADMIN_KEY` they answer 404.

use axum::Json;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::Serialize;
use subtle::ConstantTimeEq as _;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::projects::{NewProject, ProjectFields, ProjectView};
use crate::state::AppState;

/// Header carrying the admin key.
pub const ADMIN_KEY_HEADER: &str = "x-admin-key";

/// Proof that the request carries the admin key.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(expected) = &state.config.global_admin_key else {
            return Err(ApiError::NotFound);
        };
        let given = parts
            .headers
            .get(ADMIN_KEY_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        // Constant time in the key's content; only the (public) length check may short-cut.
        if bool::from(given.ct_eq(expected.expose().as_bytes())) {
            Ok(Admin)
        } else {
            Err(ApiError::Unauthorized)
        }
    }
}

/// An identity's usage in the current period, by project key.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminIdentityUsage {
    /// The end user.
    pub identity: String,
    /// First day of the period, `YYYY-MM-DD`.
    pub period_start: String,
    /// Admitted requests.
    pub requests_used: u64,
    /// Tokens counted.
    pub tokens_used: u64,
}

/// Creates a project that belongs to no organization.
#[utoipa::path(post, path = "/api/admin/projects", tag = "admin", operation_id = "admin_create_project", security(("admin_key" = [])),
    request_body = ProjectFields,
    responses(
        (status = 201, description = "Created", body = ProjectView),
        (status = 400, description = "`invalid_request` with `field`", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin key", body = ErrorBody),
        (status = 404, description = "Admin API disabled (no GLOBAL_ADMIN_KEY)", body = ErrorBody),
    ))]
pub async fn create_project(
    State(state): State<AppState>,
    _admin: Admin,
    ApiJson(body): ApiJson<ProjectFields>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let input = NewProject::try_from(body)?;
    let row = state
        .projects
        .create(None, input, state.clock.now())
        .await?;
    tracing::info!(project_id = %row.id, "project created by admin");
    Ok((StatusCode::CREATED, Json(ProjectView::from(&row))))
}

/// An identity's usage in the project's current period (zeros for an unknown identity).
#[utoipa::path(get, path = "/api/admin/projects/{projectKey}/usage/{identity}", tag = "admin",
    security(("admin_key" = [])),
    params(
        ("projectKey" = String, Path, description = "The project key, `pk_…`"),
        ("identity" = String, Path, description = "The end user"),
    ),
    responses(
        (status = 200, description = "Usage", body = AdminIdentityUsage),
        (status = 400, description = "Invalid identity", body = ErrorBody),
        (status = 401, description = "Missing or wrong admin key", body = ErrorBody),
        (status = 404, description = "Unknown project key, or admin API disabled", body = ErrorBody),
    ))]
pub async fn identity_usage(
    State(state): State<AppState>,
    _admin: Admin,
    Path((project_key, identity)): Path<(String, String)>,
) -> Result<Json<AdminIdentityUsage>, ApiError> {
    let project = state
        .projects
        .project_by_key(&project_key)
        .await?
        .ok_or(ApiError::NotFound)?;
    let (period, usage) = state
        .limiter
        .usage(&project.policy, &project.id, &identity)
        .await?;
    Ok(Json(AdminIdentityUsage {
        identity,
        period_start: period.start_date().to_string(),
        requests_used: usage.requests,
        tokens_used: usage.tokens,
    }))
}
