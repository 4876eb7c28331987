//! Integration tests of the server's HTTP API: the real server, in-process on an ephemeral
//! port, on SQLite and on PostgreSQL, driven over HTTP with reqwest.

mod harness;

mod admin;
mod auth;
mod ops;
mod projects;
mod proxy;
mod startup;
mod usage;
