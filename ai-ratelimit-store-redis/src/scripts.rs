//! The Lua scripts: every write (and the live-usage read) is one atomic script call.
//!
//! Numbers travel as decimal strings and are written back with `%d`, exact up to 2^53
//! (Lua numbers are doubles); the store clamps token arguments to that range.

use redis::Script;

/// Shared helpers, prepended to scripts that need them.
const PRELUDE: &str = r"
local function int(x) return string.format('%d', x) end
local function reserved_in(member) return tonumber(string.match(member, ':(%d+)$')) end
";

/// KEYS: counter, reservations, index, totals.
/// ARGV: now (µs), request limit or '', token limit or '', tokens to reserve, reservation
/// expiry (µs), tier ('' for none, else '=' followed by the tier), the identity, key TTL (ms).
/// Returns {1, requests, tokens, reserved, id} when admitted, {0, requests, tokens, reserved}.
///
/// The counter's `e` is a lower bound of the earliest reservation expiry, so the reservation
/// set is only read when a reservation may have expired.
const ADMIT: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v', 'n', 'g', 'e')
local fresh = not c[1]
local r = tonumber(c[1]) or 0
local t = tonumber(c[2]) or 0
local v = tonumber(c[3]) or 0
local now = tonumber(ARGV[1])
local e = nil
if v > 0 then e = tonumber(c[6]) end
local checked = false
if fresh then
  -- A leftover reservation set (the counter expired first) must not count against a new counter.
  redis.call('DEL', KEYS[2])
elseif e and e <= now then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
  if #gone > 0 then
    for _, m in ipairs(gone) do v = v - reserved_in(m) end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
  end
  local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  e = tonumber(first[2])
  checked = true
end
local rl, tl = tonumber(ARGV[2]), tonumber(ARGV[3])
local fits = (rl == nil or r + 1 <= rl) and (tl == nil or t + v < tl)
if fresh then
  redis.call('HINCRBY', KEYS[4], 'i', 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
if not fits then
  if fresh then
    -- Like the reference store, a denied first request still creates the (empty) counter.
    redis.call('HSET', KEYS[1], 'r', 0)
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
    redis.call('ZADD', KEYS[3], 0, ARGV[7])
    redis.call('PEXPIRE', KEYS[3], ARGV[8])
  elseif checked then
    redis.call('HSET', KEYS[1], 'v', int(v), 'e', e or 0)
  end
  return {0, r, t, v}
end
local res = tonumber(ARGV[4])
local id = int((tonumber(c[4]) or 0) + 1)
if res > 0 then
  redis.call('ZADD', KEYS[2], ARGV[5], id .. ':' .. ARGV[4])
  -- v == 0 means the set did not exist: it starts its lifetime now.
  if v == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[8]) end
  local expires = tonumber(ARGV[5])
  if e == nil or expires < e then e = expires end
end
r = r + 1
v = v + res
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[1], 'r', int(r), 'v', int(v), 'n', id, 'e', e or 0, 'g', string.sub(ARGV[6], 2))
else
  redis.call('HSET', KEYS[1], 'r', int(r), 'v', int(v), 'n', id, 'e', e or 0)
  if c[5] then redis.call('HDEL', KEYS[1], 'g') end
end
if fresh then redis.call('PEXPIRE', KEYS[1], ARGV[8]) end
-- The index scores -requests, so ascending order is most requests first, then identity.
local score = tonumber(redis.call('ZINCRBY', KEYS[3], -1, ARGV[7]))
if fresh then
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
elseif score ~= -r then
  -- The index expired before the counter: restore the entry and give the index a lifetime.
  redis.call('ZADD', KEYS[3], -r, ARGV[7])
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
end
if redis.call('HINCRBY', KEYS[4], 'r', 1) == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[8]) end
return {1, r, t, v, tonumber(id)}
";

/// KEYS: counter, reservations, totals. ARGV: reservation member, its tokens, settled tokens.
const SETTLE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if tonumber(ARGV[2]) > 0 and redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
end
if tonumber(ARGV[3]) > 0 then
  redis.call('HINCRBY', KEYS[1], 't', ARGV[3])
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 't', ARGV[3]) end
end
return 1
";

/// KEYS: counter, reservations, index, totals. ARGV: reservation member, its tokens, identity.
const RELEASE: &str = r"
local c = redis.call('HGET', KEYS[1], 'r')
if not c then return 0 end
if tonumber(ARGV[2]) > 0 and redis.call('ZREM', KEYS[2], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
end
local r = tonumber(c)
if r > 0 then
  redis.call('HINCRBY', KEYS[1], 'r', -1)
  if redis.call('ZSCORE', KEYS[3], ARGV[3]) then redis.call('ZINCRBY', KEYS[3], 1, ARGV[3]) end
  if redis.call('EXISTS', KEYS[4]) == 1 then redis.call('HINCRBY', KEYS[4], 'r', -1) end
end
return 1
";

/// KEYS: counter, reservations. ARGV: now (µs). Returns {requests, tokens, live reserved}.
const USAGE: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v')
local v = tonumber(c[3]) or 0
if v > 0 then
  for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])) do
    v = v - reserved_in(m)
  end
end
return {tonumber(c[1]) or 0, tonumber(c[2]) or 0, v}
";

/// The loaded scripts (`EVALSHA`; the redis crate loads a script again on `NOSCRIPT`).
#[derive(Debug)]
pub(crate) struct Scripts {
    pub(crate) admit: Script,
    pub(crate) settle: Script,
    pub(crate) release: Script,
    pub(crate) usage: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with_prelude = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Self {
            admit: with_prelude(ADMIT),
            settle: Script::new(SETTLE),
            release: Script::new(RELEASE),
            usage: with_prelude(USAGE),
        }
    }
}
