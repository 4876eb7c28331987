//! The Lua scripts: every write (and the live-usage read) is one atomic script call.
//!
//! Numbers travel as decimal strings and are written back with `%d`, exact up to 2^53
//! (Lua numbers are doubles); the store clamps token arguments to that range. Scripts avoid
//! string building and JSON: each `redis.call` costs far more than the Lua around it.

use redis::Script;

/// Shared helpers, prepended to scripts that need them.
///
/// A reservation is a field `<id>:<tokens>` of the counter hash whose value is its expiry
/// (µs); the counter's `v` totals their tokens and `e` bounds their earliest expiry from below.
/// `live` reads every field, drops the reservations expired at `now` (when `drop` is true)
/// and returns the live total and the new bound (nil without reservations). It runs only
/// once `e <= now`, so admissions normally never read the reservations.
const PRELUDE: &str = r"
local function int(x) return string.format('%d', x) end
local function live(key, now, drop)
  local all = redis.call('HGETALL', key)
  local v, e, gone = 0, nil, {}
  for i = 1, #all, 2 do
    local tokens = string.match(all[i], ':(%d+)$')
    if tokens then
      local expires = tonumber(all[i + 1])
      if expires <= now then
        gone[#gone + 1] = all[i]
      else
        v = v + tonumber(tokens)
        if e == nil or expires < e then e = expires end
      end
    end
  end
  -- HDEL in chunks: Lua's unpack is bounded by the C stack.
  if drop then
    for i = 1, #gone, 1000 do
      redis.call('HDEL', key, unpack(gone, i, math.min(i + 999, #gone)))
    end
  end
  return v, e
end
";

/// KEYS: counter, index, totals.
/// ARGV: now (µs), request limit or '', token limit or '', tokens to reserve, reservation
/// expiry (µs), tier ('' for none, else '=' followed by the tier), the identity, key TTL (ms),
/// '1' to keep the reservation if admitted (it has tokens and has not expired) else '0'.
/// Returns {1, requests, tokens, reserved, id} when admitted, {0, requests, tokens, reserved}.
///
/// The common case is four calls: HMGET, HSET of the counter, ZINCRBY of the index and
/// HINCRBY of the totals; PEXPIRE only when a key is created.
const ADMIT: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v', 'n', 'e', 'g')
local fresh = not c[1]
local r = tonumber(c[1]) or 0
local t = tonumber(c[2]) or 0
local v = tonumber(c[3]) or 0
local e = tonumber(c[5])
local now = tonumber(ARGV[1])
local purged = false
if e and e <= now then
  v, e = live(KEYS[1], now, true)
  purged = true
end
local rl, tl = tonumber(ARGV[2]), tonumber(ARGV[3])
local fits = (rl == nil or r + 1 <= rl) and (tl == nil or t + v < tl)
if fresh then
  redis.call('HINCRBY', KEYS[3], 'i', 1)
  redis.call('PEXPIRE', KEYS[3], ARGV[8])
end
if not fits then
  if fresh then
    -- Like the reference store, a denied first request still creates the (empty) counter.
    redis.call('HSET', KEYS[1], 'r', 0)
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
    redis.call('ZADD', KEYS[2], 0, ARGV[7])
    redis.call('PEXPIRE', KEYS[2], ARGV[8])
  elseif purged then
    if e then redis.call('HSET', KEYS[1], 'v', int(v), 'e', int(e))
    else redis.call('HSET', KEYS[1], 'v', 0, 'e', '') end
  end
  return {0, r, t, v}
end
local id = int((tonumber(c[4]) or 0) + 1)
r = r + 1
local fields = {'r', int(r), 'n', id}
if ARGV[9] == '1' then
  local expires = tonumber(ARGV[5])
  v = v + tonumber(ARGV[4])
  if e == nil or expires < e then e = expires end
  fields[#fields + 1] = id .. ':' .. ARGV[4]
  fields[#fields + 1] = ARGV[5]
  fields[#fields + 1] = 'v'
  fields[#fields + 1] = int(v)
  fields[#fields + 1] = 'e'
  fields[#fields + 1] = int(e)
elseif purged then
  fields[#fields + 1] = 'v'
  fields[#fields + 1] = int(v)
  fields[#fields + 1] = 'e'
  fields[#fields + 1] = e and int(e) or ''
end
if ARGV[6] ~= '' then
  fields[#fields + 1] = 'g'
  fields[#fields + 1] = string.sub(ARGV[6], 2)
elseif c[6] then
  redis.call('HDEL', KEYS[1], 'g')
end
redis.call('HSET', KEYS[1], unpack(fields))
if fresh then redis.call('PEXPIRE', KEYS[1], ARGV[8]) end
-- The index scores -requests, so ascending order is most requests first, then identity.
local score = tonumber(redis.call('ZINCRBY', KEYS[2], -1, ARGV[7]))
if fresh then
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
elseif score ~= -r then
  -- The index expired before the counter: restore the entry and give the index a lifetime.
  redis.call('ZADD', KEYS[2], -r, ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[8])
end
if redis.call('HINCRBY', KEYS[3], 'r', 1) == 1 then redis.call('PEXPIRE', KEYS[3], ARGV[8]) end
return {1, r, t, v, tonumber(id)}
";

/// KEYS: counter, totals. ARGV: reservation field, its tokens, settled tokens.
const SETTLE: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
end
if tonumber(ARGV[3]) > 0 then
  redis.call('HINCRBY', KEYS[1], 't', ARGV[3])
  if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HINCRBY', KEYS[2], 't', ARGV[3]) end
end
return 1
";

/// KEYS: counter, index, totals. ARGV: reservation field, its tokens, identity.
const RELEASE: &str = r"
local c = redis.call('HGET', KEYS[1], 'r')
if not c then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
end
local r = tonumber(c)
if r > 0 then
  redis.call('HINCRBY', KEYS[1], 'r', -1)
  if redis.call('ZSCORE', KEYS[2], ARGV[3]) then redis.call('ZINCRBY', KEYS[2], 1, ARGV[3]) end
  if redis.call('EXISTS', KEYS[3]) == 1 then redis.call('HINCRBY', KEYS[3], 'r', -1) end
end
return 1
";

/// KEYS: counter. ARGV: now (µs). Returns {requests, tokens, live reserved}.
const USAGE: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v', 'e')
local v = tonumber(c[3]) or 0
local e = tonumber(c[4])
if e and e <= tonumber(ARGV[1]) then v = live(KEYS[1], tonumber(ARGV[1]), false) end
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
