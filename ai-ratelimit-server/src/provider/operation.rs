//! The operations of OpenAI's API the proxy forwards: what a [`ProviderRequest`](super::ProviderRequest)
//! asks a provider for. Clients always speak OpenAI's wire format for each of them; a provider
//! either serves it (passing it through or translating it) or refuses it before anything is
//! sent ([`ProviderError::Unsupported`](super::ProviderError::Unsupported)).

use std::fmt;

/// One operation of OpenAI's API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// `POST /chat/completions`, whole or streamed (`data:` chunks ending with `[DONE]`).
    Chat,
    /// `POST /responses` (the Responses API), whole or streamed (typed events).
    Responses,
    /// `POST /embeddings`.
    Embeddings,
    /// `POST /images/generations`, whole (or, where the provider streams them, typed events).
    Images,
    /// `GET /models`: the provider's model list. Counts toward no limit.
    Models,
}

impl Operation {
    /// Every operation, for documentation and tests.
    pub const ALL: [Operation; 5] = [
        Operation::Chat,
        Operation::Responses,
        Operation::Embeddings,
        Operation::Images,
        Operation::Models,
    ];

    /// The short name used in logs and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Chat => "chat",
            Operation::Responses => "responses",
            Operation::Embeddings => "embeddings",
            Operation::Images => "images",
            Operation::Models => "models",
        }
    }

    /// Its path below an OpenAI-style API root (`…/v1`).
    pub fn openai_path(self) -> &'static str {
        match self {
            Operation::Chat => "chat/completions",
            Operation::Responses => "responses",
            Operation::Embeddings => "embeddings",
            Operation::Images => "images/generations",
            Operation::Models => "models",
        }
    }

    /// Whether the request is a `GET` without a body (the model list).
    pub fn is_read(self) -> bool {
        self == Operation::Models
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
