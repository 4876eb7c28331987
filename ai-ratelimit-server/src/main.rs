#![forbid(unsafe_code)]
//! `ai-ratelimit-server`: reads the configuration (environment, `.env`, flags) and serves.

use std::process::ExitCode;

/// See the workspace manifest for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    ai_ratelimit_server::run_from_env().await
}
