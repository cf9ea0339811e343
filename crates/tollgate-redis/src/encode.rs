//! Operations to the script's KEYS and ARGV, and its reply back to results.
//!
//! Every u64 travels as two u32 halves (the script's numbers are doubles).
//! State-independent arithmetic is done here, where u64 is native: the
//! window index of `now`, the fraction of the previous window still in the
//! sliding window (reduced by its gcd), `now + lockout`, TTLs.
//!
//! ```
//! use tollgate::store::{Op, StoreKey};
//! use tollgate_redis::key_name;
//!
//! assert_eq!(key_name("tg", StoreKey(0xab), 'g'), "tg:00000000000000ab:g");
//! # let _ = Op::Reset { key: StoreKey(1) };
//! ```

use std::time::Duration;

use tollgate::limiter::GcraMode;
use tollgate::limiter::GcraOutcome;
use tollgate::store::{
    BackoffOutcome, CapMode, CapOutcome, DISTINCT_EXACT_UP_TO, FamiliarityCounts, FamiliarityKeys, HISTORY_MAX, Op,
    OpResult, StoreError, StoreKey,
};

/// Added to every TTL: clocks of hosts and Redis differ a little, and a key
/// must never vanish while its state still matters.
const MARGIN_MS: u64 = 1_000;
/// Longest TTL set (about 2,000 years): Redis rejects expiry overflow.
const MAX_TTL_MS: u64 = 1 << 46;
/// How long a user's history outlives its last update (as the in-process store).
const HISTORY_RETENTION: u64 = 180 * 86_400 * 1_000_000_000;
/// The key kinds: one Redis key per (store key, kind), like the in-process
/// store's one map per kind.
const KINDS: [char; 7] = ['g', 'w', 'd', 'h', 'r', 'c', 'b'];

/// The Redis key of counter `key` of kind `kind`: `<prefix>:<16 hex digits>:<kind>`.
///
/// Kinds: `g` GCRA, `w` window (also familiarity's global counters), `d`
/// distinct, `h` history, `r` register, `c` cap, `b` backoff.
pub fn key_name(prefix: &str, key: StoreKey, kind: char) -> String {
    format!("{prefix}:{:016x}:{kind}", key.0)
}

/// One script call's KEYS and ARGV.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    pub(crate) keys: Vec<String>,
    pub(crate) args: Vec<u64>,
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn ttl_ms(nanos: u64) -> u64 {
    nanos.div_ceil(1_000_000).saturating_add(MARGIN_MS).min(MAX_TTL_MS)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn fold(member: u64) -> u32 {
    (member ^ (member >> 32)) as u32
}

impl Encoded {
    fn key(&mut self, prefix: &str, key: StoreKey, kind: char) {
        self.keys.push(key_name(prefix, key, kind));
    }

    fn u64(&mut self, v: u64) {
        self.args.push(v >> 32);
        self.args.push(v & 0xffff_ffff);
    }

    /// Length, index of `now`, and the carry fraction r/L (see window.rs);
    /// returns the TTL until the window at `now` is idle.
    fn window(&mut self, now: u64, window: Duration) -> u64 {
        let len = nanos(window).max(1);
        let index = now / len;
        let rest = len - now % len;
        let g = gcd(rest, len).max(1);
        self.u64(len);
        self.u64(index);
        self.u64(rest / g);
        self.u64(len / g);
        ttl_ms(index.saturating_add(2).saturating_mul(len).saturating_sub(now))
    }

    fn familiarity_keys(&mut self, prefix: &str, keys: &FamiliarityKeys) {
        self.key(prefix, keys.user, 'h');
        self.key(prefix, keys.global, 'w');
        self.key(prefix, keys.total, 'w');
    }

    /// Encodes `ops` to run at `now` (unix nanoseconds).
    pub(crate) fn new(prefix: &str, now: u64, want_time: bool, ops: &[Op]) -> Result<Self, StoreError> {
        let mut e = Encoded::default();
        e.u64(now);
        e.args.push(u64::from(want_time));
        for op in ops {
            e.op(prefix, now, op)?;
        }
        Ok(e)
    }

    fn op(&mut self, prefix: &str, now: u64, op: &Op) -> Result<(), StoreError> {
        match *op {
            Op::Gcra { key, params, mode } => {
                self.args.push(1);
                self.key(prefix, key, 'g');
                self.args.push(match mode {
                    GcraMode::Consume => 0,
                    GcraMode::Peek => 1,
                    GcraMode::Charge => 2,
                    _ => return Err(unsupported()),
                });
                self.u64(params.emission_nanos.saturating_mul(u64::from(params.burst)));
                self.u64(params.emission_nanos.saturating_mul(u64::from(params.cost)));
                self.u64(params.emission_nanos.max(1));
            }
            Op::WindowAdd { key, window, amount } => {
                self.args.push(2);
                self.key(prefix, key, 'w');
                let ttl = self.window(now, window);
                self.args.push(u64::from(amount));
                self.args.push(ttl);
            }
            Op::DistinctAdd { key, window, member } => {
                self.args.push(3);
                self.key(prefix, key, 'd');
                let len = nanos(window).max(1);
                self.u64(len);
                self.u64(now / len);
                self.args.push(u64::from(fold(member) & 0x7fff_ffff));
                self.args.push(DISTINCT_EXACT_UP_TO as u64);
                self.args.push(ttl_ms(
                    (now / len).saturating_add(2).saturating_mul(len).saturating_sub(now),
                ));
            }
            Op::Familiarity { keys, member, window } => {
                self.args.push(4);
                self.familiarity_keys(prefix, &keys);
                self.args.push(u64::from(fold(member)));
                self.window(now, window);
            }
            Op::Learn {
                keys,
                member,
                window,
                capacity,
            } => {
                self.args.push(5);
                self.familiarity_keys(prefix, &keys);
                self.args.push(u64::from(fold(member)));
                self.args.push((now / 1_000_000_000).min(u64::from(u32::MAX)));
                self.args.push(usize::from(capacity).clamp(1, HISTORY_MAX) as u64);
                let ttl = self.window(now, window);
                self.args.push(ttl);
                self.args.push(ttl_ms(HISTORY_RETENTION));
            }
            Op::RegisterGet { key } => {
                self.args.push(6);
                self.key(prefix, key, 'r');
            }
            Op::RegisterSet { key, value, ttl } => {
                self.args.push(7);
                self.key(prefix, key, 'r');
                self.u64((value >> 64) as u64);
                self.u64(value as u64);
                let ttl = nanos(ttl);
                self.u64(now.saturating_add(ttl));
                self.args.push(ttl_ms(ttl));
            }
            Op::Cap {
                key,
                window,
                cap,
                amount,
                lockout,
                mode,
            } => {
                self.args.push(8);
                self.key(prefix, key, 'c');
                self.args.push(match mode {
                    CapMode::Check => 0,
                    CapMode::Charge => 1,
                });
                let ttl = self.window(now, window);
                self.u64(cap);
                self.args.push(u64::from(amount));
                self.u64(now.saturating_add(nanos(lockout)));
                self.args.push(ttl);
            }
            Op::Backoff {
                key,
                first,
                max,
                reset_after,
            } => {
                self.args.push(9);
                self.key(prefix, key, 'b');
                self.u64(nanos(first));
                self.u64(nanos(max));
                let reset_after = nanos(reset_after);
                self.u64(now.saturating_add(reset_after));
                self.args.push(ttl_ms(reset_after));
            }
            Op::Reset { key } => {
                self.args.push(10);
                for kind in KINDS {
                    self.key(prefix, key, kind);
                }
            }
            _ => return Err(unsupported()),
        }
        Ok(())
    }
}

fn unsupported() -> StoreError {
    StoreError::Unavailable("operation not supported by the Redis store".to_owned())
}

fn malformed() -> StoreError {
    StoreError::Unavailable("malformed reply from the Redis script".to_owned())
}

/// Reads the script's flat reply.
struct Reply<'a>(std::slice::Iter<'a, i64>);

impl Reply<'_> {
    fn next(&mut self) -> Result<u64, StoreError> {
        self.0.next().and_then(|v| u64::try_from(*v).ok()).ok_or_else(malformed)
    }

    fn u32(&mut self) -> Result<u32, StoreError> {
        u32::try_from(self.next()?).map_err(|_| malformed())
    }

    fn pair(&mut self) -> Result<u64, StoreError> {
        let hi = self.u32()?;
        let lo = self.u32()?;
        Ok(u64::from(hi) << 32 | u64::from(lo))
    }

    fn flag(&mut self) -> Result<bool, StoreError> {
        Ok(self.next()? == 1)
    }
}

/// Writes one result per op from `reply`; returns what follows them
/// (the server's TIME when asked for).
pub(crate) fn decode<'a>(ops: &[Op], reply: &'a [i64], results: &mut [OpResult]) -> Result<&'a [i64], StoreError> {
    let mut r = Reply(reply.iter());
    for (op, slot) in ops.iter().zip(results.iter_mut()) {
        *slot = match op {
            Op::Gcra { .. } => OpResult::Gcra(GcraOutcome {
                allowed: r.flag()?,
                remaining: r.u32()?,
                reset: Duration::from_nanos(r.pair()?),
                retry_after: Duration::from_nanos(r.pair()?),
            }),
            Op::WindowAdd { .. } | Op::DistinctAdd { .. } => OpResult::Count(r.next()?),
            Op::Familiarity { .. } => OpResult::Familiarity(FamiliarityCounts {
                user_count: r.u32()?,
                user_total: r.u32()?,
                global_count: r.next()?,
                global_total: r.next()?,
            }),
            Op::RegisterGet { .. } => {
                let set = r.flag()?;
                let value = u128::from(r.pair()?) << 64 | u128::from(r.pair()?);
                OpResult::Register(set.then_some(value))
            }
            Op::Cap { .. } => OpResult::Cap(CapOutcome {
                allowed: r.flag()?,
                count: r.next()?,
                retry_after: Duration::from_nanos(r.pair()?),
            }),
            Op::Backoff { .. } => OpResult::Backoff(BackoffOutcome {
                allowed: r.flag()?,
                sends: r.u32()?,
                retry_after: Duration::from_nanos(r.pair()?),
            }),
            _ => OpResult::Done,
        };
    }
    Ok(r.0.as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_values_travel_as_halves_and_windows_reduce_their_fraction() {
        let op = Op::WindowAdd {
            key: StoreKey(1),
            window: Duration::from_secs(60),
            amount: 3,
        };
        let now = 1_700_000_010_000_000_000u64;
        let e = Encoded::new("p", now, false, &[op]).unwrap();
        assert_eq!(e.keys, ["p:0000000000000001:w"]);
        assert_eq!(&e.args[..3], &[now >> 32, now & 0xffff_ffff, 0]);
        // 30 s into a 60 s window: half of the previous window still counts.
        let len = 60_000_000_000u64;
        assert_eq!(
            &e.args[3..],
            &[2, len >> 32, len & 0xffff_ffff, 0, now / len, 0, 1, 0, 2, 3, 91_000]
        );
    }

    #[test]
    fn short_or_malformed_replies_are_errors() {
        let ops = [Op::RegisterGet { key: StoreKey(1) }];
        let mut results = [OpResult::Done];
        assert!(decode(&ops, &[1, 0, 0, 0], &mut results).is_err());
        assert!(decode(&ops, &[1, 0, 0, -1, 0], &mut results).is_err());
        let rest = decode(&ops, &[1, 0, 0, 0, 5, 7, 8], &mut results).unwrap();
        assert_eq!(results[0], OpResult::Register(Some(5)));
        assert_eq!(rest, &[7, 8]);
    }
}
