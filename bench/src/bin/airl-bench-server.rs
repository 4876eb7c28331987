//! The reference server, built in the bench's profile so the load benchmark can start it as
//! a process (`CARGO_BIN_EXE_*` exists only for a package's own binaries): the same entry
//! point as `ai-ratelimit-server`'s `main`.

use std::process::ExitCode;

/// The allocator of `ai-ratelimit-server`'s binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    ai_ratelimit_server::run_from_env().await
}
