//! Integration tests of the server's HTTP API: the real server, in-process on an ephemeral
//! port, on SQLite and on PostgreSQL, driven over HTTP with reqwest.

mod harness;

mod admin;
mod auth;
mod dashboard;
mod nodelay;
mod openai_python;
mod ops;
mod ops_upstream;
mod processes;
mod project_caps;
mod projects;
mod proxy;
mod proxy_anthropic;
mod proxy_layer;
mod proxy_operations;
mod proxy_providers;
mod reports;
mod signed_identity;
mod startup;
mod usage;
mod webhooks;
