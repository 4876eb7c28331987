//! The Lua scripts: every write (and the live-usage read) is one atomic script call.
//!
//! Numbers travel as decimal strings and are written back with `%d`, exact up to 2^53
//! (Lua numbers are doubles); the store clamps token arguments to that range.

use redis::Script;

/// Shared helpers, prepended to scripts that need them.
const PRELUDE: &str = r"
local function int(x) return string.format('%d', x) end
local function rank(requests, identity)
  return string.format('%015d', 999999999999999 - requests) .. ':' .. identity
end
local function reserved_in(member) return tonumber(string.match(member, ':(%d+)$')) end
";

/// KEYS: counter, reservations, index, totals.
/// ARGV: now (µs), request limit or '', token limit or '', tokens to reserve, reservation
/// expiry (µs), '1' if a tier is given, the tier, the identity, key TTL (ms).
/// Returns {1, requests, tokens, reserved, id} when admitted, {0, requests, tokens, reserved}.
const ADMIT: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v', 'n', 'g')
local fresh = not c[1]
local r = tonumber(c[1]) or 0
local t = tonumber(c[2]) or 0
local v = tonumber(c[3]) or 0
local purged = false
if fresh then
  -- A leftover reservation set (the counter expired first) must not count against a new counter.
  redis.call('DEL', KEYS[2])
elseif v > 0 then
  local gone = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
  if #gone > 0 then
    for _, m in ipairs(gone) do v = v - reserved_in(m) end
    redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
    purged = true
  end
end
local rl, tl = tonumber(ARGV[2]), tonumber(ARGV[3])
local fits = (rl == nil or r + 1 <= rl) and (tl == nil or t + v < tl)
if fresh then
  redis.call('HINCRBY', KEYS[4], 'i', 1)
  redis.call('PEXPIRE', KEYS[4], ARGV[9])
end
if not fits then
  if fresh then
    -- Like the reference store, a denied first request still creates the (empty) counter.
    redis.call('HSET', KEYS[1], 'r', 0)
    redis.call('PEXPIRE', KEYS[1], ARGV[9])
    redis.call('ZADD', KEYS[3], 0, rank(0, ARGV[8]))
    redis.call('PEXPIRE', KEYS[3], ARGV[9])
  elseif purged then
    redis.call('HSET', KEYS[1], 'v', int(v))
  end
  return {0, r, t, v}
end
local res = tonumber(ARGV[4])
local id = int((tonumber(c[4]) or 0) + 1)
if res > 0 then
  redis.call('ZADD', KEYS[2], ARGV[5], id .. ':' .. ARGV[4])
  -- v == 0 means the set did not exist: it starts its lifetime now.
  if v == 0 then redis.call('PEXPIRE', KEYS[2], ARGV[9]) end
end
r = r + 1
v = v + res
if ARGV[6] == '1' then
  redis.call('HSET', KEYS[1], 'r', int(r), 'v', int(v), 'n', id, 'g', ARGV[7])
else
  redis.call('HSET', KEYS[1], 'r', int(r), 'v', int(v), 'n', id)
  if c[5] then redis.call('HDEL', KEYS[1], 'g') end
end
if fresh then
  redis.call('PEXPIRE', KEYS[1], ARGV[9])
  redis.call('ZADD', KEYS[3], 0, rank(1, ARGV[8]))
  redis.call('PEXPIRE', KEYS[3], ARGV[9])
else
  -- A missing old member means the index expired before the counter: restart its lifetime.
  if redis.call('ZREM', KEYS[3], rank(r - 1, ARGV[8])) == 0 then
    redis.call('ZADD', KEYS[3], 0, rank(r, ARGV[8]))
    redis.call('PEXPIRE', KEYS[3], ARGV[9])
  else
    redis.call('ZADD', KEYS[3], 0, rank(r, ARGV[8]))
  end
end
if redis.call('HINCRBY', KEYS[4], 'r', 1) == 1 then redis.call('PEXPIRE', KEYS[4], ARGV[9]) end
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
  redis.call('HSET', KEYS[1], 'r', int(r - 1))
  if redis.call('ZREM', KEYS[3], rank(r, ARGV[3])) == 1 then
    redis.call('ZADD', KEYS[3], 0, rank(r - 1, ARGV[3]))
  end
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
            release: with_prelude(RELEASE),
            usage: with_prelude(USAGE),
        }
    }
}
