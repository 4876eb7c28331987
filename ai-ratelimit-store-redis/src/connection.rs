//! One Redis server or a Redis Cluster behind one connection type.
//!
//! Every key of a scope carries the scope as its hash tag (see `keys`), so each script call
//! and pipeline of the store touches one slot, and a cluster connection routes it to the
//! slot's master (following `MOVED`/`ASK` during a resharding).

use std::time::Duration;

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::{Cmd, Pipeline, RedisFuture, Value};

use crate::error::RedisStoreError;
use crate::options::RedisStoreOptions;

/// Where a URL points: one server, or the seed nodes of a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// `redis://…` or `rediss://…`.
    Single(String),
    /// `redis+cluster://[user:password@]host:port,host:port,…` (or `rediss+cluster://`), or a
    /// comma-separated list of `redis://` URLs: each seed as a `redis://` URL.
    Cluster(Vec<String>),
}

impl Target {
    /// Reads `url` (see [`Target`]); an empty seed list is an invalid URL.
    pub(crate) fn parse(url: &str) -> Result<Self, RedisStoreError> {
        let invalid = |detail: &'static str| {
            RedisStoreError::InvalidUrl(redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                detail,
            )))
        };
        let url = url.trim();
        for (prefix, scheme) in [
            ("redis+cluster://", "redis"),
            ("rediss+cluster://", "rediss"),
        ] {
            if let Some(rest) = url.strip_prefix(prefix) {
                let rest = rest.trim_end_matches('/');
                // The credentials, if any, precede the first host and apply to every node.
                let (userinfo, hosts) = match rest.rsplit_once('@') {
                    Some((userinfo, hosts)) => (format!("{userinfo}@"), hosts),
                    None => (String::new(), rest),
                };
                let seeds: Vec<String> = hosts
                    .split(',')
                    .map(str::trim)
                    .filter(|h| !h.is_empty())
                    .map(|host| format!("{scheme}://{userinfo}{host}"))
                    .collect();
                if seeds.is_empty() {
                    return Err(invalid("a cluster URL needs at least one host:port"));
                }
                return Ok(Target::Cluster(seeds));
            }
        }
        if url.contains(',') {
            let seeds: Vec<String> = url
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect();
            return Ok(Target::Cluster(seeds));
        }
        Ok(Target::Single(url.to_owned()))
    }
}

/// The store's connection: a reconnecting manager to one server, or a cluster connection
/// (which keeps one multiplexed connection per node and refreshes the slot map by itself).
/// Cheap to clone; clones share the connections.
#[derive(Clone)]
pub enum RedisConnection {
    /// One server.
    Single(ConnectionManager),
    /// A Redis Cluster.
    Cluster(ClusterConnection),
}

impl RedisConnection {
    /// A connection to `url` made on first use. Fails only on a bad URL.
    pub(crate) fn lazy(url: &str, options: &RedisStoreOptions) -> Result<Self, RedisStoreError> {
        match Target::parse(url)? {
            Target::Single(url) => {
                let client = redis::Client::open(url).map_err(RedisStoreError::InvalidUrl)?;
                let config = ConnectionManagerConfig::new()
                    .set_response_timeout(Some(options.response_timeout))
                    .set_connection_timeout(Some(options.connection_timeout))
                    .set_number_of_retries(options.reconnect_retries)
                    .set_min_delay(Duration::from_millis(50))
                    .set_max_delay(Duration::from_millis(500));
                ConnectionManager::new_lazy_with_config(client, config)
                    .map(RedisConnection::Single)
                    .map_err(RedisStoreError::Connect)
            }
            Target::Cluster(seeds) => {
                let client = ClusterClientBuilder::new(seeds)
                    // A redirection or a node's failover is retried by the cluster client
                    // itself (the command did not run); a response that never came is not.
                    .retries(u32::try_from(options.reconnect_retries).unwrap_or(u32::MAX))
                    .build()
                    .map_err(RedisStoreError::InvalidUrl)?;
                let config = ClusterConfig::new()
                    .set_connection_timeout(options.connection_timeout)
                    .set_response_timeout(options.response_timeout);
                Ok(RedisConnection::Cluster(
                    client.get_pending_async_connection_with_config(config),
                ))
            }
        }
    }

    /// Whether this is a cluster connection.
    pub fn is_cluster(&self) -> bool {
        matches!(self, RedisConnection::Cluster(_))
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            RedisConnection::Single(c) => c.req_packed_command(cmd),
            RedisConnection::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            RedisConnection::Single(c) => c.req_packed_commands(pipeline, offset, count),
            RedisConnection::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            RedisConnection::Single(c) => c.get_db(),
            RedisConnection::Cluster(c) => c.get_db(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_urls_name_their_seeds() {
        assert_eq!(
            Target::parse("redis://127.0.0.1:6379").expect("single"),
            Target::Single("redis://127.0.0.1:6379".into())
        );
        assert_eq!(
            Target::parse("redis+cluster://:pw@10.0.0.1:7001,10.0.0.2:7002/").expect("cluster"),
            Target::Cluster(vec![
                "redis://:pw@10.0.0.1:7001".into(),
                "redis://:pw@10.0.0.2:7002".into()
            ])
        );
        assert_eq!(
            Target::parse("rediss+cluster://h:7001").expect("tls cluster"),
            Target::Cluster(vec!["rediss://h:7001".into()])
        );
        assert_eq!(
            Target::parse("redis://a:7001, redis://b:7002").expect("list"),
            Target::Cluster(vec!["redis://a:7001".into(), "redis://b:7002".into()])
        );
        assert!(Target::parse("redis+cluster://").is_err());
    }
}
