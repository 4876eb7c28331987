//! The rate-limit headers of a [`LimitState`]: `x-ratelimit-*`, and `RateLimit-Policy` /
//! `RateLimit` of draft-ietf-httpapi-ratelimit-headers-09.

use std::cell::RefCell;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::decision::{LimitState, ProjectState};
use crate::policy::{LimitType, Limits, Metric};

impl LimitState {
    /// Inserts the rate-limit headers of the HTTP API for this state into `headers`: for each
    /// enforced, limited metric, `x-ratelimit-limit-*` / `x-ratelimit-remaining-*`, then
    /// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-09), then
    /// `x-ratelimit-reset`. Existing values of these headers are replaced; other headers are
    /// kept (after these).
    pub fn insert_headers(&self, headers: &mut HeaderMap) {
        let key = PolicyHeadersKey {
            limit_type: self.limit_type,
            limits: self.limits,
            window: self.period.length_seconds(),
        };
        LAST_HEADER_TEMPLATE.with_borrow_mut(|last| {
            let template = match last {
                Some(cached) if cached.key == key => cached,
                _ => last.insert(self.header_template(key)),
            };
            // A copy of the template (made once per policy) carries every name already
            // hashed and placed: cloning it costs far less than inserting each custom name
            // (the http crate hashes custom names byte by byte on every insert).
            let inner = std::mem::replace(headers, template.headers.clone());
            self.fill_counts(headers, &template.slots);
            if let Some(project) = &self.project {
                self.append_project(headers, project, key.window);
            }
            if !inner.is_empty() {
                let mut skipping = false;
                headers.extend(inner.into_iter().filter(|(name, _)| {
                    // `None` continues the previous name: skipped with it.
                    if let Some(name) = name {
                        skipping = template.headers.contains_key(name);
                    }
                    !skipping
                }));
            }
        });
    }

    /// Writes the numbers of this state into the template's slots for them. Each value is
    /// its own exact-size copy: a value sliced from one shared buffer would cost an atomic
    /// reference count per header (and `From<u64>` an extra allocation), more than a copy.
    fn fill_counts(&self, headers: &mut HeaderMap, slots: &[Slot]) {
        let mut text = HeaderText::default();
        for ((_, value), slot) in headers.iter_mut().zip(slots) {
            text.clear();
            match *slot {
                Slot::Fixed => continue,
                Slot::Remaining(metric) => text.number(self.remaining(metric).unwrap_or(0)),
                Slot::State => {
                    for (i, (metric, _)) in self.enforced().enumerate() {
                        text.list_item(i, metric);
                        text.push(b";r=");
                        text.number(self.remaining(metric).unwrap_or(0));
                        text.push(b";t=");
                        text.number(self.reset_after_secs);
                    }
                }
                Slot::Reset => text.number(self.reset_after_secs),
            }
            if let Some(text) = text.value() {
                *value = text;
            }
        }
    }

    /// Adds the project-wide cap to `RateLimit-Policy` and `RateLimit` as its own policy per
    /// enforced metric (`"project-requests"`, `"project-tokens"`). Only capped projects pay
    /// for this, after the cached template.
    fn append_project(&self, headers: &mut HeaderMap, project: &ProjectState, window: u64) {
        let mut policy = String::new();
        let mut state = String::new();
        for metric in [Metric::Requests, Metric::Tokens] {
            let Some(limit) = project.limits.of(metric) else {
                continue;
            };
            let used = match metric {
                Metric::Requests => project.usage.requests,
                Metric::Tokens => project
                    .usage
                    .tokens
                    .saturating_add(project.usage.reserved_tokens),
            };
            let separator = |text: &str| if text.is_empty() { "" } else { ", " };
            policy.push_str(&format!(
                "{}\"project-{}\";q={limit};w={window}",
                separator(&policy),
                metric.as_str()
            ));
            state.push_str(&format!(
                "{}\"project-{}\";r={};t={}",
                separator(&state),
                metric.as_str(),
                limit.saturating_sub(used),
                self.reset_after_secs
            ));
        }
        for (name, extra) in [(&RATELIMIT_POLICY, policy), (&RATELIMIT, state)] {
            if extra.is_empty() {
                continue;
            }
            let value = match headers.get(name).and_then(|v| v.to_str().ok()) {
                Some(current) if !current.is_empty() && current != "0" => {
                    format!("{current}, {extra}")
                }
                _ => extra,
            };
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name.clone(), value);
            }
        }
    }

    /// Every header of states with `key`, the numbers left as placeholders (`0`), and what
    /// each entry holds, in the map's order.
    fn header_template(&self, key: PolicyHeadersKey) -> HeaderTemplate {
        let mut headers = HeaderMap::with_capacity(MAX_LIMIT_HEADERS);
        let mut slots = Vec::with_capacity(MAX_LIMIT_HEADERS);
        let placeholder = HeaderValue::from_static("0");
        let mut add = |name: &HeaderName, value: HeaderValue, slot: Slot| {
            headers.insert(name.clone(), value);
            slots.push(slot);
        };
        let mut listed = false;
        for (metric, limit) in self.enforced() {
            let (limit_name, remaining_name) = match metric {
                Metric::Requests => (&LIMIT_REQUESTS, &REMAINING_REQUESTS),
                Metric::Tokens => (&LIMIT_TOKENS, &REMAINING_TOKENS),
            };
            add(limit_name, HeaderValue::from(limit), Slot::Fixed);
            add(remaining_name, placeholder.clone(), Slot::Remaining(metric));
            listed = true;
        }
        if listed {
            let mut text = HeaderText::default();
            for (i, (metric, limit)) in self.enforced().enumerate() {
                text.list_item(i, metric);
                text.push(b";q=");
                text.number(limit);
                text.push(b";w=");
                text.number(key.window);
            }
            if let Some(policy) = text.value() {
                add(&RATELIMIT_POLICY, policy, Slot::Fixed);
            }
            add(&RATELIMIT, placeholder.clone(), Slot::State);
        }
        add(&RESET, placeholder, Slot::Reset);
        HeaderTemplate {
            key,
            headers,
            slots,
        }
    }
}

/// What the policy headers of a state depend on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PolicyHeadersKey {
    limit_type: LimitType,
    limits: Limits,
    window: u64,
}

/// What an entry of a [`HeaderTemplate`] holds.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// A value of the policy (a limit, `RateLimit-Policy`): kept as is.
    Fixed,
    /// `x-ratelimit-remaining-*` of the metric.
    Remaining(Metric),
    /// `RateLimit`.
    State,
    /// `x-ratelimit-reset`.
    Reset,
}

/// The headers of every state of one policy key, numbers left to fill in.
struct HeaderTemplate {
    key: PolicyHeadersKey,
    headers: HeaderMap,
    slots: Vec<Slot>,
}

thread_local! {
    /// The header template last made on this thread. The names and the policy values are
    /// the same on every response of one policy and tier, so each response copies the
    /// template and writes only its counts. One entry per thread: no lock, no unbounded growth.
    static LAST_HEADER_TEMPLATE: RefCell<Option<HeaderTemplate>> = const { RefCell::new(None) };
}

static LIMIT_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
static REMAINING_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-requests");
static LIMIT_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-limit-tokens");
static REMAINING_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-tokens");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// At most 2 metrics × (limit + remaining) + policy + state + reset.
const MAX_LIMIT_HEADERS: usize = 7;

/// The text of one header value, written on the stack: the longest (`RateLimit` with both
/// metrics and 20-digit numbers) is 112 bytes.
struct HeaderText {
    buf: [u8; 128],
    len: usize,
}

impl Default for HeaderText {
    fn default() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }
}

impl HeaderText {
    /// Appends `bytes`; text beyond the buffer (never written by this module) is dropped.
    fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(self.buf.len());
        if let Some(room) = self.buf.get_mut(self.len..end) {
            room.copy_from_slice(&bytes[..room.len()]);
            self.len = end;
        }
    }

    fn number(&mut self, n: u64) {
        self.push(itoa::Buffer::new().format(n).as_bytes());
    }

    /// `"metric"`, preceded by `, ` unless it is the first item of a list.
    fn list_item(&mut self, index: usize, metric: Metric) {
        if index > 0 {
            self.push(b", ");
        }
        self.push(b"\"");
        self.push(metric.as_str().as_bytes());
        self.push(b"\"");
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// The value (ASCII digits, quotes and punctuation: always valid).
    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_bytes(&self.buf[..self.len]).ok()
    }
}
