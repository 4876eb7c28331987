//! The local Redis Cluster's nodes, for the cluster tests.

use ai_ratelimit_store_redis::RedisStore;

/// A node of the cluster as `CLUSTER NODES` lists it.
#[derive(Debug, Clone)]
pub struct Node {
    pub id: String,
    pub address: String,
    pub master: bool,
}

/// The store on the test cluster, or `None` (with a note) when it is unreachable outside CI.
pub async fn cluster_store() -> Option<RedisStore> {
    let url = super::cluster_url();
    match RedisStore::connect_with(&url, super::options()).await {
        Ok(store) => Some(store),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true and the Redis Cluster at {url} is unreachable: {e}"
            );
            eprintln!("SKIPPED: the Redis Cluster at {url} is unreachable ({e})");
            None
        }
    }
}

/// A plain connection to one node.
pub async fn node(address: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(format!("redis://{address}"))
        .expect("node URL")
        .get_multiplexed_async_connection()
        .await
        .expect("node connection")
}

/// The cluster's reachable nodes (none flagged failing), from the first seed.
pub async fn nodes() -> Vec<Node> {
    all_nodes(false).await
}

/// The cluster's nodes, from the first seed; with `failing`, also those flagged failing.
async fn all_nodes(failing: bool) -> Vec<Node> {
    // Any seed that answers (one may be the master a test killed).
    let url = super::cluster_url();
    let seeds: Vec<String> = url
        .split("://")
        .nth(1)
        .map(|rest| {
            rest.split(',')
                .map(|s| s.trim_end_matches('/').to_owned())
                .collect()
        })
        .unwrap_or_default();
    let mut text = None;
    for seed in &seeds {
        let Ok(client) = redis::Client::open(format!("redis://{seed}")) else {
            continue;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            continue;
        };
        if let Ok(answer) = redis::cmd("CLUSTER")
            .arg("NODES")
            .query_async::<String>(&mut conn)
            .await
        {
            text = Some(answer);
            break;
        }
    }
    let text = text.expect("a seed of the cluster answers CLUSTER NODES");
    text.lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let address = fields.get(1)?.split('@').next()?.to_owned();
            let flags = fields.get(2)?;
            (failing || !flags.contains("fail")).then(|| Node {
                id: fields[0].to_owned(),
                address,
                master: flags.contains("master"),
            })
        })
        .collect()
}

/// The master serving `slot`, from `CLUSTER SLOTS`.
pub async fn master_of(slot: u16) -> Node {
    // The slot's master may be a failing one (until its replica takes over).
    let all = all_nodes(true).await;
    let mut slots: Option<Vec<redis::Value>> = None;
    for candidate in &all {
        let Ok(client) = redis::Client::open(format!("redis://{}", candidate.address)) else {
            continue;
        };
        let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
            continue;
        };
        if let Ok(answer) = redis::cmd("CLUSTER")
            .arg("SLOTS")
            .query_async(&mut conn)
            .await
        {
            slots = Some(answer);
            break;
        }
    }
    let slots = slots.expect("a node answers CLUSTER SLOTS");
    for range in slots {
        let redis::Value::Array(items) = range else {
            continue;
        };
        let (Some(redis::Value::Int(from)), Some(redis::Value::Int(to))) =
            (items.first(), items.get(1))
        else {
            continue;
        };
        if !(*from..=*to).contains(&i64::from(slot)) {
            continue;
        }
        // The owner as the answering node sees it: [ip, port, id, …]. (Its view of the
        // other nodes' flags may lag behind during a failover; the slot map is what counts.)
        if let Some(redis::Value::Array(owner)) = items.get(2)
            && let Some(redis::Value::Int(port)) = owner.get(1)
            && let Some(redis::Value::BulkString(id)) = owner.get(2)
        {
            let host = match owner.first() {
                Some(redis::Value::BulkString(host)) => String::from_utf8_lossy(host).into_owned(),
                _ => "127.0.0.1".to_owned(),
            };
            return Node {
                id: String::from_utf8_lossy(id).into_owned(),
                address: format!("{host}:{port}"),
                master: true,
            };
        }
    }
    panic!("no master serves slot {slot}")
}

/// The slot of `scope`'s keys.
pub async fn slot_of(scope: &str) -> u16 {
    let all = nodes().await;
    let probe = format!("{}:{{{scope}}}:probe", super::prefix());
    redis::cmd("CLUSTER")
        .arg("KEYSLOT")
        .arg(&probe)
        .query_async(&mut node(&all[0].address).await)
        .await
        .expect("KEYSLOT")
}
