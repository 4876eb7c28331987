//! Reports at scale (issue 19): weekly and monthly history, CSV answers, date-range totals per
//! identity, rollups exact beyond the request log (drops, retention), erasure of an identity.

use ai_ratelimit_core::{Decision, LimitRequest};
use ai_ratelimit_server::reports::retention::prune_before;
use ai_ratelimit_server::request_log::{RequestLogEntry, RequestOutcome};
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::json;
use sqlx::Row as _;

use crate::harness::{Backend, TestServer, start_time, unique_email, unique_org};
use crate::on_every_backend;
use crate::usage::admit;

on_every_backend!(
    weeks_and_months,
    csv_answers,
    by_identity_over_a_range,
    rollups_are_exact_when_the_log_drops_and_is_pruned,
    forget_an_identity,
);

fn at(
    day: &str,
    outcome: RequestOutcome,
    tokens: u64,
    identity: &str,
    project: &str,
) -> RequestLogEntry {
    let at: DateTime<Utc> = format!("{day}T10:00:00Z").parse().expect("time");
    RequestLogEntry {
        project_id: project.to_owned(),
        identity: identity.to_owned(),
        tier: Some("free".to_owned()),
        model: None,
        outcome,
        tokens,
        tokens_estimated: false,
        latency_ms: 5,
        at,
    }
}

/// A signed-in user's new project: (session, project id, project key).
async fn project(s: &TestServer, body: serde_json::Value) -> (String, String, String) {
    let jwt = s
        .sign_in_new(&unique_email("reports"), &unique_org("Reports"))
        .await;
    let p = s.post("/api/projects", Some(&jwt), &body).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    (
        jwt,
        p.body["id"].as_str().expect("id").to_owned(),
        p.body["projectKey"].as_str().expect("key").to_owned(),
    )
}

async fn get_csv(s: &TestServer, path: &str, jwt: &str) -> (StatusCode, String, String) {
    let r = s
        .client
        .get(format!("{}{path}", s.base))
        .bearer_auth(jwt)
        .header(ACCEPT, "text/csv")
        .send()
        .await
        .expect("sent");
    let status = r.status();
    let kind = r
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (status, kind, r.text().await.expect("body"))
}

async fn weeks_and_months(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, _) = project(&s, json!({"name": "w"})).await;
    let log = &s.state.request_log;
    // Saturday 2026-02-28 and Sunday 2026-03-01 end ISO week 9 and straddle a month end;
    // Monday 2026-03-02 starts week 10.
    log.record(at("2026-02-28", RequestOutcome::Allowed, 10, "alice", &id));
    log.record(at("2026-03-01", RequestOutcome::Allowed, 20, "alice", &id));
    log.record(at("2026-03-02", RequestOutcome::Allowed, 5, "bob", &id));
    log.record(at("2026-03-02", RequestOutcome::Limited, 0, "bob", &id));
    log.record(at("2026-03-10", RequestOutcome::Allowed, 1, "carol", &id));
    log.record(at("2026-03-10", RequestOutcome::Allowed, 1, "alice", &id));
    log.flush().await;
    let base = format!("/api/projects/{id}/usage/history");

    let weeks = s
        .get(
            &format!("{base}?interval=week&from=2026-02-25&to=2026-03-10"),
            Some(&jwt),
        )
        .await;
    assert_eq!(weeks.status, StatusCode::OK, "{}", weeks.text);
    assert_eq!(
        weeks.body,
        json!({"interval": "week", "periods": [
            {"start": "2026-02-23", "end": "2026-03-01", "requests": 2, "tokens": 30, "limited": 0, "uniqueIdentities": 1},
            {"start": "2026-03-02", "end": "2026-03-08", "requests": 1, "tokens": 5, "limited": 1, "uniqueIdentities": 1},
            {"start": "2026-03-09", "end": "2026-03-15", "requests": 2, "tokens": 2, "limited": 0, "uniqueIdentities": 2},
        ]})
    );
    let months = s
        .get(
            &format!("{base}?interval=month&from=2026-02-28&to=2026-03-01"),
            Some(&jwt),
        )
        .await;
    assert_eq!(
        months.body,
        json!({"interval": "month", "periods": [
            {"start": "2026-02-01", "end": "2026-02-28", "requests": 1, "tokens": 10, "limited": 0, "uniqueIdentities": 1},
            // Alice on two days of March counts once.
            {"start": "2026-03-01", "end": "2026-03-31", "requests": 4, "tokens": 27, "limited": 1, "uniqueIdentities": 3},
        ]})
    );
    // Defaults: the last 12 weeks or months, ending with the current one.
    let default = s.get(&format!("{base}?interval=month"), Some(&jwt)).await;
    let periods = default.body["periods"].as_array().expect("periods");
    assert_eq!(periods.len(), 12);
    assert_eq!(periods[0]["start"], "2025-04-01");
    assert_eq!(periods[11]["end"], "2026-03-31");
    let default = s.get(&format!("{base}?interval=week"), Some(&jwt)).await;
    assert_eq!(default.body["periods"].as_array().map(Vec::len), Some(12));
    // `day` keeps the original shape.
    let days = s
        .get(
            &format!("{base}?interval=day&from=2026-03-01&to=2026-03-02"),
            Some(&jwt),
        )
        .await;
    assert_eq!(
        days.body,
        json!({"days": [
            {"date": "2026-03-01", "requests": 1, "tokens": 20, "limited": 0, "uniqueIdentities": 1},
            {"date": "2026-03-02", "requests": 1, "tokens": 5, "limited": 1, "uniqueIdentities": 1},
        ]})
    );
    let bad = s
        .get(&format!("{base}?interval=fortnight"), Some(&jwt))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["field"], "interval");
    s.stop().await;
}

async fn csv_answers(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, key) = project(&s, json!({"name": "c"})).await;
    admit(&s, &key, "alice, \"the first\"", Some("pro"), 2, 50).await;
    admit(&s, &key, "bob", None, 1, 7).await;
    let log = &s.state.request_log;
    log.record(at("2026-03-09", RequestOutcome::Allowed, 3, "bob", &id));
    log.record(at("2026-03-10", RequestOutcome::Limited, 0, "bob", &id));
    log.flush().await;

    let (status, kind, body) = get_csv(
        &s,
        &format!("/api/projects/{id}/usage/history?from=2026-03-09&to=2026-03-10"),
        &jwt,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(
        body,
        "date,requests,tokens,limited,uniqueIdentities\n2026-03-09,1,3,0,1\n2026-03-10,0,0,1,0\n"
    );
    let (_, _, weeks) = get_csv(
        &s,
        &format!("/api/projects/{id}/usage/history?interval=week&from=2026-03-09&to=2026-03-10"),
        &jwt,
    )
    .await;
    assert_eq!(
        weeks,
        "start,end,requests,tokens,limited,uniqueIdentities\n2026-03-09,2026-03-15,1,3,1,1\n"
    );
    // Identities with commas and quotes are quoted; a missing tier is an empty field.
    let (status, kind, people) =
        get_csv(&s, &format!("/api/projects/{id}/usage/by-identity"), &jwt).await;
    assert_eq!(status, StatusCode::OK);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(
        people,
        "identity,tier,requestsUsed,tokensUsed,periodStart\n\
         \"alice, \"\"the first\"\"\",pro,2,100,2026-03-10\nbob,,1,7,2026-03-10\n"
    );
    // Errors stay JSON.
    let (status, kind, body) = get_csv(
        &s,
        &format!("/api/projects/{id}/usage/history?interval=year"),
        &jwt,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(kind.starts_with("application/json"), "{kind}");
    assert!(body.contains("\"field\":\"interval\""), "{body}");
    // JSON unless CSV is preferred.
    let json = s
        .client
        .get(format!("{}/api/projects/{id}/usage/by-identity", s.base))
        .bearer_auth(&jwt)
        .header(ACCEPT, "application/json, text/csv;q=0.5")
        .send()
        .await
        .expect("sent");
    assert!(
        json.headers()[CONTENT_TYPE]
            .to_str()
            .expect("ascii")
            .starts_with("application/json")
    );
    s.stop().await;
}

async fn by_identity_over_a_range(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, _) = project(&s, json!({"name": "r"})).await;
    let log = &s.state.request_log;
    for (day, identity, tokens) in [
        ("2026-03-01", "ann", 1),
        ("2026-03-02", "ann", 2),
        ("2026-03-03", "ann", 4),
        ("2026-03-02", "ben", 10),
        ("2026-03-03", "ben", 10),
        ("2026-03-03", "cy", 100),
        ("2026-02-27", "cy", 1000),
    ] {
        log.record(at(day, RequestOutcome::Allowed, tokens, identity, &id));
    }
    log.record(at("2026-03-03", RequestOutcome::Limited, 0, "dee", &id));
    log.flush().await;
    let base = format!("/api/projects/{id}/usage/by-identity");
    let range = s
        .get(&format!("{base}?from=2026-03-01&to=2026-03-03"), Some(&jwt))
        .await;
    assert_eq!(range.status, StatusCode::OK, "{}", range.text);
    assert_eq!(
        range.body,
        json!({"items": [
            {"identity": "ann", "tier": "free", "requestsUsed": 3, "tokensUsed": 7, "periodStart": "2026-03-01"},
            {"identity": "ben", "tier": "free", "requestsUsed": 2, "tokensUsed": 20, "periodStart": "2026-03-01"},
            {"identity": "cy", "tier": "free", "requestsUsed": 1, "tokensUsed": 100, "periodStart": "2026-03-01"},
            {"identity": "dee", "tier": "free", "requestsUsed": 0, "tokensUsed": 0, "periodStart": "2026-03-01"},
        ], "nextCursor": null})
    );
    // Pages of one, in the same order.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = s
            .get(
                &format!("{base}?from=2026-03-01&to=2026-03-03&limit=1&cursor={cursor}"),
                Some(&jwt),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        seen.extend(
            page.body["items"]
                .as_array()
                .expect("items")
                .iter()
                .map(|i| i["identity"].as_str().expect("identity").to_owned()),
        );
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = c.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["ann", "ben", "cy", "dee"]);
    // `from` alone runs to today; `to` alone is that one day.
    let from = s.get(&format!("{base}?from=2026-02-27"), Some(&jwt)).await;
    assert_eq!(from.body["items"][0]["identity"], "ann");
    assert_eq!(from.body["items"][2]["tokensUsed"], 1100);
    let one_day = s.get(&format!("{base}?to=2026-02-27"), Some(&jwt)).await;
    assert_eq!(
        one_day.body["items"],
        json!([{"identity": "cy", "tier": "free", "requestsUsed": 1, "tokensUsed": 1000, "periodStart": "2026-02-27"}])
    );
    for (query, field) in [
        ("from=2026-03-03&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-03-01", "to"),
        ("from=yesterday", "from"),
        ("from=2026-03-01&cursor=bm9wZQ", "cursor"),
        // A bad `date` is refused even where a range makes it unused (schemathesis found it).
        ("to=2026-03-01&date=soon", "date"),
    ] {
        let r = s.get(&format!("{base}?{query}"), Some(&jwt)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.body["field"], field, "{query}");
    }
    s.stop().await;
}

async fn log_rows(s: &TestServer, project: &str) -> i64 {
    sqlx::query("SELECT COUNT(*) AS n FROM request_log WHERE project_id = $1")
        .bind(project)
        .fetch_one(s.state.db.pool())
        .await
        .expect("count")
        .try_get("n")
        .expect("n")
}

async fn rollups_are_exact_when_the_log_drops_and_is_pruned(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, _) = project(&s, json!({"name": "x"})).await;
    let log = &s.state.request_log;
    // More entries at once than the log's queue holds: the log may drop some (by design),
    // the rollups must not.
    log.record(at("2026-01-20", RequestOutcome::Allowed, 9, "old", &id));
    log.flush().await;
    let burst = ai_ratelimit_server::request_log::QUEUE_CAPACITY * 3;
    for i in 0..burst {
        log.record(at(
            "2026-03-10",
            RequestOutcome::Allowed,
            2,
            &format!("u{}", i % 50),
            &id,
        ));
    }
    log.flush().await;
    let logged = log_rows(&s, &id).await;
    assert!(logged <= i64::try_from(burst).expect("small") + 1);
    let day = s
        .get(
            &format!("/api/projects/{id}/usage/history?from=2026-03-10&to=2026-03-10"),
            Some(&jwt),
        )
        .await;
    assert_eq!(
        day.body["days"][0],
        json!({"date": "2026-03-10", "requests": burst, "tokens": burst * 2, "limited": 0, "uniqueIdentities": 50}),
        "exact whatever the log kept ({logged} rows)"
    );

    // Retention prunes the raw log (in batches), not the rollups.
    let pruned = prune_before(s.state.db.pool(), start_time() - Duration::days(30))
        .await
        .expect("pruned");
    assert!(pruned >= 1);
    let old = sqlx::query("SELECT COUNT(*) AS n FROM request_log WHERE identity = 'old'")
        .fetch_one(s.state.db.pool())
        .await
        .expect("count")
        .try_get::<i64, _>("n")
        .expect("n");
    assert_eq!(old, 0);
    let january = s
        .get(
            &format!(
                "/api/projects/{id}/usage/history?interval=month&from=2026-01-01&to=2026-01-31"
            ),
            Some(&jwt),
        )
        .await;
    assert_eq!(
        january.body["periods"][0],
        json!({"start": "2026-01-01", "end": "2026-01-31", "requests": 1, "tokens": 9, "limited": 0, "uniqueIdentities": 1})
    );
    s.stop().await;
}

async fn forget_an_identity(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, key) = project(&s, json!({"name": "f", "dailyRequestLimit": 3})).await;
    admit(&s, &key, "erase-me", None, 3, 10).await;
    admit(&s, &key, "keep-me", None, 1, 10).await;
    let log = &s.state.request_log;
    log.record(at(
        "2026-03-09",
        RequestOutcome::Allowed,
        4,
        "erase-me",
        &id,
    ));
    log.record(at(
        "2026-03-10",
        RequestOutcome::Limited,
        0,
        "erase-me",
        &id,
    ));
    log.record(at("2026-03-10", RequestOutcome::Allowed, 1, "keep-me", &id));
    log.flush().await;
    // Still pending in memory at the erasure: must not come back with a later flush.
    log.rollups().add(&at(
        "2026-03-10",
        RequestOutcome::Allowed,
        1,
        "erase-me",
        &id,
    ));

    let path = format!("/api/projects/{id}/identities/erase-me");
    assert_eq!(s.delete(&path, None).await.status, StatusCode::UNAUTHORIZED);
    let other_user = s
        .sign_in_new(&unique_email("other"), &unique_org("Other"))
        .await;
    assert_eq!(
        s.delete(&path, Some(&other_user)).await.status,
        StatusCode::NOT_FOUND
    );
    let gone = s.delete(&path, Some(&jwt)).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
    log.flush().await;

    let people = s
        .get(&format!("/api/projects/{id}/usage/by-identity"), Some(&jwt))
        .await;
    assert_eq!(people.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(people.body["items"][0]["identity"], "keep-me");
    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(summary.body["totalRequests"], 1);
    assert_eq!(summary.body["uniqueIdentities"], 1);
    let range = s
        .get(
            &format!("/api/projects/{id}/usage/by-identity?from=2026-03-01&to=2026-03-10"),
            Some(&jwt),
        )
        .await;
    assert_eq!(range.body["items"].as_array().map(Vec::len), Some(1));
    let rows = sqlx::query("SELECT COUNT(*) AS n FROM request_log WHERE identity = 'erase-me'")
        .fetch_one(s.state.db.pool())
        .await
        .expect("count")
        .try_get::<i64, _>("n")
        .expect("n");
    assert_eq!(rows, 0);
    let rollups =
        sqlx::query("SELECT COUNT(*) AS n FROM usage_identity_daily WHERE identity = 'erase-me'")
            .fetch_one(s.state.db.pool())
            .await
            .expect("count")
            .try_get::<i64, _>("n")
            .expect("n");
    assert_eq!(rollups, 0);

    // Its limits start afresh: three more requests are admitted, the fourth denied.
    admit(&s, &key, "erase-me", None, 3, 1).await;
    let project = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project");
    let fourth = s
        .state
        .limiter
        .check(
            &project.policy,
            &LimitRequest {
                scope: &project.id,
                identity: "erase-me",
                tier: None,
                estimated_tokens: 1,
            },
        )
        .await
        .expect("check");
    assert!(matches!(fourth, Decision::Denied(_)));

    let long = "x".repeat(257);
    let r = s
        .delete(&format!("/api/projects/{id}/identities/{long}"), Some(&jwt))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["field"], "identity");
    s.stop().await;
}

/// Redis counters are erased too (listing, totals, the counter itself).
#[tokio::test]
async fn forget_an_identity_in_redis() {
    forget_an_identity(Backend::Redis).await;
}
