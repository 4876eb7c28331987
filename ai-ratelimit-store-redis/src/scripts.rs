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

/// Admissions of one scope and period, applied in order, each as if alone (a batch is a
/// group commit: admissions that queued while another call of their scope was in flight).
///
/// KEYS: index, totals, changed, then one counter per admission.
/// ARGV: 8 per admission, in the order of the counters: now (µs), request
/// limit or '', token limit or '', tokens to reserve, reservation expiry (µs), tier ('' for
/// none, else '=' followed by the tier), the identity, key TTL (ms).
/// Returns 5 integers per admission (`ADMIT_REPLY`): {1, requests, tokens, reserved, id}
/// when admitted, {0, requests, tokens, reserved, 0} when denied.
///
/// The common case is two calls on the counter, HMGET and HSET: the listing index is not
/// touched; the identity is marked changed (SADD, with `d` = 1 in the counter so that it
/// happens once between two listing reads) and the next listing or totals read rewrites its
/// entry. A first request enters the index and the totals directly. The counter's first
/// fields are its state (`d` included), so finding them never scans the reservations.
/// A reservation without tokens, or expired already, would never count: it is not stored.
const ADMIT: &str = r"
-- One admission on `counter` with its arguments at ARGV[a + 1 .. a + 8]; returns
-- admitted (1/0), requests, tokens, reserved, reservation id (0 when denied).
local function admit(counter, index, totals, changed, a)
  local c = redis.call('HMGET', counter, 'r', 't', 'v', 'n', 'e', 'g', 'd')
  local fresh = not c[1]
  local r = tonumber(c[1]) or 0
  local t = tonumber(c[2]) or 0
  local v = tonumber(c[3]) or 0
  local e = tonumber(c[5])
  local now = tonumber(ARGV[a + 1])
  local identity, ttl = ARGV[a + 7], ARGV[a + 8]
  local purged = false
  if e and e <= now then
    v, e = live(counter, now, true)
    purged = true
  end
  local rl, tl = tonumber(ARGV[a + 2]), tonumber(ARGV[a + 3])
  if not ((rl == nil or r + 1 <= rl) and (tl == nil or t + v < tl)) then
    if fresh then
      -- Like the reference store, a denied first request still creates the (empty) counter.
      redis.call('HSET', counter, 'r', 0, 'd', 0)
      redis.call('PEXPIRE', counter, ttl)
      enter(index, totals, identity, 0, ttl)
    elseif purged then
      redis.call('HSET', counter, 'v', int(v), 'e', e and int(e) or '')
    end
    return 0, r, t, v, 0
  end
  local id = (tonumber(c[4]) or 0) + 1
  local id_text = int(id)
  r = r + 1
  local f = {'r', int(r), 'n', id_text}
  local reserve, expiry = ARGV[a + 4], ARGV[a + 5]
  local tokens, expires = tonumber(reserve), tonumber(expiry)
  local kept = tokens > 0 and expires > now
  if kept then
    v = v + tokens
    f[#f + 1] = 'v'
    f[#f + 1] = int(v)
    -- `e` is written only when it moves: with one reservation lifetime it rarely does.
    if e == nil or expires < e then
      f[#f + 1] = 'e'
      f[#f + 1] = expiry
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
  local tier = ARGV[a + 6]
  if tier ~= '' then
    local g = string.sub(tier, 2)
    if g ~= c[6] then
      f[#f + 1] = 'g'
      f[#f + 1] = g
    end
  elseif c[6] then
    redis.call('HDEL', counter, 'g')
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
    f[#f + 1] = id_text .. ':' .. reserve
    f[#f + 1] = expiry
  end
  redis.call('HSET', counter, unpack(f))
  if fresh then
    redis.call('PEXPIRE', counter, ttl)
    enter(index, totals, identity, r, ttl)
  elseif mark then
    redis.call('SADD', changed, identity)
    redis.call('PEXPIRE', changed, ttl)
  end
  return 1, r, t, v, id
end
local out = {}
for i = 1, #KEYS - 3 do
  local o = (i - 1) * 5
  out[o + 1], out[o + 2], out[o + 3], out[o + 4], out[o + 5] =
    admit(KEYS[i + 3], KEYS[1], KEYS[2], KEYS[3], (i - 1) * 8)
end
return out
";

/// Integers of one admission's reply in `ADMIT`.
pub(crate) const ADMIT_REPLY: usize = 5;

/// KEYS: counter, totals. ARGV: reservation field, its tokens, settled tokens.
///
/// The common case (a live reservation, tokens used) is four calls: the reservation's HDEL
/// shows the counter exists, and the totals are incremented blindly, then deleted again in
/// the rare case that this created them (a totals key without a TTL: none is written so).
const SETTLE: &str = r"
local held = redis.call('HDEL', KEYS[1], ARGV[1]) == 1
if held then
  redis.call('HINCRBY', KEYS[1], 'v', '-' .. ARGV[2])
elseif redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
if tonumber(ARGV[3]) > 0 then
  redis.call('HINCRBY', KEYS[1], 't', ARGV[3])
  if redis.call('HINCRBY', KEYS[2], 't', ARGV[3]) == tonumber(ARGV[3])
    and redis.call('PTTL', KEYS[2]) == -1 then
    redis.call('DEL', KEYS[2])
  end
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
