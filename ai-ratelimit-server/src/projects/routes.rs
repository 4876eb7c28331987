//! The project routes, scoped to the caller's organization. Each reads a typed body, validates
//! it into domain input and calls the directory; errors convert to `ApiError` with `?`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;

use super::input::{NewProject, ProjectFields, ProjectPatch};
use super::model::{IdentitySecretView, Owner, ProjectView, rfc3339};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::session::AuthUser;
use crate::state::AppState;

/// The caller's projects, newest first.
#[utoipa::path(get, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    responses(
        (status = 200, description = "Projects, newest first", body = [ProjectView]),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
    ))]
pub async fn list_projects(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let rows = state.projects.list(&auth.organization_id).await?;
    Ok(Json(rows.iter().map(ProjectView::from).collect()))
}

/// Creates a project in the caller's organization.
#[utoipa::path(post, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    request_body = ProjectFields,
    responses(
        (status = 201, description = "Created", body = ProjectView),
        (status = 400, description = "`invalid_request` with `field` (unknown fields included)", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
    ))]
pub async fn create_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<ProjectFields>,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let input = NewProject::try_from(body)?;
    let row = state
        .projects
        .create(Some(&auth.organization_id), input, state.clock.now())
        .await?;
    tracing::info!(project_id = %row.id, organization_id = %auth.organization_id, "project created");
    Ok((StatusCode::CREATED, Json(ProjectView::from(&row))))
}

/// One of the caller's projects.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = ProjectView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn get_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, ApiError> {
    let row = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    Ok(Json(ProjectView::from(&row)))
}

/// Changes any subset of a project's fields, atomically.
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    request_body = ProjectFields,
    responses(
        (status = 200, description = "The updated project", body = ProjectView),
        (status = 400, description = "`invalid_request` with `field`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn update_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ProjectFields>,
) -> Result<Json<ProjectView>, ApiError> {
    let patch = ProjectPatch::try_from(body)?;
    let row = state
        .projects
        .update(
            &id,
            Owner::Organization(&auth.organization_id),
            patch,
            state.clock.now(),
        )
        .await?;
    Ok(Json(ProjectView::from(&row)))
}

/// Deletes a project.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn delete_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .projects
        .delete(&id, Owner::Organization(&auth.organization_id))
        .await?;
    tracing::info!(project_id = %id, "project deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the project key; the old key stops working at once.
#[utoipa::path(post, path = "/api/projects/{id}/rotate-key", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project with its new `projectKey`", body = ProjectView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn rotate_project_key(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, ApiError> {
    let row = state
        .projects
        .rotate_key(
            &id,
            Owner::Organization(&auth.organization_id),
            state.clock.now(),
        )
        .await?;
    tracing::info!(project_id = %id, "project key rotated");
    Ok(Json(ProjectView::from(&row)))
}

/// Creates the project's identity-signing secret, or rotates it (the replaced secret keeps
/// verifying tokens for 24 hours). The secret is shown only in this response.
#[utoipa::path(post, path = "/api/projects/{id}/identity-secret", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 201, description = "The new secret (shown once) and until when the replaced one is accepted", body = IdentitySecretView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn rotate_identity_secret(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<IdentitySecretView>), ApiError> {
    let (secret, previous_valid_until) = state
        .projects
        .rotate_identity_secret(
            &id,
            Owner::Organization(&auth.organization_id),
            state.clock.now(),
        )
        .await?;
    tracing::info!(project_id = %id, rotated = previous_valid_until.is_some(), "identity secret created");
    Ok((
        StatusCode::CREATED,
        Json(IdentitySecretView {
            identity_secret: secret,
            previous_valid_until: previous_valid_until.map(rfc3339),
        }),
    ))
}
