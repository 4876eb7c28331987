//! `GET /api/v1/openai/models` and `GET /api/v1/proxy/models`: the project's provider's model
//! list in OpenAI's shape (passed through from OpenAI and Azure, translated from the others).
//! It needs a valid project key but names no identity and counts toward no limit, so it is
//! not behind the rate-limit layer; the key is looked up exactly as the layer's source does.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;

use super::call::find_project;
use super::surface::Surface;
use super::upstream_failed;
use crate::provider::{Operation, ProviderRequest};
use crate::state::AppState;

/// `GET /api/v1/openai/models` (key as bearer or `x-project-key`, OpenAI's error shape).
pub async fn openai(State(state): State<AppState>, headers: HeaderMap) -> Response {
    list(state, headers, Surface::OpenAi).await
}

/// `GET /api/v1/proxy/models` (key in `x-project-key`, the API's error shape).
pub async fn proxy(State(state): State<AppState>, headers: HeaderMap) -> Response {
    list(state, headers, Surface::Proxy).await
}

async fn list(state: AppState, headers: HeaderMap, surface: Surface) -> Response {
    let project = match find_project(&state.projects, &headers, surface == Surface::OpenAi).await {
        Ok(project) => project,
        Err(e) => return surface.error(e),
    };
    let Some(url) = project.upstream.clone() else {
        tracing::warn!(project = %project.id, "project upstream URL unusable");
        return surface.upstream_error();
    };
    let request = ProviderRequest::new(Operation::Models, url)
        .with_settings(project.provider_settings.clone())
        .with_api_key(project.provider_api_key.clone());
    match state.providers.call(project.provider, request).await {
        Ok(answer) => {
            let mut response = Response::new(Body::from(answer.body));
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        Err(e) => upstream_failed(e, surface),
    }
}
