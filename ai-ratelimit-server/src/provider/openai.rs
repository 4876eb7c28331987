//! OpenAI's API, any compatible upstream, and Azure OpenAI (the same wire format behind
//! deployment URLs and its own key header): bodies pass through in both directions.

use std::time::Instant;

use reqwest::Url;
use serde_json::{Map, Value};

use super::passthrough::{ChatChunks, TypedEvents, UsageProbe, WireUsage};
use super::stream;
use super::upstream::UpstreamClient;
use super::{
    ChatStream, Operation, Provider, ProviderApiKey, ProviderError, ProviderKind, ProviderRequest,
    ProviderResponse, ProviderSettings, azure, log_exchange,
};

/// Which flavour of OpenAI's API an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// OpenAI itself or a compatible server: the project's URL is the chat-completions URL,
    /// the key a bearer token.
    OpenAi,
    /// Azure OpenAI: the project's URL is the resource endpoint, the key goes in `api-key`.
    Azure,
}

/// Forwards to an OpenAI-compatible upstream.
#[derive(Debug)]
pub(crate) struct OpenAiProvider {
    client: UpstreamClient,
    dialect: Dialect,
}

impl OpenAiProvider {
    pub(crate) fn new(client: UpstreamClient, dialect: Dialect) -> Self {
        Self { client, dialect }
    }

    /// The URL of `operation`. Azure's Responses API takes the deployment as the body's model.
    fn target(
        &self,
        operation: Operation,
        url: &Url,
        settings: &ProviderSettings,
        body: &mut Map<String, Value>,
    ) -> Result<Url, ProviderError> {
        match self.dialect {
            Dialect::OpenAi => Ok(sibling_url(url, operation)),
            Dialect::Azure => azure::url(url, operation, &settings.azure(), body),
        }
    }

    fn request(
        &self,
        operation: Operation,
        url: Url,
        api_key: Option<&ProviderApiKey>,
        body: &Map<String, Value>,
        sse: bool,
    ) -> reqwest::RequestBuilder {
        let accept = if sse {
            "text/event-stream"
        } else {
            "application/json"
        };
        let mut builder = if operation.is_read() {
            self.client.get(url)
        } else {
            // Serializing a `Map` of `Value`s cannot fail.
            self.client
                .post(url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default())
        }
        .header(http::header::ACCEPT, accept);
        if let Some(key) = api_key {
            builder = match self.dialect {
                Dialect::OpenAi => builder.bearer_auth(key.expose()),
                Dialect::Azure => builder.header("api-key", key.expose()),
            };
        }
        builder
    }
}

/// Where `operation` lives for an OpenAI-style chat-completions URL: chat at the URL itself,
/// the others beside it (`…/v1/chat/completions` → `…/v1/responses`, `…/v1/models`, …). A URL
/// not ending in `/chat/completions` is taken as the API root for the other operations.
pub(crate) fn sibling_url(chat_url: &Url, operation: Operation) -> Url {
    if operation == Operation::Chat {
        return chat_url.clone();
    }
    let mut url = chat_url.clone();
    let path = url.path().trim_end_matches('/');
    let root = path.strip_suffix("/chat/completions").unwrap_or(path);
    let path = format!("{root}/{}", operation.openai_path());
    url.set_path(&path);
    url
}

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
    fn kind(&self) -> ProviderKind {
        match self.dialect {
            Dialect::OpenAi => ProviderKind::OpenAi,
            Dialect::Azure => ProviderKind::Azure,
        }
    }

    async fn call(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let model = request.model().map(str::to_owned);
        let ProviderRequest {
            operation,
            mut body,
            url,
            settings,
            api_key,
        } = request;
        // This call answers with one JSON document, so the streaming fields cannot apply.
        body.remove("stream");
        body.remove("stream_options");
        let result = async {
            let url = self.target(operation, &url, &settings, &mut body)?;
            let response = self
                .client
                .send(self.request(operation, url, api_key.as_ref(), &body, false))
                .await?;
            let status = response.status();
            let (bytes, probe) = self
                .client
                .read_json::<UsageProbe>(response, "an OpenAI answer")
                .await?;
            Ok((
                status,
                ProviderResponse {
                    body: bytes,
                    usage: probe.usage.as_ref().and_then(WireUsage::reported),
                },
            ))
        }
        .await;
        log_exchange(
            self.kind(),
            operation,
            model.as_deref(),
            false,
            started,
            result.as_ref().map(|(status, _)| *status),
        );
        result.map(|(_, response)| response)
    }

    async fn stream(&self, request: ProviderRequest) -> Result<ChatStream, ProviderError> {
        let started = Instant::now();
        let client_wants_usage = request.wants_usage_chunk();
        let model = request.model().map(str::to_owned);
        let ProviderRequest {
            operation,
            mut body,
            url,
            settings,
            api_key,
        } = request;
        body.insert("stream".into(), Value::Bool(true));
        if operation == Operation::Chat {
            // Forced on so the token count is exact; other stream options the client set stay.
            // (The Responses API and image streams always report usage in their last event.)
            let options = body
                .entry("stream_options")
                .or_insert_with(|| Value::Object(Map::new()));
            if !options.is_object() {
                *options = Value::Object(Map::new());
            }
            if let Value::Object(options) = options {
                options.insert("include_usage".into(), Value::Bool(true));
            }
        }
        let result = match self.target(operation, &url, &settings, &mut body) {
            Ok(url) => {
                self.client
                    .send(self.request(operation, url, api_key.as_ref(), &body, true))
                    .await
            }
            Err(e) => Err(e),
        };
        log_exchange(
            self.kind(),
            operation,
            model.as_deref(),
            true,
            started,
            result.as_ref().map(reqwest::Response::status),
        );
        let response = result?;
        let idle = self.client.idle_timeout();
        Ok(match operation {
            Operation::Chat => stream::translate(response, ChatChunks { client_wants_usage }, idle),
            _ => stream::translate(response, TypedEvents::new(), idle),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_live_beside_the_chat_url() {
        let chat: Url = "https://api.example.com/openai/v1/chat/completions"
            .parse()
            .expect("url");
        assert_eq!(sibling_url(&chat, Operation::Chat), chat);
        assert_eq!(
            sibling_url(&chat, Operation::Responses).as_str(),
            "https://api.example.com/openai/v1/responses"
        );
        assert_eq!(
            sibling_url(&chat, Operation::Images).as_str(),
            "https://api.example.com/openai/v1/images/generations"
        );
        let root: Url = "http://localhost:11434/v1/".parse().expect("url");
        assert_eq!(
            sibling_url(&root, Operation::Models).as_str(),
            "http://localhost:11434/v1/models"
        );
    }
}
