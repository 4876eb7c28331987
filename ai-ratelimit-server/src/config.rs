//! Configuration: the environment variables of the HTTP API contract (plus a few server-only
//! extras), read by clap from the environment, an optional `.env` file or the command line,
//! then validated into a [`Config`].

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use clap::Parser;
use rand::RngCore as _;

use crate::provider::{
    DEFAULT_ANTHROPIC_URL, DEFAULT_COHERE_URL, DEFAULT_GEMINI_URL, DEFAULT_OPENAI_URL,
    ProviderOptions, ProviderOptionsConfig,
};

/// Development-only JWT secret, used when `JWT_SECRET` is unset outside production.
const DEV_JWT_SECRET: &str = "ai-ratelimit-development-only-jwt-secret-do-not-use";
/// Shortest `JWT_SECRET` production accepts, in bytes.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// The configuration as given: every value optional or defaulted, nothing validated yet.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "ai-ratelimit-server",
    version,
    about = "AI Ratelimit reference server: accounts, projects, usage API and the limiting proxy.",
    long_about = "AI Ratelimit reference server: accounts, projects, usage API and the limiting proxy.\n\n\
        Every option is read from the environment (a `.env` file in the working directory is loaded \
        first if present); command-line flags override the environment."
)]
pub struct RawConfig {
    /// Listen port.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,
    /// Bind address (default 127.0.0.1 in development, 0.0.0.0 in production).
    #[arg(long, env = "HOST")]
    pub host: Option<IpAddr>,
    /// `sqlite://…` (embedded, created if missing) or `postgres://…`.
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://ai-ratelimit.db")]
    pub database_url: String,
    /// When set, usage counters live in Redis (shared by every server instance).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<String>,
    /// Enables `/api/admin/*` (header `x-admin-key`); unset means those routes answer 404.
    #[arg(long, env = "GLOBAL_ADMIN_KEY", hide_env_values = true)]
    pub global_admin_key: Option<String>,
    /// HS256 secret of session tokens; production requires at least 32 bytes.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Session lifetime: `7d`, `12h`, `30m`, `45s` or plain seconds.
    #[arg(long, env = "JWT_EXPIRES_IN", default_value = "7d")]
    pub jwt_expires_in: String,
    /// 32 bytes, base64: encrypts provider API keys at rest (AES-256-GCM). Required in
    /// production; in development it is generated and kept beside the SQLite file.
    #[arg(long, env = "ENCRYPTION_KEY", hide_env_values = true)]
    pub encryption_key: Option<String>,
    /// Extra allowed CORS origin, for a separately hosted dashboard.
    #[arg(long, env = "CORS_ORIGIN", default_value = "http://localhost:3001")]
    pub cors_origin: String,
    /// Default upstream of provider `openai` (full chat-completions URL).
    #[arg(long, env = "OPENAI_BASE_URL", default_value = DEFAULT_OPENAI_URL)]
    pub openai_base_url: String,
    /// Default upstream of provider `anthropic`.
    #[arg(long, env = "ANTHROPIC_BASE_URL", default_value = DEFAULT_ANTHROPIC_URL)]
    pub anthropic_base_url: String,
    /// Server extra: default resource endpoint of provider `azure`, e.g.
    /// `https://my-resource.openai.azure.com` (unset: each Azure project sets its `baseUrl`).
    #[arg(long, env = "AZURE_OPENAI_ENDPOINT")]
    pub azure_openai_endpoint: Option<String>,
    /// Server extra: default API root of provider `gemini`.
    #[arg(long, env = "GEMINI_BASE_URL", default_value = DEFAULT_GEMINI_URL)]
    pub gemini_base_url: String,
    /// Server extra: default API root of provider `cohere`.
    #[arg(long, env = "COHERE_BASE_URL", default_value = DEFAULT_COHERE_URL)]
    pub cohere_base_url: String,
    /// `development` or `production` (falls back to `NODE_ENV`).
    #[arg(long, env = "APP_ENV")]
    pub app_env: Option<String>,
    /// Fallback of `APP_ENV`, as in the original Node.js product.
    #[arg(long, env = "NODE_ENV", hide = true)]
    pub node_env: Option<String>,
    /// Base of magic-link URLs (default `http://localhost:$PORT`).
    #[arg(long, env = "PUBLIC_URL")]
    pub public_url: Option<String>,
    /// Resend API key: production e-mail of magic links.
    #[arg(long, env = "RESEND_API_KEY", hide_env_values = true)]
    pub resend_api_key: Option<String>,
    /// Sender address of magic-link e-mails (required with `RESEND_API_KEY`).
    #[arg(long, env = "EMAIL_FROM")]
    pub email_from: Option<String>,
    /// Server extra: Resend's endpoint (tests point it at a mock).
    #[arg(
        long,
        env = "RESEND_API_URL",
        default_value = "https://api.resend.com/emails"
    )]
    pub resend_api_url: String,
    /// Server extra: largest accepted request body, in bytes (413 above it).
    #[arg(long, env = "MAX_BODY_BYTES", default_value_t = 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Server extra: PostgreSQL schema of the usage counters (when no `REDIS_URL`).
    #[arg(long, env = "USAGE_STORE_SCHEMA", default_value = "ai_ratelimit")]
    pub usage_store_schema: String,
    /// Server extra: log format, `text` or `json` (filter with `RUST_LOG`, default `info`).
    #[arg(long, env = "LOG_FORMAT", default_value = "text")]
    pub log_format: String,
    /// Server extra: time allowed to open a connection (TCP and TLS) to the provider, in
    /// milliseconds (default 10000).
    #[arg(long, env = "PROVIDER_CONNECT_TIMEOUT_MS")]
    pub provider_connect_timeout_ms: Option<u64>,
    /// Server extra: time from sending a request to the provider until its response headers,
    /// in milliseconds, connecting included (default 300000). Non-streaming completions send
    /// their headers only when fully generated, so this also bounds their generation time.
    #[arg(long, env = "PROVIDER_FIRST_BYTE_TIMEOUT_MS")]
    pub provider_first_byte_timeout_ms: Option<u64>,
    /// Server extra: longest silence allowed between two chunks of a provider's response, in
    /// milliseconds (default 60000).
    #[arg(long, env = "PROVIDER_IDLE_TIMEOUT_MS")]
    pub provider_idle_timeout_ms: Option<u64>,
    /// Days the raw request log is kept (pruned in the background); reports read rollups,
    /// which are kept longer.
    #[arg(long, env = "REQUEST_LOG_RETENTION_DAYS", default_value_t = 30)]
    pub request_log_retention_days: u32,
    /// Webhook URLs on loopback, private and link-local addresses are refused in production
    /// unless `true` (always allowed in development).
    #[arg(long, env = "WEBHOOK_ALLOW_PRIVATE_NETWORKS", default_value_t = false, action = clap::ArgAction::Set)]
    pub webhook_allow_private_networks: bool,
}

impl RawConfig {
    /// Loads `.env` (if present) and parses the process's arguments and environment.
    pub fn from_env_and_args() -> Self {
        // A missing .env is the normal case; a malformed one is reported by clap's values.
        let _ = dotenvy::dotenv();
        Self::parse()
    }

    /// Development defaults with nothing read from the environment (for tests and embedding).
    pub fn defaults() -> Self {
        Self {
            port: 3000,
            host: None,
            database_url: "sqlite://ai-ratelimit.db".to_owned(),
            redis_url: None,
            global_admin_key: None,
            jwt_secret: None,
            jwt_expires_in: "7d".to_owned(),
            encryption_key: None,
            cors_origin: "http://localhost:3001".to_owned(),
            openai_base_url: DEFAULT_OPENAI_URL.to_owned(),
            anthropic_base_url: DEFAULT_ANTHROPIC_URL.to_owned(),
            azure_openai_endpoint: None,
            gemini_base_url: DEFAULT_GEMINI_URL.to_owned(),
            cohere_base_url: DEFAULT_COHERE_URL.to_owned(),
            app_env: None,
            node_env: None,
            public_url: None,
            resend_api_key: None,
            email_from: None,
            resend_api_url: "https://api.resend.com/emails".to_owned(),
            max_body_bytes: 1024 * 1024,
            usage_store_schema: "ai_ratelimit".to_owned(),
            log_format: "text".to_owned(),
            provider_connect_timeout_ms: None,
            provider_first_byte_timeout_ms: None,
            provider_idle_timeout_ms: None,
            request_log_retention_days: 30,
            webhook_allow_private_networks: false,
        }
    }
}

/// Development or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    /// Local defaults, magic links in the log.
    Development,
    /// Secrets required, magic links e-mailed.
    Production,
}

/// Where usage counters and accounts live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseKind {
    /// An SQLite file (or `sqlite::memory:`); `path` is `None` in memory.
    Sqlite {
        /// The database file.
        path: Option<PathBuf>,
    },
    /// A PostgreSQL server.
    Postgres,
}

/// A secret string whose `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret value; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How magic-link e-mails are sent in production.
#[derive(Debug, Clone)]
pub struct ResendConfig {
    /// API key.
    pub api_key: Secret,
    /// Sender address.
    pub from: String,
    /// Endpoint.
    pub api_url: String,
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Development or production.
    pub environment: Environment,
    /// Bind address.
    pub host: IpAddr,
    /// Listen port (0 = ephemeral).
    pub port: u16,
    /// Database URL as given.
    pub database_url: String,
    /// Which database the URL names.
    pub database_kind: DatabaseKind,
    /// Redis URL of the usage counters, if any.
    pub redis_url: Option<Secret>,
    /// Admin key, if admin routes are enabled.
    pub global_admin_key: Option<Secret>,
    /// JWT signing secret.
    pub jwt_secret: Secret,
    /// Session lifetime.
    pub jwt_expires_in: Duration,
    /// The AES-256 key of provider API keys.
    pub encryption_key: [u8; 32],
    /// Allowed CORS origin.
    pub cors_origin: String,
    /// Base of magic-link URLs, without a trailing slash.
    pub public_url: String,
    /// Production e-mail, if configured.
    pub resend: Option<ResendConfig>,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// PostgreSQL schema of the usage counters.
    pub usage_store_schema: String,
    /// Log format.
    pub log_format: LogFormat,
    /// The upstream client's settings: the default URL of each provider (the one owner of
    /// those defaults) and the timeouts.
    pub providers: ProviderOptions,
    /// Days the raw request log is kept.
    pub request_log_retention_days: u32,
    /// Whether webhook URLs may resolve to private networks in production.
    pub webhook_allow_private_networks: bool,
}

impl Config {
    /// Development defaults on the given database URL (tests and embedding).
    pub fn development(database_url: impl Into<String>) -> Result<Self, ConfigError> {
        let mut raw = RawConfig::defaults();
        raw.database_url = database_url.into();
        Config::try_from(raw)
    }

    /// The magic-link URL of a token.
    pub fn magic_link_url(&self, token: &str) -> String {
        format!("{}/auth/verify?token={token}", self.public_url)
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value is malformed.
    #[error("invalid {variable}: {message}")]
    Invalid {
        /// The environment variable.
        variable: &'static str,
        /// What is wrong.
        message: String,
    },
    /// Production needs a value that is missing or too weak.
    #[error("refusing to start in production: {0}")]
    ProductionRequirement(String),
    /// The development encryption key file could not be read or written.
    #[error("development encryption key file {path}: {source}")]
    KeyFile {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

fn invalid(variable: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        variable,
        message: message.into(),
    }
}

/// Parses `7d`, `12h`, `30m`, `45s` or a plain number of seconds.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let n: u64 = number.trim().parse().ok()?;
    let seconds = match unit {
        's' => n,
        'm' => n.checked_mul(60)?,
        'h' => n.checked_mul(3600)?,
        'd' => n.checked_mul(86_400)?,
        'w' => n.checked_mul(7 * 86_400)?,
        _ => return None,
    };
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

fn database_kind(url: &str) -> Result<DatabaseKind, ConfigError> {
    if let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        let path = (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path));
        Ok(DatabaseKind::Sqlite { path })
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DatabaseKind::Postgres)
    } else {
        Err(invalid(
            "DATABASE_URL",
            "must start with sqlite:// or postgres://",
        ))
    }
}

fn decode_key(text: &str) -> Result<[u8; 32], ConfigError> {
    let bytes = BASE64
        .decode(text.trim())
        .map_err(|_| invalid("ENCRYPTION_KEY", "must be base64"))?;
    bytes.try_into().map_err(|_| {
        invalid(
            "ENCRYPTION_KEY",
            "must decode to exactly 32 bytes (generate one with `openssl rand -base64 32`)",
        )
    })
}

/// Reads the development key kept beside the database, creating it on first run.
fn development_key(kind: &DatabaseKind) -> Result<[u8; 32], ConfigError> {
    let path = match kind {
        DatabaseKind::Sqlite { path: None } => {
            // An in-memory database forgets its rows; an ephemeral key is enough.
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            return Ok(key);
        }
        DatabaseKind::Sqlite { path: Some(db) } => key_path_beside(db),
        DatabaseKind::Postgres => PathBuf::from("ai-ratelimit.encryption-key"),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => decode_key(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            write_private(&path, &BASE64.encode(key))
                .map_err(|source| ConfigError::KeyFile { path, source })?;
            Ok(key)
        }
        Err(source) => Err(ConfigError::KeyFile { path, source }),
    }
}

fn key_path_beside(db: &Path) -> PathBuf {
    let mut name = db.file_name().unwrap_or_default().to_os_string();
    name.push(".encryption-key");
    db.with_file_name(name)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    use std::io::Write as _;
    options.open(path)?.write_all(contents.as_bytes())
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl TryFrom<RawConfig> for Config {
    type Error = ConfigError;

    fn try_from(raw: RawConfig) -> Result<Self, ConfigError> {
        let env_name = non_empty(raw.app_env)
            .or(non_empty(raw.node_env))
            .unwrap_or_else(|| "development".to_owned());
        let environment = match env_name.trim().to_ascii_lowercase().as_str() {
            "development" | "dev" | "test" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(invalid(
                    "APP_ENV",
                    format!("`{other}` is neither `development` nor `production`"),
                ));
            }
        };
        let production = environment == Environment::Production;
        let database_kind = database_kind(&raw.database_url)?;

        let jwt_secret = match (non_empty(raw.jwt_secret), production) {
            (Some(s), true) if s.len() < MIN_JWT_SECRET_BYTES => {
                return Err(ConfigError::ProductionRequirement(format!(
                    "JWT_SECRET is only {} bytes; set JWT_SECRET to a random value of at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)",
                    s.len()
                )));
            }
            (Some(s), _) => Secret::new(s),
            (None, true) => {
                return Err(ConfigError::ProductionRequirement(format!(
                    "JWT_SECRET is not set; set JWT_SECRET to a random value of at least {MIN_JWT_SECRET_BYTES} bytes (e.g. `openssl rand -base64 48`)"
                )));
            }
            (None, false) => Secret::new(DEV_JWT_SECRET),
        };
        let jwt_expires_in = parse_duration(&raw.jwt_expires_in).ok_or_else(|| {
            invalid(
                "JWT_EXPIRES_IN",
                "use a positive duration such as `7d`, `12h`, `30m` or seconds",
            )
        })?;

        let encryption_key = match (non_empty(raw.encryption_key), production) {
            (Some(k), _) => decode_key(&k)?,
            (None, true) => {
                return Err(ConfigError::ProductionRequirement(
                    "ENCRYPTION_KEY is not set; set ENCRYPTION_KEY to 32 random bytes in base64 (e.g. `openssl rand -base64 32`)".to_owned(),
                ));
            }
            (None, false) => development_key(&database_kind)?,
        };

        let resend = match (non_empty(raw.resend_api_key), non_empty(raw.email_from)) {
            (Some(api_key), Some(from)) => Some(ResendConfig {
                api_key: Secret::new(api_key),
                from,
                api_url: raw.resend_api_url,
            }),
            (Some(_), None) => {
                return Err(invalid(
                    "EMAIL_FROM",
                    "must be set together with RESEND_API_KEY",
                ));
            }
            (None, _) => None,
        };

        let providers = ProviderOptions::try_from(ProviderOptionsConfig {
            openai_base_url: Some(raw.openai_base_url.clone()),
            anthropic_base_url: Some(raw.anthropic_base_url.clone()),
            azure_base_url: raw.azure_openai_endpoint.clone(),
            gemini_base_url: Some(raw.gemini_base_url.clone()),
            cohere_base_url: Some(raw.cohere_base_url.clone()),
            connect_timeout_ms: raw.provider_connect_timeout_ms,
            first_byte_timeout_ms: raw.provider_first_byte_timeout_ms,
            idle_timeout_ms: raw.provider_idle_timeout_ms,
            ..ProviderOptionsConfig::default()
        })
        .map_err(|e| {
            // Name the environment variable, not the option's internal name.
            let (variable, unit) = match e.field {
                "openaiBaseUrl" => ("OPENAI_BASE_URL", ""),
                "anthropicBaseUrl" => ("ANTHROPIC_BASE_URL", ""),
                "azureBaseUrl" => ("AZURE_OPENAI_ENDPOINT", ""),
                "geminiBaseUrl" => ("GEMINI_BASE_URL", ""),
                "cohereBaseUrl" => ("COHERE_BASE_URL", ""),
                "connectTimeoutMs" => ("PROVIDER_CONNECT_TIMEOUT_MS", " milliseconds"),
                "firstByteTimeoutMs" => ("PROVIDER_FIRST_BYTE_TIMEOUT_MS", " milliseconds"),
                "idleTimeoutMs" => ("PROVIDER_IDLE_TIMEOUT_MS", " milliseconds"),
                _ => ("provider settings", ""),
            };
            invalid(variable, format!("{}{unit}", e.message))
        })?;
        let public_url = non_empty(raw.public_url)
            .unwrap_or_else(|| format!("http://localhost:{}", raw.port))
            .trim_end_matches('/')
            .to_owned();
        if reqwest::Url::parse(&public_url).is_err() {
            return Err(invalid("PUBLIC_URL", "must be an absolute URL"));
        }
        if raw.request_log_retention_days == 0 {
            return Err(invalid("REQUEST_LOG_RETENTION_DAYS", "must be at least 1"));
        }
        if raw.max_body_bytes == 0 {
            return Err(invalid("MAX_BODY_BYTES", "must be positive"));
        }
        let schema_ok = !raw.usage_store_schema.is_empty()
            && raw.usage_store_schema.len() <= 63
            && raw
                .usage_store_schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !schema_ok {
            return Err(invalid(
                "USAGE_STORE_SCHEMA",
                "must be 1 to 63 letters, digits or underscores",
            ));
        }
        let log_format = match raw.log_format.to_ascii_lowercase().as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            _ => return Err(invalid("LOG_FORMAT", "must be `text` or `json`")),
        };
        let host = raw.host.unwrap_or(if production {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V4(Ipv4Addr::LOCALHOST)
        });

        Ok(Config {
            environment,
            host,
            port: raw.port,
            database_url: raw.database_url,
            database_kind,
            redis_url: non_empty(raw.redis_url).map(Secret::new),
            global_admin_key: non_empty(raw.global_admin_key).map(Secret::new),
            jwt_secret,
            jwt_expires_in,
            encryption_key,
            cors_origin: raw.cors_origin,
            public_url,
            resend,
            max_body_bytes: raw.max_body_bytes,
            usage_store_schema: raw.usage_store_schema,
            log_format,
            providers,
            request_log_retention_days: raw.request_log_retention_days,
            webhook_allow_private_networks: raw.webhook_allow_private_networks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("12h"), Some(Duration::from_secs(43_200)));
        assert_eq!(parse_duration("30m"), Some(Duration::from_secs(1_800)));
        assert_eq!(parse_duration("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse_duration("3600"), Some(Duration::from_secs(3_600)));
        assert_eq!(parse_duration("0"), None);
        assert_eq!(parse_duration("7y"), None);
        assert_eq!(parse_duration("d"), None);
        assert_eq!(parse_duration(""), None);
    }

    #[test]
    fn database_kinds() {
        assert_eq!(
            database_kind("sqlite://ai-ratelimit.db").ok(),
            Some(DatabaseKind::Sqlite {
                path: Some(PathBuf::from("ai-ratelimit.db"))
            })
        );
        assert_eq!(
            database_kind("sqlite::memory:").ok(),
            Some(DatabaseKind::Sqlite { path: None })
        );
        assert_eq!(
            database_kind("postgres://u@h/db").ok(),
            Some(DatabaseKind::Postgres)
        );
        assert!(database_kind("mysql://x").is_err());
    }

    #[test]
    fn defaults_match_the_cli_defaults() {
        let parsed = RawConfig::try_parse_from(["ai-ratelimit-server"]);
        // The environment of the test process may set some variables; compare only when it doesn't.
        if std::env::var_os("PORT").is_none() && std::env::var_os("DATABASE_URL").is_none() {
            let parsed = parsed.expect("parses");
            let defaults = RawConfig::defaults();
            assert_eq!(parsed.port, defaults.port);
            assert_eq!(parsed.database_url, defaults.database_url);
            assert_eq!(parsed.jwt_expires_in, defaults.jwt_expires_in);
            assert_eq!(parsed.max_body_bytes, defaults.max_body_bytes);
            assert_eq!(parsed.openai_base_url, defaults.openai_base_url);
        }
    }

    #[test]
    fn secrets_are_not_debug_printed() {
        assert!(!format!("{:?}", Secret::new("hunter2")).contains("hunter2"));
    }
}
