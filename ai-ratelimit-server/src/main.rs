#![forbid(unsafe_code)]
//! `ai-ratelimit-server`: reads the configuration (environment, `.env`, flags) and serves.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    ai_ratelimit_server::run_from_env().await
}
