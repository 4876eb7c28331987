//! Azure OpenAI's URLs: OpenAI's wire format behind the resource endpoint, one deployment per
//! model (`/openai/deployments/{deployment}/chat/completions?api-version=…`). The bodies are
//! OpenAI's and pass through ([`super::openai`]); only where they go differs.

use reqwest::Url;
use serde_json::{Map, Value};

use super::upstream::with_path;
use super::{AzureSettings, Operation, ProviderError};

/// The URL of `operation` on the resource `endpoint` (e.g.
/// `https://my-resource.openai.azure.com`). The deployment is the one `settings` names for
/// the body's `model`; the Responses API, which is not per deployment, gets the deployment as
/// its `model` instead.
pub(crate) fn url(
    endpoint: &Url,
    operation: Operation,
    settings: &AzureSettings,
    body: &mut Map<String, Value>,
) -> Result<Url, ProviderError> {
    let mut root = endpoint.clone();
    // Accept the endpoint with or without the `/openai` Azure's own docs sometimes show.
    let path = root.path().trim_end_matches('/');
    let path = path.strip_suffix("/openai").unwrap_or(path).to_owned();
    root.set_path(&path);
    let mut url = match operation {
        Operation::Models => with_path(&root, &["openai", "models"]),
        Operation::Responses => {
            let deployment = deployment(settings, body)?;
            body.insert("model".into(), Value::String(deployment));
            with_path(&root, &["openai", "responses"])
        }
        Operation::Chat | Operation::Embeddings | Operation::Images => {
            let deployment = deployment(settings, body)?;
            let mut segments = vec!["openai", "deployments", deployment.as_str()];
            segments.extend(operation.openai_path().split('/'));
            with_path(&root, &segments)
        }
    };
    // The settings' version wins over one left in the endpoint's query.
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(name, _)| name != "api-version")
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(kept)
        .append_pair("api-version", settings.api_version());
    Ok(url)
}

fn deployment(
    settings: &AzureSettings,
    body: &Map<String, Value>,
) -> Result<String, ProviderError> {
    let model = body.get("model").and_then(Value::as_str).ok_or_else(|| {
        ProviderError::invalid_request(
            "model",
            "model must be a string: it chooses the Azure deployment",
        )
    })?;
    match settings.deployment_for(model) {
        // A path segment that would vanish or climb (the URL parser drops `.` and `..`).
        "" | "." | ".." => Err(ProviderError::invalid_request(
            "model",
            "model does not name an Azure deployment",
        )),
        deployment => Ok(deployment.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn deployment_urls_carry_the_api_version() {
        let endpoint: Url = "https://res.openai.azure.com/openai/?api-version=old&x=1"
            .parse()
            .expect("url");
        let settings = AzureSettings {
            api_version: Some("2025-04-01-preview".into()),
            deployment: None,
            deployments: BTreeMap::from([("text-embedding-3-small".into(), "embed".into())]),
        };
        let mut chat = body(json!({"model": "gpt-4o"}));
        assert_eq!(
            url(&endpoint, Operation::Chat, &settings, &mut chat)
                .expect("url")
                .as_str(),
            "https://res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?x=1&api-version=2025-04-01-preview"
        );
        let mut embed = body(json!({"model": "text-embedding-3-small"}));
        assert!(
            url(&endpoint, Operation::Embeddings, &settings, &mut embed)
                .expect("url")
                .path()
                .ends_with("/deployments/embed/embeddings")
        );
        let mut responses = body(json!({"model": "text-embedding-3-small"}));
        let responses_url =
            url(&endpoint, Operation::Responses, &settings, &mut responses).expect("url");
        assert_eq!(responses_url.path(), "/openai/responses");
        assert_eq!(responses["model"], "embed");
        let models = url(&endpoint, Operation::Models, &settings, &mut Map::new()).expect("url");
        assert_eq!(models.path(), "/openai/models");
    }

    #[test]
    fn a_model_is_required_and_cannot_leave_the_path() {
        let endpoint: Url = "https://res.openai.azure.com".parse().expect("url");
        let missing = url(
            &endpoint,
            Operation::Images,
            &AzureSettings::default(),
            &mut Map::new(),
        );
        assert!(
            matches!(missing, Err(ProviderError::InvalidRequest { ref field, .. }) if field == "model")
        );
        let mut sneaky = body(json!({"model": "../../admin"}));
        let built = url(
            &endpoint,
            Operation::Chat,
            &AzureSettings::default(),
            &mut sneaky,
        )
        .expect("url");
        assert!(
            built
                .path()
                .starts_with("/openai/deployments/..%2F..%2Fadmin/"),
            "{built}"
        );
        let mut dots = body(json!({"model": ".."}));
        assert!(
            url(
                &endpoint,
                Operation::Chat,
                &AzureSettings::default(),
                &mut dots
            )
            .is_err()
        );
    }
}
