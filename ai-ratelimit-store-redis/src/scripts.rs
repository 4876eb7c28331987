//! The Lua scripts: every write (and the live-usage read) is one atomic script call.
//!
//! A counter's state is one hash field `s` (see the crate docs): six little-endian doubles
//! (`struct.pack('<dddddd', …)`, exact up to 2^53; the store clamps token arguments to that
//! range) followed by the tier. One `HGET` and one `struct.unpack` cost a fraction of reading
//! seven text fields and converting each (`redis.call` and `tonumber` each cost as much as a
//! dozen Lua operations here), and an admission's numeric arguments arrive packed the same way.
//! Rare paths (the purge of expired reservations, a new counter) define their helpers inside
//! their own branch, so a common call never builds them.

use redis::Script;

/// `live(key, now, drop)`: reads every field of the counter, drops the reservations expired
/// at `now` (when `drop` is true) and returns the live total and their earliest expiry (0
/// without reservations). A reservation is a field `<id>` whose value is its tokens and expiry
/// (µs), two packed doubles: one `struct.unpack` per reservation, where parsing the tokens out
/// of the field's name cost three calls. Runs only once the state's bound `e` has passed.
const LIVE: &str = r"
local function live(key, now, drop)
  local all = redis.call('HGETALL', key)
  local v, e, gone = 0, 0, {}
  for i = 1, #all, 2 do
    if all[i] ~= 's' then
      local tokens, expires = struct.unpack('<dd', all[i + 1])
      if expires <= now then
        gone[#gone + 1] = all[i]
      else
        v = v + tokens
        if e == 0 or expires < e then e = expires end
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

/// `enter(index, totals, identity, r, ttl)`: sets the identity's listing entry to `r`
/// requests, keeping the totals' request sum and identity count equal to the index's; gives
/// both the lifetime `ttl` (ms) unless nil.
const ENTER: &str = r"
local function enter(index, totals, identity, r, ttl)
  local old = redis.call('ZSCORE', index, identity)
  redis.call('ZADD', index, string.format('%d', -r), identity)
  if old then
    local delta = r + tonumber(old)
    if delta ~= 0 then redis.call('HINCRBY', totals, 'r', string.format('%d', delta)) end
  else
    redis.call('HINCRBY', totals, 'r', string.format('%d', r))
    redis.call('HINCRBY', totals, 'i', 1)
  end
  if ttl then
    redis.call('PEXPIRE', index, ttl)
    redis.call('PEXPIRE', totals, ttl)
  end
end
";

/// Admissions of one scope and period, in order (one or a batch of queued ones).
/// KEYS: index, totals, changed, then each admission's counter.
/// ARGV: two per admission: `struct.pack('<dddddd', now µs, request limit, token limit,
/// tokens to reserve, reservation expiry µs, key TTL ms)` (a limit of -1: none) followed by
/// the tier ('' for none, else '=' followed by the tier), and the identity.
/// Returns one string per admission: `+` and the new state when admitted (the reservation id
/// is the state's `n`), `-` and the state when denied, `!` and a message when it failed. An
/// admission sees the ones before it in the batch. (A flat array of strings: a table per
/// admission costs Redis measurably more to build and reply; `bench/RESULTS.md`.)
///
/// The common case is two calls on the counter, HGET and HSET: the listing index is not
/// touched; the identity is marked changed (SADD, with `d` = 1 in the state so that it
/// happens once between two listing reads) and the next listing or totals read rewrites its
/// entry. A first request enters the index and the totals directly. A reservation without
/// tokens, or expired already, would never count: it is not stored.
const ADMIT: &str = r"
local function admit(counter, numbers, identity)
  local s = redis.call('HGET', counter, 's')
  local r, t, v, n, e, d = 0, 0, 0, 0, 0, 0
  if s then r, t, v, n, e, d = struct.unpack('<dddddd', s) end
  local now, rl, tl, tokens, expires, ttl = struct.unpack('<dddddd', numbers)
  local purged = false
  if e > 0 and e <= now then
    -- {LIVE}
    v, e = live(counter, now, true)
    purged = true
  end
  local admitted = (rl < 0 or r < rl) and (tl < 0 or t + v < tl)
  local kept, mark = false, false
  if admitted then
    r, n = r + 1, n + 1
    kept = tokens > 0 and expires > now
    if kept then
      v = v + tokens
      if e == 0 or expires < e then e = expires end
    end
    -- Marked once between two listing reads (a new counter enters the index directly).
    mark = s and d ~= 1
    if mark then d = 1 end
  elseif s and not purged then
    return '-' .. s
  end
  local state = struct.pack('<dddddd', r, t, v, n, e, d)
    .. string.sub(admitted and numbers or s or '', 49)
  if kept then
    -- The reservation's value: its tokens and expiry, as packed in `numbers`.
    redis.call('HSET', counter, 's', state, string.format('%d', n), string.sub(numbers, 25, 40))
  else
    redis.call('HSET', counter, 's', state)
  end
  if not s then
    -- {ENTER}
    ttl = string.format('%d', ttl)
    redis.call('PEXPIRE', counter, ttl)
    enter(KEYS[1], KEYS[2], identity, r, ttl)
  elseif mark then
    redis.call('SADD', KEYS[3], identity)
    redis.call('PEXPIRE', KEYS[3], string.format('%d', ttl))
  end
  return (admitted and '+' or '-') .. state
end
local out = {}
for i = 4, #KEYS do
  -- Writes before an error stay: one admission's error (a foreign value in its counter) is
  -- its own answer and leaves the others of the batch alone.
  local ok, answer = pcall(admit, KEYS[i], ARGV[2 * i - 7], ARGV[2 * i - 6])
  out[i - 3] = ok and answer or '!' .. tostring(answer)
end
return out
";

/// An admission capped project-wide: `admit` (above) on the identity's counter, and the same
/// count on the scope's own counter (identity '', never listed: it enters no index), in one
/// script, so both or neither count.
/// KEYS: index, totals, changed, counter, scope counter. ARGV: the admission's numbers and
/// identity as in `ADMIT`, then `struct.pack('<dd', request cap, token cap)` (-1: none).
/// Returns two strings: the identity's answer as `ADMIT`'s (`+`/`-` and its state), and the
/// scope's: `+` and its state after admission, `-` and its state when the cap denied, ``
/// when the identity's own limits denied.
const ADMIT_CAPPED: &str = r"
local now, rl, tl, tokens, expires, ttl = struct.unpack('<dddddd', ARGV[1])
local crl, ctl = struct.unpack('<dd', ARGV[3])
local s = redis.call('HGET', KEYS[4], 's')
local r, t, v, n, e = 0, 0, 0, 0, 0
if s then r, t, v, n, e = struct.unpack('<ddddd', s) end
if e > 0 and e <= now then v, e = live(KEYS[4], now, false) end
if not ((rl < 0 or r < rl) and (tl < 0 or t + v < tl)) then
  -- The identity's own limits deny: `admit` answers (and purges) as without a cap.
  return {admit(KEYS[4], ARGV[1], ARGV[2]), ''}
end
local ss = redis.call('HGET', KEYS[5], 's')
local sr, st, sv, sn, se = 0, 0, 0, 0, 0
if ss then sr, st, sv, sn, se = struct.unpack('<ddddd', ss) end
if se > 0 and se <= now then sv, se = live(KEYS[5], now, true) end
if not ((crl < 0 or sr < crl) and (ctl < 0 or st + sv < ctl)) then
  return {'-' .. struct.pack('<dddddd', r, t, v, n, e, 0),
          '-' .. struct.pack('<dddddd', sr, st, sv, sn, se, 0)}
end
local answer = admit(KEYS[4], ARGV[1], ARGV[2])
sr, sn = sr + 1, sn + 1
local kept = tokens > 0 and expires > now
if kept then
  sv = sv + tokens
  if se == 0 or expires < se then se = expires end
end
local state = struct.pack('<dddddd', sr, st, sv, sn, se, 0)
if kept then
  redis.call('HSET', KEYS[5], 's', state, string.format('%d', sn), string.sub(ARGV[1], 25, 40))
else
  redis.call('HSET', KEYS[5], 's', state)
end
if not ss then redis.call('PEXPIRE', KEYS[5], string.format('%d', ttl)) end
return {answer, '+' .. state}
";

/// Settles or releases a reservation of a scope's own counter (no listing, no totals).
/// KEYS: scope counter. ARGV: reservation field, its tokens, settled tokens, 1 to release.
const SCOPE_SETTLE: &str = r"
local s = redis.call('HGET', KEYS[1], 's')
if not s then return 0 end
local r, t, v, n, e, d = struct.unpack('<dddddd', s)
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then v = v - tonumber(ARGV[2]) end
t = t + tonumber(ARGV[3])
if ARGV[4] == '1' and r > 0 then r = r - 1 end
redis.call('HSET', KEYS[1], 's', struct.pack('<dddddd', r, t, v, n, e, d) .. string.sub(s, 49))
return 1
";

/// Settles and releases reservations of one scope's period, in order: one call per batch.
/// KEYS: totals, changed, then each reservation's counter. ARGV: five per reservation — its
/// field, its tokens, the tokens used, `1` to release it (`0` to settle), the identity.
/// A settlement counts the tokens used in the counter (and in the totals, when the listing
/// has them); a release takes the request back out, which is a change of the listing: the
/// identity is marked as in `ADMIT`. A counter already expired is left alone.
const SETTLE: &str = r"
local used = 0
for i = 3, #KEYS do
  local counter, a = KEYS[i], (i - 3) * 5
  local s = redis.call('HGET', counter, 's')
  if s then
    local r, t, v, n, e, d = struct.unpack('<dddddd', s)
    if redis.call('HDEL', counter, ARGV[a + 1]) == 1 then v = v - tonumber(ARGV[a + 2]) end
    local tokens = tonumber(ARGV[a + 3])
    t, used = t + tokens, used + tokens
    local mark = false
    if ARGV[a + 4] == '1' then
      mark = r > 0 and d ~= 1
      if r > 0 then r, d = r - 1, 1 end
    end
    redis.call('HSET', counter, 's', struct.pack('<dddddd', r, t, v, n, e, d) .. string.sub(s, 49))
    if mark then
      redis.call('SADD', KEYS[2], ARGV[a + 5])
      local ttl = redis.call('PTTL', counter)
      if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
    end
  end
end
if used > 0 and redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('HINCRBY', KEYS[1], 't', string.format('%d', used))
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
  local s = redis.call('HGET', counter, 's')
  if s then
    local r, t, v, m, e = struct.unpack('<ddddd', s)
    redis.call('HSET', counter, 's', struct.pack('<dddddd', r, t, v, m, e, 0) .. string.sub(s, 49))
    enter(KEYS[1], KEYS[2], ARGV[i], r, nil)
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
local s = redis.call('HGET', KEYS[1], 's')
if not s then return {0, 0, 0} end
local r, t, v, n, e = struct.unpack('<ddddd', s)
local now = tonumber(ARGV[1])
if e > 0 and e <= now then v = live(KEYS[1], now, false) end
return {r, t, v}
";

/// KEYS: counter, index, totals, changed. ARGV: identity. Erases the identity's counter in
/// the period and takes it out of the listing, the changed set and the totals (its indexed
/// requests, its settled tokens, one identity).
const FORGET: &str = r"
local s = redis.call('HGET', KEYS[1], 's')
local totals = redis.call('EXISTS', KEYS[3]) == 1
if s and totals then
  local r, t = struct.unpack('<dd', s)
  if t ~= 0 then redis.call('HINCRBY', KEYS[3], 't', string.format('%d', -t)) end
end
local old = redis.call('ZSCORE', KEYS[2], ARGV[1])
if old then
  redis.call('ZREM', KEYS[2], ARGV[1])
  if totals then
    -- The score is minus the indexed requests.
    redis.call('HINCRBY', KEYS[3], 'r', string.format('%d', tonumber(old)))
    redis.call('HINCRBY', KEYS[3], 'i', -1)
  end
end
redis.call('SREM', KEYS[4], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
";

/// The loaded scripts (`EVALSHA`; the redis crate loads a script again on `NOSCRIPT`).
#[derive(Debug)]
pub(crate) struct Scripts {
    pub(crate) admit: Script,
    pub(crate) settle: Script,
    pub(crate) usage: Script,
    pub(crate) sync: Script,
    pub(crate) forget: Script,
    pub(crate) admit_capped: Script,
    pub(crate) scope_settle: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        let admit = ADMIT
            .replace("-- {LIVE}", LIVE)
            .replace("-- {ENTER}", ENTER);
        let admit_function = ADMIT[..ADMIT.find("local out = {}").unwrap_or(ADMIT.len())]
            .replace("-- {LIVE}", LIVE)
            .replace("-- {ENTER}", ENTER);
        Self {
            admit_capped: Script::new(&format!("{LIVE}{admit_function}{ADMIT_CAPPED}")),
            scope_settle: Script::new(SCOPE_SETTLE),
            admit: Script::new(&admit),
            settle: Script::new(SETTLE),
            usage: Script::new(&format!("{LIVE}{USAGE}")),
            sync: Script::new(&format!("{ENTER}{SYNC}")),
            forget: Script::new(FORGET),
        }
    }
}
