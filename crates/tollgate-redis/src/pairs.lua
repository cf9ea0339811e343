-- tollgate: u64 arithmetic for the operations script (ops.lua follows this
-- file in the same script). Redis runs Lua 5.1, whose numbers are doubles:
-- exact integers only up to 2^53, while nanosecond timestamps are near
-- 2^61. So every u64 is a pair of u32 halves (hi, lo).

local B = 4294967296
local MAXU32 = B - 1
local TWO53 = 9007199254740992
local MARGIN_MS = 1000

local function cmp(ah, al, bh, bl)
  if ah ~= bh then return ah < bh and -1 or 1 end
  if al ~= bl then return al < bl and -1 or 1 end
  return 0
end

-- Saturating at 2^64 - 1, like u64::saturating_add.
local function add(ah, al, bh, bl)
  local h, l = ah + bh, al + bl
  if l >= B then h, l = h + 1, l - B end
  if h >= B then return MAXU32, MAXU32 end
  return h, l
end

-- Saturating at 0, like u64::saturating_sub.
local function sub(ah, al, bh, bl)
  if cmp(ah, al, bh, bl) <= 0 then return 0, 0 end
  local h, l = ah - bh, al - bl
  if l < 0 then h, l = h - 1, l + B end
  return h, l
end

local function num(h, l) return h * B + l end

local function pair(n) return math.floor(n / B), math.fmod(n, B) end

-- floor(n / d) for n, d below 2^53, exactly (fmod is exact).
local function idiv(n, d) return (n - math.fmod(n, d)) / d end

-- floor(N / D) for pairs, D > 0, capped at MAXU32 (callers clamp to u32).
local function div_u32(nh, nl, dh, dl)
  if nh < 2097152 and dh < 2097152 then
    return math.min(idiv(num(nh, nl), num(dh, dl)), MAXU32)
  end
  -- Restoring long division over N's 64 bits, remainder as a pair.
  local qh, ql, rh, rl = 0, 0, 0, 0
  for i = 63, 0, -1 do
    local word, shift = nl, i
    if i >= 32 then word, shift = nh, i - 32 end
    local bit = math.fmod(math.floor(word / 2 ^ shift), 2)
    rh, rl = rh * 2 + math.floor(rl * 2 / B), math.fmod(rl * 2, B) + bit
    qh, ql = qh * 2 + math.floor(ql * 2 / B), math.fmod(ql * 2, B)
    if cmp(rh, rl, dh, dl) >= 0 then
      rh, rl = sub(rh, rl, dh, dl)
      ql = ql + 1
    end
  end
  if qh > 0 then return MAXU32 end
  return ql
end

-- floor(p * r / L) for p < 2^32 and 0 < r <= L (a sliding window's carry).
local function scale(p, rh, rl, lh, ll)
  if cmp(rh, rl, lh, ll) == 0 then return p end
  local r, l = num(rh, rl), num(lh, ll)
  if lh < 2097152 and p * r < TWO53 then return idiv(p * r, l) end
  -- Bit by bit over p: q * L + rem = (p's prefix) * r, rem < L. The high
  -- word of a pair may exceed 2^32 here (values up to 2^66), still exact.
  local q, mh, ml = 0, 0, 0
  for i = 31, 0, -1 do
    q = q * 2
    mh, ml = mh * 2, ml * 2
    if math.fmod(math.floor(p / 2 ^ i), 2) == 1 then mh, ml = mh + rh, ml + rl end
    if ml >= B then mh, ml = mh + math.floor(ml / B), math.fmod(ml, B) end
    while cmp(mh, ml, lh, ll) >= 0 do
      mh, ml = mh - lh, ml - ll
      if ml < 0 then mh, ml = mh - 1, ml + B end
      q = q + 1
    end
  end
  return q
end

-- '%d' formats faster than '%.0f' and is exact here (C long, 64 bits).
local function ms_string(ms)
  return string.format('%d', math.min(math.max(ms, 1), 1e15))
end

-- Milliseconds (rounded up, plus a margin) until a pair of nanoseconds.
local function ttl_of(dh, dl)
  return math.floor(num(dh, dl) / 1e6) + 1 + MARGIN_MS
end

