//! Property tests of limit arithmetic and rule logic.

use ai_ratelimit_core::policy::{Condition, RuleContext};
use ai_ratelimit_core::{
    Decision, LimitRequest, LimitType, Limiter, Limits, MemoryStore, Metric, Policy, Usage,
};
use proptest::prelude::*;
use serde_json::json;

fn metric() -> impl Strategy<Value = Metric> {
    prop_oneof![Just(Metric::Requests), Just(Metric::Tokens)]
}

fn op() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("gt"), Just("gte"), Just("lt"), Just("lte"), Just("eq")]
}

/// Random condition JSON, nested at most `depth` levels.
fn condition(depth: u32) -> BoxedStrategy<serde_json::Value> {
    let leaf = prop_oneof![
        (metric(), op(), 0u32..200).prop_map(|(m, o, t)| json!({"type": "usage_percent", "metric": m, "operator": o, "threshold": t})),
        (metric(), op(), 0u32..50).prop_map(|(m, o, t)| json!({"type": "usage_absolute", "metric": m, "operator": o, "threshold": t})),
        prop::sample::select(vec!["free", "pro", "team"]).prop_map(|v| json!({"type": "tier_match", "value": v})),
    ];
    leaf.prop_recursive(depth, 16, 3, |inner| {
        (
            prop_oneof![Just("and"), Just("or")],
            prop::collection::vec(inner, 0..3),
        )
            .prop_map(|(o, cs)| json!({"type": "composite", "operator": o, "conditions": cs}))
    })
    .boxed()
}

fn parse(c: &serde_json::Value) -> Condition {
    let p = Policy::from_json(&json!({"rules": [{"condition": c, "action": {"type": "allow"}}]}))
        .expect("valid");
    p.rules().iter().next().expect("one rule").condition.clone()
}

fn context() -> impl Strategy<Value = (u64, u64, Option<u64>, Option<u64>, Option<&'static str>)> {
    (
        0u64..60,
        0u64..60,
        prop::option::of(0u64..60),
        prop::option::of(0u64..60),
        prop::option::of(prop::sample::select(vec!["free", "pro", "team"])),
    )
}

fn ctx<'a>(c: &(u64, u64, Option<u64>, Option<u64>, Option<&'a str>)) -> RuleContext<'a> {
    RuleContext {
        usage: Usage {
            requests: c.0,
            tokens: c.1,
            reserved_tokens: 0,
        },
        limits: Limits {
            requests: c.2,
            tokens: c.3,
        },
        tier: c.4,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `and`/`or` follow boolean logic, including De Morgan-style identities over children.
    #[test]
    fn composites_follow_boolean_laws(a in condition(2), b in condition(2), c in context()) {
        let ctx = ctx(&c);
        let (ea, eb) = (parse(&a).evaluate(&ctx), parse(&b).evaluate(&ctx));
        let and = parse(&json!({"type": "composite", "operator": "and", "conditions": [a, b]}));
        let or = parse(&json!({"type": "composite", "operator": "or", "conditions": [a, b]}));
        prop_assert_eq!(and.evaluate(&ctx), ea && eb);
        prop_assert_eq!(or.evaluate(&ctx), ea || eb);
        let and_ba = parse(&json!({"type": "composite", "operator": "and", "conditions": [b, a]}));
        prop_assert_eq!(and_ba.evaluate(&ctx), and.evaluate(&ctx));
        let empty_and = parse(&json!({"type": "composite", "operator": "and", "conditions": []}));
        let empty_or = parse(&json!({"type": "composite", "operator": "or", "conditions": []}));
        prop_assert!(empty_and.evaluate(&ctx));
        prop_assert!(!empty_or.evaluate(&ctx));
    }

    /// A percent condition on an unlimited metric is false, whatever the operator and threshold.
    #[test]
    fn percent_of_a_null_limit_is_false(m in metric(), o in op(), t in 0u32..1000, c in context()) {
        let mut ctx = ctx(&c);
        ctx.limits = Limits { requests: None, tokens: None };
        let cond = parse(&json!({"type": "usage_percent", "metric": m, "operator": o, "threshold": t}));
        prop_assert!(!cond.evaluate(&ctx));
    }

    /// Serializing a valid policy and parsing it back gives the same policy.
    #[test]
    fn policies_round_trip(c in condition(3), limit in prop::option::of(0u64..1000)) {
        let p = Policy::from_json(&json!({
            "dailyRequestLimit": limit,
            "rules": [{"id": "r", "condition": c, "action": {"type": "block"}}]
        })).expect("valid");
        let back = Policy::from_json(&serde_json::to_value(&p).expect("serializes")).expect("round trip");
        prop_assert_eq!(back, p);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the limits, reservations and settles, admission never exceeds a limit:
    /// admitted requests <= the request limit, and no admission starts at or over the token limit.
    #[test]
    fn admission_never_exceeds_a_limit(
        request_limit in prop::option::of(0u64..15),
        token_limit in prop::option::of(0u64..400),
        limit_type in prop_oneof![Just(LimitType::Requests), Just(LimitType::Tokens), Just(LimitType::Both)],
        steps in prop::collection::vec((0u64..80, prop::option::of(0u64..120)), 1..40),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let limiter = Limiter::new(MemoryStore::new());
            let policy = Policy::builder()
                .limit_type(limit_type)
                .request_limit(request_limit)
                .token_limit(token_limit)
                .build()
                .expect("policy");
            let mut admitted = 0u64;
            for (estimate, settle) in steps {
                let before = limiter.usage(&policy, "p", "id").await.expect("usage").1;
                let request = LimitRequest { scope: "p", identity: "id", tier: None, estimated_tokens: estimate };
                match limiter.check(&policy, &request).await.expect("check") {
                    Decision::Admitted(a) => {
                        admitted += 1;
                        if limit_type.enforces_requests() && let Some(l) = request_limit {
                            prop_assert!(admitted <= l);
                        }
                        if limit_type.enforces_tokens() && let Some(l) = token_limit {
                            prop_assert!(before.tokens + before.reserved_tokens < l);
                        }
                        let reservation = a.reservation.expect("reservation");
                        match settle {
                            Some(t) => limiter.settle(reservation, t).await.expect("settle"),
                            None => limiter.release(reservation).await.expect("release"),
                        }
                        if settle.is_none() {
                            admitted -= 1;
                        }
                    }
                    Decision::Denied(d) => {
                        let requests_full = limit_type.enforces_requests()
                            && request_limit.is_some_and(|l| before.requests + 1 > l);
                        let tokens_full = limit_type.enforces_tokens()
                            && token_limit.is_some_and(|l| before.tokens + before.reserved_tokens >= l);
                        prop_assert!(requests_full || tokens_full, "denied with room: {:?}", d.state.usage);
                    }
                }
            }
            let after = limiter.usage(&policy, "p", "id").await.expect("usage").1;
            prop_assert_eq!(after.requests, admitted);
            prop_assert_eq!(after.reserved_tokens, 0);
            Ok(())
        })?;
    }
}
