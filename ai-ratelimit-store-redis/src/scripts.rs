//! The Lua scripts: every write (and the live-usage read) is one atomic script call.
//!
//! Numbers travel as decimal strings and are written back with `%d`, exact up to 2^53
//! (Lua numbers are doubles); the store clamps token arguments to that range. Scripts avoid
//! string building and JSON: each `redis.call` costs far more than the Lua around it.

use redis::Script;

/// Shared helpers, prepended to scripts that need them.
///
/// `enter` writes a listing entry (and the totals, which sum the index's entries).
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
-- Sets the identity's listing entry to r requests, keeping the totals' request sum and
-- identity count equal to the index's; gives both the lifetime `ttl` (ms) unless nil.
local function enter(index, totals, identity, r, ttl)
  local old = redis.call('ZSCORE', index, identity)
  redis.call('ZADD', index, int(-r), identity)
  if old then
    local delta = r + tonumber(old)
    if delta ~= 0 then redis.call('HINCRBY', totals, 'r', int(delta)) end
  else
    redis.call('HINCRBY', totals, 'r', int(r))
    redis.call('HINCRBY', totals, 'i', 1)
  end
  if ttl then
    redis.call('PEXPIRE', index, ttl)
    redis.call('PEXPIRE', totals, ttl)
  end
end
";

/// KEYS: counter, index, totals, changed.
/// ARGV: now (µs), request limit or '', token limit or '', tokens to reserve, reservation
/// expiry (µs), tier ('' for none, else '=' followed by the tier), the identity, key TTL (ms).
/// Returns {1, requests, tokens, reserved, id} when admitted, {0, requests, tokens, reserved}.
///
/// The common case is two calls on the counter, HMGET and HSET: the listing index is not
/// touched; the identity is marked changed (SADD, with `d` = 1 in the counter so that it
/// happens once between two listing reads) and the next listing or totals read rewrites its
/// entry. A first request enters the index and the totals directly. The counter's first
/// fields are its state (`d` included), so finding them never scans the reservations.
/// A reservation without tokens, or expired already, would never count: it is not stored.
const ADMIT: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 't', 'v', 'n', 'e', 'g', 'd')
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
if not ((rl == nil or r + 1 <= rl) and (tl == nil or t + v < tl)) then
  if fresh then
    -- Like the reference store, a denied first request still creates the (empty) counter.
    redis.call('HSET', KEYS[1], 'r', 0, 'd', 0)
    redis.call('PEXPIRE', KEYS[1], ARGV[8])
    enter(KEYS[2], KEYS[3], ARGV[7], 0, ARGV[8])
  elseif purged then
    redis.call('HSET', KEYS[1], 'v', int(v), 'e', e and int(e) or '')
  end
  return {0, r, t, v}
end
local id = int((tonumber(c[4]) or 0) + 1)
r = r + 1
local f = {'r', int(r), 'n', id}
local tokens, expires = tonumber(ARGV[4]), tonumber(ARGV[5])
local kept = tokens > 0 and expires > now
if kept then
  v = v + tokens
  f[#f + 1] = 'v'
  f[#f + 1] = int(v)
  -- `e` is written only when it moves: with one reservation lifetime it rarely does.
  if e == nil or expires < e then
    f[#f + 1] = 'e'
    f[#f + 1] = ARGV[5]
  elseif purged then
    f[#f + 1] = 'e'
    f[#f + 1] = int(e)
  end
elseif purged then
  f[#f + 1] = 'v'
  f[#f + 1] = int(v)
  f[#f + 1] = 'e'
  f[#f + 1] = e and int(e) or ''
end
if ARGV[6] ~= '' then
  local g = string.sub(ARGV[6], 2)
  if g ~= c[6] then
    f[#f + 1] = 'g'
    f[#f + 1] = g
  end
elseif c[6] then
  redis.call('HDEL', KEYS[1], 'g')
end
if fresh then
  f[#f + 1] = 'd'
  f[#f + 1] = '0'
end
-- Counters written before the changed set have no `d`: absent is unmarked.
local mark = not fresh and c[7] ~= '1'
if mark then
  f[#f + 1] = 'd'
  f[#f + 1] = '1'
end
-- The reservation goes last: a new counter's state fields come first.
if kept then
  f[#f + 1] = id .. ':' .. ARGV[4]
  f[#f + 1] = ARGV[5]
end
redis.call('HSET', KEYS[1], unpack(f))
if fresh then
  redis.call('PEXPIRE', KEYS[1], ARGV[8])
  enter(KEYS[2], KEYS[3], ARGV[7], r, ARGV[8])
elseif mark then
  redis.call('SADD', KEYS[4], ARGV[7])
  redis.call('PEXPIRE', KEYS[4], ARGV[8])
end
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

/// KEYS: counter, changed. ARGV: reservation field, its tokens, identity.
/// One request less is a change of the listing: the identity is marked as in `ADMIT`.
const RELEASE: &str = r"
local c = redis.call('HMGET', KEYS[1], 'r', 'd')
if not c[1] then return 0 end
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
end
local r = tonumber(c[1])
if r > 0 then
  if c[2] == '1' then
    redis.call('HINCRBY', KEYS[1], 'r', -1)
  else
    redis.call('HSET', KEYS[1], 'r', int(r - 1), 'd', '1')
    redis.call('SADD', KEYS[2], ARGV[3])
    local ttl = redis.call('PTTL', KEYS[1])
    if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
  end
end
return 1
";

/// KEYS: index, totals, changed, then the counters of ARGV's identities (in the same order).
/// ARGV: identities marked changed. Rewrites each one's listing entry from its counter (and
/// the totals with it) and unmarks it. Returns how many entries it rewrote.
const SYNC: &str = r"
local ttl, n = 0, 0
for i = 1, #ARGV do
  local counter = KEYS[i + 3]
  redis.call('SREM', KEYS[3], ARGV[i])
  local r = redis.call('HGET', counter, 'r')
  if r then
    redis.call('HSET', counter, 'd', 0)
    enter(KEYS[1], KEYS[2], ARGV[i], tonumber(r), nil)
    ttl = math.max(ttl, redis.call('PTTL', counter))
    n = n + 1
  end
end
-- The index and totals live as long as the counters (they may have expired first).
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return n
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
    pub(crate) sync: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let with_prelude = |body: &str| Script::new(&format!("{PRELUDE}{body}"));
        Self {
            admit: with_prelude(ADMIT),
            settle: Script::new(SETTLE),
            release: with_prelude(RELEASE),
            usage: with_prelude(USAGE),
            sync: with_prelude(SYNC),
        }
    }
}
