//! [`ProjectError`]: what the project input and store can fail with. The HTTP mapping lives
//! once, in `crate::error` (`From<ProjectError> for ApiError`).

/// Why a project operation failed.
#[derive(Debug, thiserror::Error)]
pub enum ProjectError {
    /// A value of the request is invalid (400 with `field`; an empty `field` names the whole
    /// body). Messages never quote the value, which may be a misplaced secret.
    #[error("{message}")]
    Invalid {
        /// Path of the offending value, e.g. `baseUrl` or `rules[0].condition.operator`.
        field: String,
        /// A human sentence.
        message: String,
    },
    /// No such project, or not visible to the caller (404).
    #[error("project not found")]
    NotFound,
    /// A stored row cannot be read back (500; the reason goes to the log only).
    #[error("stored project {id} is unreadable: {reason}")]
    Corrupt {
        /// The project's id.
        id: String,
        /// What is wrong with it (never a secret).
        reason: String,
    },
    /// The database failed (500, or 503 when it is unreachable).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

impl ProjectError {
    /// An invalid value at `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ProjectError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<ai_ratelimit_core::PolicyError> for ProjectError {
    fn from(e: ai_ratelimit_core::PolicyError) -> Self {
        // Core quotes offending values in some messages; a value may be a misplaced secret.
        ProjectError::invalid(e.field, crate::json::redact_strings(&e.message))
    }
}
