//! Erasure of an end user (`DELETE /api/projects/:id/identities/:identity`): its counters in
//! the usage store, its request-log rows, its per-identity rollups and its webhook events. The
//! project's per-day totals keep the identity's anonymous share of them.

use ai_ratelimit_core::{UsageKey, UsageStore as _};
use axum::extract::{Path, State};
use axum::http::StatusCode;

use crate::error::{ApiError, ErrorBody};
use crate::projects::Owner;
use crate::session::AuthUser;
use crate::state::AppState;

/// Longest identity, in characters (as the proxy accepts).
const MAX_IDENTITY_CHARS: usize = 256;

/// Erases one identity of a project; its limits start afresh.
#[utoipa::path(delete, path = "/api/projects/{id}/identities/{identity}", tag = "usage", security(("bearer" = [])),
    params(
        ("id" = String, Path, description = "Project id"),
        ("identity" = String, Path, description = "The end user to erase (1–256 characters)"),
    ),
    responses(
        (status = 204, description = "Erased (also when the identity was never seen)"),
        (status = 400, description = "Identity too long", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project", body = ErrorBody),
        (status = 503, description = "The usage store is unavailable", body = ErrorBody),
    ))]
pub async fn forget_identity(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, identity)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    let chars = identity.chars().count();
    if chars == 0 || chars > MAX_IDENTITY_CHARS {
        return Err(ApiError::invalid_field(
            "identity",
            format!("must be 1 to {MAX_IDENTITY_CHARS} characters"),
        ));
    }
    // Counters: the current period (earlier periods expire with the store's retention) and
    // the previous one, which stores keep a while after it ends.
    let period = project.policy.window().period_at(state.clock.now());
    let previous = project
        .policy
        .window()
        .period_at(period.start() - chrono::Duration::seconds(1));
    for p in [period, previous] {
        state
            .limiter
            .store()
            .forget(&UsageKey::new(project.id.as_str(), identity.as_str(), p))
            .await?;
    }
    // Entries queued before the erasure are written first, so that none lands after it.
    state.request_log.flush().await;
    state
        .request_log
        .rollups()
        .forget(&project.id, &identity)
        .await?;
    sqlx::query("DELETE FROM request_log WHERE project_id = $1 AND identity = $2")
        .bind(&project.id)
        .bind(&identity)
        .execute(state.db.pool())
        .await?;
    // Its webhook events name it too.
    crate::webhooks::store::forget(state.db.pool(), &project.id, &identity).await?;
    tracing::info!(project = %project.id, "identity erased");
    Ok(StatusCode::NO_CONTENT)
}
