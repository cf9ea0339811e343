-- tollgate: runs one plan of counter operations atomically (see store.rs),
-- after pairs.lua (u64 values as u32 halves, see there).
-- The Rust side precomputes whatever does not depend on stored state
-- (window index of `now`, `now + lockout`, TTLs), so the script only adds,
-- subtracts, compares and, rarely, divides pairs.
--
-- Arguments (packed, see `run`): now_hi, now_lo, want_time, then per
-- operation an opcode and its fields; KEYS: each operation's keys in
-- order. The file ends with `run`, called by script.lua (EVALSHA) or
-- function.lua (FCALL). The reply is a flat array
-- of integers (each below 2^53), per operation in order, then the number
-- of malformed keys met, then the server's TIME when want_time is 1.

-- Every value starts with FORMAT, the version of the layouts below, so
-- that no value another writer left under the prefix (or another version
-- of this script, after a layout change) is ever unpacked as one of ours.
-- Change it whenever a layout changes.
local FORMAT = '\1'
local malformed = 0

-- Whether a value's length (after FORMAT) fits a layout: `n` bytes, or a
-- `head` then rows of `row` bytes.
local function fixed(n) return function(len) return len == n end end
local function rows(head, row)
  return function(len) return len >= head and (len - head) % row == 0 end
end
local GCRA, WINDOW, DISTINCT, HISTORY = fixed(8), fixed(24), rows(16, 4), rows(8, 12)
local REGISTER, CAP, BACKOFF = fixed(24), fixed(32), fixed(20)
-- A window pair: two window states (WIN) one after the other.
local PAIR = fixed(48)
-- Series: bucket length and newest bucket index as pairs, then the counts
-- of that bucket and the 31 before it (store/series.rs).
local SERIES_N = 32
local SERIES = fixed(16 + 4 * SERIES_N)

-- The value of `k` without FORMAT, or nil when there is none. A key of
-- another Redis type, without FORMAT or of a length its layout cannot have
-- is malformed: it is deleted and counted, and the operation runs as on an
-- absent key, so a plan never fails half-way (the engine would then run
-- it again on its fallback, counting it twice) and the key is well-formed
-- again after the operation's write.
local function read(k, fits)
  local raw = redis.pcall('GET', k)
  if not raw then return nil end
  if type(raw) == 'string' and string.sub(raw, 1, 1) == FORMAT and fits(#raw - 1) then
    return string.sub(raw, 2)
  end
  redis.call('DEL', k)
  malformed = malformed + 1
  return nil
end

-- Writes a value whose state is idle `ttl` ms from now.
local function save(key, value, ttl)
  redis.call('SET', key, FORMAT .. value, 'PX', ms_string(math.max(ttl, MARGIN_MS)))
end

-- Writes a value that an out-of-order event changed: the state still goes
-- idle when its TTL said (KEEPTTL needs Redis 6.0).
local function keep(key, value)
  redis.call('SET', key, FORMAT .. value, 'KEEPTTL')
end

-- Per-call state, reset by `run`: the arguments, the next argument and key,
-- `now` as a pair, the reply. (As a Redis Function this code is loaded
-- once and these stay between calls; Redis runs one call at a time.)
local args, keys, at, kt, nh, nl = nil, nil, 1, 1, 0, 0
local function arg()
  local v = args[at]
  at = at + 1
  return v
end
local function u64() return arg(), arg() end
local function key()
  local k = keys[kt]
  kt = kt + 1
  return k
end

local out, n = {}, 0
-- Appends an operation's results (one to six numbers; no table per call).
local function push(a, b, c, d, e, f)
  n = n + 1
  out[n] = a
  if b then n = n + 1; out[n] = b end
  if c then n = n + 1; out[n] = c end
  if d then n = n + 1; out[n] = d end
  if e then n = n + 1; out[n] = e end
  if f then n = n + 1; out[n] = f end
end

-- Window generations: {index_hi, index_lo, length_hi, length_lo}. Moves
-- `g` to the window `ih, il`; returns the new head and the step taken:
-- 'same', 'older' (an event before the current window: counts in it),
-- 'next' or 'restart'. Mirrors store/window.rs Generation::advance.
local function advance(g, lh, ll, ih, il)
  if not g or g[3] ~= lh or g[4] ~= ll then return { ih, il, lh, ll }, 'restart' end
  local c = cmp(ih, il, g[1], g[2])
  if c == 0 then return g, 'same' end
  if c < 0 then return g, 'older' end
  local sh, sl = add(g[1], g[2], 0, 1)
  if cmp(ih, il, sh, sl) == 0 then return { ih, il, lh, ll }, 'next' end
  return { ih, il, lh, ll }, 'restart'
end

local WIN = '>I4I4I4I4I4I4'

-- A window spec from ARGV: length, index of now, carry fraction r/L.
local function window_spec()
  local s = {}
  s.lh, s.ll = u64()
  s.ih, s.il = u64()
  s.rh, s.rl = u64()
  s.fh, s.fl = u64()
  return s
end

-- Adds `amount` to window state `raw` (nil: none); returns the packed new
-- state, the sliding count and whether the event was older than the state.
local function window_add(raw, s, amount)
  local g, cur, prev = nil, 0, 0
  if raw then
    local a, b, c, d, e, f = struct.unpack(WIN, raw)
    g, cur, prev = { a, b, c, d }, e, f
  end
  local step
  g, step = advance(g, s.lh, s.ll, s.ih, s.il)
  if step == 'next' then cur, prev = 0, cur elseif step == 'restart' then cur, prev = 0, 0 end
  cur = math.min(cur + amount, MAXU32)
  local carried = prev
  if step ~= 'older' then carried = scale(prev, s.rh, s.rl, s.fh, s.fl) end
  return struct.pack(WIN, g[1], g[2], g[3], g[4], cur, prev), cur + carried, step == 'older', step == 'same'
end

-- Writes window state `packed`. A write in the same window as the stored
-- state keeps the key's TTL: the last full write set it for this window's
-- end, the same expiry this write would set (to the millisecond, under one
-- clock; the one-second margin covers the rest), and SET ... KEEPTTL costs
-- Redis about half of SET ... PX. Hot counters (an IP under attack, the
-- familiarity totals) are written mostly in the same window.
local function window_save(k, packed, ttl, older, same)
  if older or same then keep(k, packed) else save(k, packed, ttl) end
end

-- What window_add(raw, s, 0) counts, without building the new state: the
-- reads (detectors, familiarity) are half of a login plan's operations.
local function window_peek(raw, s)
  if not raw then return 0 end
  local a, b, c, d, cur, prev = struct.unpack(WIN, raw)
  if c ~= s.lh or d ~= s.ll then return 0 end
  local o = cmp(s.ih, s.il, a, b)
  if o == 0 then return cur + scale(prev, s.rh, s.rl, s.fh, s.fl) end
  if o < 0 then return cur + prev end
  local xh, xl = add(a, b, 0, 1)
  if cmp(s.ih, s.il, xh, xl) == 0 then return scale(cur, s.rh, s.rl, s.fh, s.fl) end
  return 0
end

-- GCRA on plain numbers, relative to now: every duration and the stored
-- time's distance from now below 2^51 ns (26 days), so that every sum
-- below stays under 2^53 and exact. Same results as the pair arithmetic in
-- gcra() (which handles the rest): about three times less work.
local SMALL = 524288 -- 2^19: a high half below this is a value below 2^51
local function gcra_small(k, mode, raw, ah, al, t, i, e)
  local s = 0
  if raw then
    s = (ah - nh) * B + (al - nl)
    if s < 0 then s = 0 end
  end
  local x = s + i
  local allowed = x <= t
  local store
  if mode == 0 and allowed then
    store = x
  elseif mode == 2 then
    store = math.min(t + e, x)
  elseif not raw and mode ~= 1 then
    store = 0
  end
  local u = s
  if store then
    u = store
    local xh = math.floor(store / B)
    local sh, sl = nh + xh, nl + (store - xh * B)
    if sl >= B then sh, sl = sh + 1, sl - B end
    save(k, struct.pack('>I4I4', sh, sl), math.floor(store / 1e6) + 1 + MARGIN_MS)
  end
  local remaining = math.min(idiv(math.max(t - u, 0), e), MAXU32)
  local r = 0
  if not allowed then r = x - t end
  local uh, rh = math.floor(u / B), math.floor(r / B)
  push(allowed and 1 or 0, remaining, uh, u - uh * B, rh, r - rh * B)
end

local function gcra()
  local k = key()
  local mode = arg()
  local th, tl = u64()
  local ih, il = u64()
  local eh, el = u64()
  local raw = read(k, GCRA)
  local ah, al
  if raw then ah, al = struct.unpack('>I4I4', raw) end
  if th < SMALL and ih < SMALL and eh < SMALL and (not raw or math.abs(ah - nh) < SMALL) then
    return gcra_small(k, mode, raw, ah, al, num(th, tl), num(ih, il), num(eh, el))
  end
  local sh, sl = nh, nl
  if raw and cmp(ah, al, nh, nl) > 0 then sh, sl = ah, al end
  local xh, xl = add(sh, sl, ih, il)
  local dh, dl = sub(xh, xl, nh, nl)
  local allowed = cmp(dh, dl, th, tl) <= 0
  local storeh, storel
  if mode == 0 and allowed then
    storeh, storel = xh, xl
  elseif mode == 2 then
    local ch, cl = add(nh, nl, th, tl)
    ch, cl = add(ch, cl, eh, el)
    storeh, storel = xh, xl
    if cmp(ch, cl, xh, xl) < 0 then storeh, storel = ch, cl end
  end
  -- A refused consume or charge on a key with no state still stores
  -- `now`, as the in-process store creates the key: it matters when a
  -- later call comes with an earlier time.
  if not storeh and not raw and mode ~= 1 then storeh, storel = nh, nl end
  local afterh, afterl = sh, sl
  if storeh then
    afterh, afterl = storeh, storel
    local uh, ul = sub(storeh, storel, nh, nl)
    save(k, struct.pack('>I4I4', storeh, storel), ttl_of(uh, ul))
  end
  local uh, ul = sub(afterh, afterl, nh, nl)
  local lh, ll = sub(th, tl, uh, ul)
  local remaining = div_u32(lh, ll, eh, el)
  local rh, rl = 0, 0
  if not allowed then rh, rl = sub(dh, dl, th, tl) end
  push(allowed and 1 or 0, remaining, uh, ul, rh, rl)
end

local function window_op()
  local k = key()
  local s = window_spec()
  local amount = arg()
  local ttl = arg()
  local raw = read(k, WINDOW)
  -- A read (amount 0) stores nothing, as in MemoryStore: detectors' reads
  -- of counters nobody counted on must not create keys.
  if amount == 0 then
    push(window_peek(raw, s))
    return
  end
  local packed, count, older, same = window_add(raw, s, amount)
  window_save(k, packed, ttl, older, same)
  push(count)
end

-- A lane nobody added to: length 0, which no window has, so it reads 0
-- and its first add restarts it (store/window.rs Pair). WIN's 24 bytes,
-- spelled out: a library's top level runs where `struct` is not reachable.
local ABSENT = '\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0'

-- One lane of a pair: its packed state, its count, and whether it stayed
-- in its window (a lane adding 0 is only read, and stays).
local function pair_lane(r, s, amount)
  if amount == 0 then return r or ABSENT, window_peek(r, s), true end
  local packed, count, older, same = window_add(r, s, amount)
  return packed, count, older or same
end

-- Two window lanes under one key (Op::WindowPair): each counts as
-- window_op would on a key of its own; a lane adding 0 is only read and
-- left as it was, and a pair both of whose lanes read is not created. The
-- TTL (the longer lane's) is kept unless a lane moved to another window.
local function pair_op()
  local k = key()
  local s1 = window_spec()
  local a1 = arg()
  local s2 = window_spec()
  local a2 = arg()
  local ttl = arg()
  local raw = read(k, PAIR)
  local r1, r2
  if raw then r1, r2 = string.sub(raw, 1, 24), string.sub(raw, 25) end
  if a1 == 0 and a2 == 0 then
    push(window_peek(r1, s1), window_peek(r2, s2))
    return
  end
  local p1, c1, k1 = pair_lane(r1, s1, a1)
  local p2, c2, k2 = pair_lane(r2, s2, a2)
  if k1 and k2 then keep(k, p1 .. p2) else save(k, p1 .. p2, ttl) end
  push(c1, c2)
end

local CURRENT = 2147483648

local function distinct()
  local k = key()
  local lh, ll = u64()
  local ih, il = u64()
  local member = arg()
  local limit = arg()
  local ttl = arg()
  local raw = read(k, DISTINCT)
  local g, members = nil, {}
  if raw then
    local a, b, c, d, pos = struct.unpack('>I4I4I4I4', raw)
    g = { a, b, c, d }
    while pos <= #raw do
      local m
      m, pos = struct.unpack('>I4', raw, pos)
      members[#members + 1] = m
    end
  end
  local step
  g, step = advance(g, lh, ll, ih, il)
  if step == 'next' then
    local kept = {}
    for _, m in ipairs(members) do
      if m >= CURRENT then kept[#kept + 1] = m - CURRENT end
    end
    members = kept
  elseif step == 'restart' then
    members = {}
  end
  -- A limit of 0 reads (Op::DistinctCount): nothing is added or saved, so
  -- a set nobody added to is not created.
  if limit == 0 then
    push(#members)
    return
  end
  local current, found = 0, nil
  for i, m in ipairs(members) do
    if m >= CURRENT then current = current + 1 end
    if not found and math.fmod(m, CURRENT) == member then found = i end
  end
  if found then
    if members[found] < CURRENT then members[found] = members[found] + CURRENT end
  elseif current < limit then
    members[#members + 1] = member + CURRENT
  end
  local parts = { struct.pack('>I4I4I4I4', g[1], g[2], g[3], g[4]) }
  for _, m in ipairs(members) do parts[#parts + 1] = struct.pack('>I4', m) end
  local packed = table.concat(parts)
  if step == 'older' then keep(k, packed) else save(k, packed, ttl) end
  push(#members)
end

-- Reads a distinct set's count as `distinct` would see it before adding,
-- changing nothing: a count of a set nobody added to must not create it.
local function distinct_count()
  local k = key()
  local lh, ll = u64()
  local ih, il = u64()
  local raw = read(k, DISTINCT)
  if not raw then
    push(0)
    return
  end
  local a, b, c, d, pos = struct.unpack('>I4I4I4I4', raw)
  local _, step = advance({ a, b, c, d }, lh, ll, ih, il)
  local count = 0
  if step ~= 'restart' then
    while pos <= #raw do
      local m
      m, pos = struct.unpack('>I4', raw, pos)
      if step ~= 'next' or m >= CURRENT then count = count + 1 end
    end
  end
  push(count)
end

-- Histories: updated (pair), then (member, count, last_seen) triples.
local function history_load(raw)
  local h = { uh = 0, ul = 0, e = {} }
  if not raw then return h end
  local pos
  h.uh, h.ul, pos = struct.unpack('>I4I4', raw)
  while pos <= #raw do
    local m, c, s
    m, c, s, pos = struct.unpack('>I4I4I4', raw, pos)
    h.e[#h.e + 1] = { m, c, s }
  end
  return h
end

-- A member's count in history value `raw` and the history's total, read
-- in place (history_load builds a table per entry).
local function history_count(raw, member)
  local count, total = 0, 0
  if not raw then return count, total end
  for pos = 9, #raw, 12 do
    local m, c = struct.unpack('>I4I4', raw, pos)
    if m == member and count == 0 then count = c end
    total = math.min(total + c, MAXU32)
  end
  return count, total
end

local function familiarity()
  local hk, gk, tk = key(), key(), key()
  local member = arg()
  local s = window_spec()
  local count, total = history_count(read(hk, HISTORY), member)
  local graw, traw = read(gk, WINDOW), read(tk, WINDOW)
  push(count, total, window_peek(graw, s), window_peek(traw, s))
end

-- Records one use of `member` in the history at `hk`.
local function history_learn(hk, member, secs, capacity, httl)
  local h = history_load(read(hk, HISTORY))
  local newer = cmp(nh, nl, h.uh, h.ul) >= 0
  if newer then h.uh, h.ul = nh, nl end
  local found = false
  for _, e in ipairs(h.e) do
    if e[1] == member then
      e[2] = math.min(e[2] + 1, MAXU32)
      e[3] = math.max(e[3], secs)
      found = true
      break
    end
  end
  if not found then
    -- Least recently seen (then least often) goes, by swap_remove, as in
    -- store/history.rs: the order matters for later ties.
    while #h.e >= capacity do
      local low = 1
      for i = 2, #h.e do
        local a, b = h.e[i], h.e[low]
        if a[3] < b[3] or (a[3] == b[3] and a[2] < b[2]) then low = i end
      end
      h.e[low] = h.e[#h.e]
      h.e[#h.e] = nil
    end
    h.e[#h.e + 1] = { member, 1, secs }
  end
  local parts = { struct.pack('>I4I4', h.uh, h.ul) }
  for _, e in ipairs(h.e) do parts[#parts + 1] = struct.pack('>I4I4I4', e[1], e[2], e[3]) end
  local packed = table.concat(parts)
  if newer then save(hk, packed, httl) else keep(hk, packed) end
end

local function learn()
  local hk, gk, tk = key(), key(), key()
  local member = arg()
  local secs = arg()
  local capacity = arg()
  local s = window_spec()
  local wttl = arg()
  local httl = arg()
  history_learn(hk, member, secs, capacity, httl)
  for _, wk in ipairs({ gk, tk }) do
    local wpacked, _, older, same = window_add(read(wk, WINDOW), s, 1)
    window_save(wk, wpacked, wttl, older, same)
  end
end

-- On a cluster the three keys of a familiarity feature live in different
-- slots, so a plan sends its history half alone (opcodes 11 and 12) and
-- the global counters as plain window operations (opcode 2).
local function history_read_op()
  local hk = key()
  local member = arg()
  push(history_count(read(hk, HISTORY), member))
end

local function history_learn_op()
  local hk = key()
  local member, secs, capacity, httl = arg(), arg(), arg(), arg()
  history_learn(hk, member, secs, capacity, httl)
end

local REG = '>I4I4I4I4I4I4'

local function register_get()
  local k = key()
  local raw = read(k, REGISTER)
  if raw then
    local a, b, c, d, eh, el = struct.unpack(REG, raw)
    if cmp(eh, el, nh, nl) > 0 then
      push(1, a, b, c, d)
      return
    end
  end
  push(0, 0, 0, 0, 0)
end

local function register_set()
  local k = key()
  local a, b, c, d = arg(), arg(), arg(), arg()
  local eh, el = u64()
  local ttl = arg()
  redis.call('SET', k, FORMAT .. struct.pack(REG, a, b, c, d, eh, el), 'PX', ms_string(ttl))
end

-- A claim is a register holding 0 (as in the in-process store): set unless
-- a live one is there, in event time like every other expiry.
local function claim()
  local k = key()
  local eh, el = u64()
  local ttl = arg()
  local raw = read(k, REGISTER)
  if raw then
    local _, _, _, _, xh, xl = struct.unpack(REG, raw)
    if cmp(xh, xl, nh, nl) > 0 then
      push(0)
      return
    end
  end
  redis.call('SET', k, FORMAT .. struct.pack(REG, 0, 0, 0, 0, eh, el), 'PX', ms_string(ttl))
  push(1)
end

-- Spelled out: a library's top level runs where `string` is not reachable.
local SER = '>I4I4I4I4' .. 'I4I4I4I4I4I4I4I4' .. 'I4I4I4I4I4I4I4I4' .. 'I4I4I4I4I4I4I4I4' .. 'I4I4I4I4I4I4I4I4'

-- How far bucket (ah, al) lies before (bh, bl), as a plain number; huge
-- when more than the series keeps, negative when after it.
local function age(ah, al, bh, bl)
  local c = cmp(ah, al, bh, bl)
  local dh, dl
  if c >= 0 then dh, dl = sub(ah, al, bh, bl) else dh, dl = sub(bh, bl, ah, al) end
  local d = 1e9
  if dh == 0 and dl < SERIES_N then d = dl end
  if c < 0 then return -d end
  return d
end

-- Mirrors store/series.rs: counts into the bucket of now, then the bucket's
-- count, and the peak and sum of the `lookback` buckets before it.
local function series()
  local k = key()
  local lh, ll = u64()
  local ih, il = u64()
  local lookback = arg()
  local amount = arg()
  local ttl = arg()
  local raw = read(k, SERIES)
  local xh, xl, counts, known = ih, il, {}, false
  if raw then
    local v = { struct.unpack(SER, raw) }
    if v[1] == lh and v[2] == ll then
      known = true
      xh, xl = v[3], v[4]
      for i = 1, SERIES_N do counts[i] = v[4 + i] end
    end
  end
  if not known then for i = 1, SERIES_N do counts[i] = 0 end end
  -- o: how far now's bucket lies before the newest one.
  local o = age(xh, xl, ih, il)
  if amount > 0 then
    local moved = not known
    if o < 0 then
      local shift = math.min(-o, SERIES_N)
      for i = SERIES_N, 1, -1 do
        if i > shift then counts[i] = counts[i - shift] else counts[i] = 0 end
      end
      xh, xl, o, moved = ih, il, 0, true
    end
    if o < SERIES_N then
      counts[o + 1] = math.min(counts[o + 1] + amount, MAXU32)
      local packed = struct.pack(SER, lh, ll, xh, xl, unpack(counts))
      if moved then save(k, packed, ttl) else keep(k, packed) end
    end
  end
  local function at(back)
    local i = o + back
    if i < 0 or i >= SERIES_N then return 0 end
    return counts[i + 1]
  end
  local peak, total = 0, 0
  for back = 1, lookback do
    local c = at(back)
    peak = math.max(peak, c)
    total = total + c
  end
  push(at(0), peak, total)
end

local function cap()
  local k = key()
  local mode = arg()
  local s = window_spec()
  local ch, cl = u64()
  local amount = arg()
  local eh, el = u64()
  local wttl = arg()
  local raw = read(k, CAP)
  if mode == 0 and not raw then
    push(1, 0, 0, 0)
    return
  end
  local wraw, lh, ll = nil, 0, 0
  if raw then
    wraw = string.sub(raw, 1, 24)
    lh, ll = struct.unpack('>I4I4', raw, 25)
  end
  local packed, count, older = window_add(wraw, s, mode == 1 and amount or 0)
  if mode == 1 then
    local kh, kl = pair(count)
    if cmp(kh, kl, ch, cl) >= 0 and cmp(lh, ll, nh, nl) <= 0 then lh, ll = eh, el end
    local dh, dl = sub(lh, ll, nh, nl)
    -- Idle once both the window and the lockout are over; an out-of-order
    -- charge keeps the window's TTL and may only extend it for a lockout.
    local ttl = math.floor(num(dh, dl) / 1e6) + 1 + MARGIN_MS
    if older then
      ttl = math.max(ttl, redis.call('PTTL', k))
    else
      ttl = math.max(ttl, wttl)
    end
    save(k, packed .. struct.pack('>I4I4', lh, ll), ttl)
  end
  local rh, rl = sub(lh, ll, nh, nl)
  push((rh == 0 and rl == 0) and 1 or 0, count, rh, rl)
end

local function backoff()
  local k = key()
  local fh, fl = u64()
  local mh, ml = u64()
  local xh, xl = u64()
  local ttl = ms_string(arg())
  local raw = read(k, BACKOFF)
  local sends, lah, lal, exh, exl = 0, 0, 0, 0, 0
  if raw then sends, lah, lal, exh, exl = struct.unpack('>I4I4I4I4I4', raw) end
  if cmp(nh, nl, exh, exl) >= 0 then sends, lah, lal = 0, 0, 0 end
  if sends > 0 then
    -- The wait after `sends` events: first * 2^(sends-1), at most max.
    local wh, wl = fh, fl
    for _ = 1, math.min(sends - 1, 63) do
      if cmp(wh, wl, mh, ml) >= 0 then break end
      wh, wl = add(wh, wl, wh, wl)
    end
    if cmp(wh, wl, mh, ml) > 0 then wh, wl = mh, ml end
    local rh, rl = add(lah, lal, wh, wl)
    if cmp(nh, nl, rh, rl) < 0 then
      local dh, dl = sub(rh, rl, nh, nl)
      push(0, sends, dh, dl)
      return
    end
  end
  sends = math.min(sends + 1, MAXU32)
  redis.call('SET', k, FORMAT .. struct.pack('>I4I4I4I4I4', sends, nh, nl, xh, xl), 'PX', ttl)
  push(1, sends, 0, 0)
end

local function reset()
  local ks = {}
  for i = 1, 9 do ks[i] = key() end
  redis.call('DEL', unpack(ks))
end

local dispatch = {
  gcra, window_op, distinct, familiarity, learn, register_get, register_set, cap, backoff, reset,
  history_read_op, history_learn_op, claim, series, pair_op,
}

-- Format strings for struct.unpack of `m` little-endian doubles.
local FORMATS = {}
local CHUNK = 200

-- The arguments: one binary string of little-endian doubles (every value
-- is an integer below 2^53), unpacked by C in chunks (one per 200 values:
-- Lua's stack bounds how many results one call returns).
local function unpack_args(blob)
  local count = math.floor(#blob / 8)
  local t, pos, i = {}, 1, 0
  while i < count do
    local m = math.min(CHUNK, count - i)
    local f = FORMATS[m]
    if not f then
      f = '<' .. string.rep('d', m)
      FORMATS[m] = f
    end
    local vals = { struct.unpack(f, blob, pos) }
    if i == 0 and m == count then
      vals[m + 1] = nil
      return vals, count
    end
    for j = 1, m do t[i + j] = vals[j] end
    i = i + m
    pos = vals[m + 1]
  end
  return t, count
end

-- Runs one plan: KEYS and the packed arguments (now_hi, now_lo,
-- want_time, then per operation an opcode and its fields).
local function run(call_keys, blob)
  local count
  args, count = unpack_args(blob or '')
  keys, at, kt, malformed, out, n = call_keys, 4, 1, 0, {}, 0
  nh, nl = args[1], args[2]
  if not nh or not nl then return redis.error_reply('tollgate: short arguments') end
  while at <= count do
    local code = arg()
    local f = dispatch[code]
    if not f then return redis.error_reply('tollgate: unknown opcode') end
    f()
  end
  push(malformed)
  if args[3] == 1 then
    local t = redis.call('TIME')
    push(tonumber(t[1]), tonumber(t[2]))
  end
  return out
end
