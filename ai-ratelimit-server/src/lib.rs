#![forbid(unsafe_code)]
//! The AI Ratelimit reference server: accounts, projects, usage and admin API over SQLite or
//! PostgreSQL, and (mounted in [`routes::proxy`]) the limiting proxy.
//!
//! [`build_app`] turns a validated [`Config`] into an [`App`] (router, state, background
//! tasks); [`App::serve`] runs it on a listener until a shutdown signal, then drains the
//! request log. Tests start the real server in-process this way on an ephemeral port.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod config;
pub mod crypto;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod json;
pub mod mail;
pub mod openapi;
pub mod openapi_contract;
pub mod ops;
pub mod projects;
pub mod provider;
pub mod proxy;
pub mod reports;
pub mod request_log;
pub mod reserved;
pub mod routes;
pub mod session;
pub mod state;
pub mod telemetry;
pub mod usage;
pub mod usage_store;
pub mod webhooks;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::{Clock, Limiter, SystemClock};
use axum::Router;
use axum::serve::{Listener, ListenerExt};
use tokio::net::{TcpListener, TcpStream};

pub use config::{Config, RawConfig};
pub use error::{ApiError, ServerError};
pub use state::AppState;

use crate::auth::MagicLinkLimits;
use crate::crypto::KeyCipher;
use crate::db::Database;
use crate::projects::ProjectDirectory;
use crate::reports::retention::PruneTask;
use crate::request_log::{RequestLogTask, RequestLogWriter};
use crate::session::SessionKeys;

/// What [`build_app_with`] may replace besides the configuration.
#[derive(Debug, Clone)]
pub struct AppOptions {
    /// The time source (tests inject a `FakeClock`).
    pub clock: Arc<dyn Clock>,
}

impl Default for AppOptions {
    fn default() -> Self {
        Self {
            clock: Arc::new(SystemClock),
        }
    }
}

/// A built server: the router, its state and its background tasks.
#[derive(Debug)]
pub struct App {
    router: Router,
    state: AppState,
    request_log_task: RequestLogTask,
    prune_task: PruneTask,
    webhook_tasks: webhooks::WebhookTasks,
}

/// Builds the server with the system clock.
pub async fn build_app(config: Config) -> Result<App, ServerError> {
    build_app_with(config, AppOptions::default()).await
}

/// Builds the server: opens and migrates the database, opens the usage store, starts the
/// request-log writer and assembles the router.
pub async fn build_app_with(config: Config, options: AppOptions) -> Result<App, ServerError> {
    let db = Database::connect(&config).await?;
    let store = usage_store::usage_store(&config).await?;
    let limiter = Limiter::builder(store)
        .clock(options.clock.clone())
        .build()
        .map_err(|e| ServerError::Startup(e.to_string()))?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| ServerError::Startup(format!("HTTP client: {e}")))?;
    let providers = provider::ProviderRouter::new(&config.providers, options.clock.clone())
        .map_err(|e| ServerError::Startup(format!("providers: {e}")))?;
    let cipher = KeyCipher::new(&config.encryption_key);
    let (request_log, request_log_task) = RequestLogWriter::start(db.pool().clone());
    let (webhooks, webhook_tasks) = webhooks::start(
        db.pool().clone(),
        cipher.clone(),
        options.clock.clone(),
        config.webhook_allow_private_networks
            || config.environment == config::Environment::Development,
    );
    let prune_task = PruneTask::start(
        db.pool().clone(),
        options.clock.clone(),
        config.request_log_retention_days,
    );
    let state = AppState::new(state::SharedState {
        sessions: SessionKeys::new(config.jwt_secret.expose(), config.jwt_expires_in),
        projects: ProjectDirectory::new(db.pool().clone(), cipher.clone(), providers.clone()),
        mailer: mail::sender_for(&config, http.clone()),
        magic_link_limits: MagicLinkLimits::new(options.clock.clone())
            .map_err(|e| ServerError::Startup(e.to_string()))?,
        metrics: ops::prometheus(),
        clock: options.clock,
        limiter,
        providers,
        settlements: tokio_util::task::TaskTracker::new(),
        cipher,
        request_log,
        db,
        http,
        config,
        webhooks,
    });
    let router = routes::router(state.clone())?;
    Ok(App {
        router,
        state,
        request_log_task,
        prune_task,
        webhook_tasks,
    })
}

impl App {
    /// The router (a clone; axum routers are cheap to clone).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The shared state (the proxy and tests reach the limiter, projects and request log here).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves on `listener` until `shutdown` completes, lets in-flight requests finish, then
    /// writes the queued request log and closes the database.
    ///
    /// Every accepted connection gets `TCP_NODELAY`: a streamed answer is many small writes,
    /// and with Nagle's algorithm each one after the first waits for the client's delayed ACK
    /// (about 40 ms on Linux) before it leaves.
    pub async fn serve<L>(
        self,
        listener: L,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError>
    where
        L: Listener<Io = TcpStream, Addr = SocketAddr>,
    {
        let listener = listener.tap_io(|tcp: &mut TcpStream| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::debug!(error = %e, "could not set TCP_NODELAY on a connection");
            }
        });
        let service = self
            .router
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        let served = axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await;
        self.shutdown().await;
        served.map_err(ServerError::Io)
    }

    /// Drains the request log and closes the database.
    pub async fn shutdown(self) {
        let App {
            router,
            state,
            request_log_task,
            prune_task,
            webhook_tasks,
        } = self;
        drop(router);
        // Waits for the token settlements of streams abandoned during the shutdown (those that
        // ended were settled inside their connection, which the graceful shutdown waited for).
        state.settlements.close();
        state.settlements.wait().await;
        prune_task.finish().await;
        webhook_tasks.finish(&state.webhooks).await;
        request_log_task.finish(&state.request_log).await;
        state.db.close().await;
        tracing::info!("server stopped");
    }
}

/// The binary: reads the configuration (environment, `.env`, flags), installs the logs and
/// serves until SIGINT or SIGTERM; the exit code says whether it stopped cleanly.
pub async fn run_from_env() -> std::process::ExitCode {
    let config = match Config::try_from(RawConfig::from_env_and_args()) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("ai-ratelimit-server: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    telemetry::init_tracing(config.log_format);
    match run(config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "server stopped with an error");
            eprintln!("ai-ratelimit-server: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// Runs the server of `config` on `HOST:PORT` until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServerError> {
    let address = SocketAddr::new(config.host, config.port);
    let environment = config.environment;
    let app = build_app(config).await?;
    let listener = TcpListener::bind(address).await?;
    tracing::info!(
        address = %listener.local_addr()?,
        environment = ?environment,
        "AI Ratelimit server listening"
    );
    app.serve(listener, shutdown_signal()).await
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}
