#![forbid(unsafe_code)]
//! `ai-ratelimit-server`: reads the configuration (environment, `.env`, flags) and serves.

use std::process::ExitCode;

use ai_ratelimit_server::config::{Config, RawConfig};
use ai_ratelimit_server::telemetry::init_tracing;

#[tokio::main]
async fn main() -> ExitCode {
    let raw = RawConfig::from_env_and_args();
    let config = match Config::try_from(raw) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ai-ratelimit-server: {e}");
            return ExitCode::FAILURE;
        }
    };
    init_tracing(config.log_format);
    match ai_ratelimit_server::run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            eprintln!("ai-ratelimit-server: {e}");
            ExitCode::FAILURE
        }
    }
}
