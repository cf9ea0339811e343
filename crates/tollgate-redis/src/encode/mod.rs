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

mod decode;
mod piece;

pub(crate) use decode::{decode, decode_pieces, malformed};
pub(crate) use piece::{Piece, PieceResult, join};

use std::time::Duration;

use tollgate::limiter::GcraMode;
use tollgate::store::{
    CapMode, DISTINCT_EXACT_UP_TO, FamiliarityKeys, HISTORY_MAX, Op, SERIES_LOOKBACK_MAX, StoreError, StoreKey,
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
const KINDS: [char; 9] = ['g', 'w', 'd', 'h', 'r', 'c', 'b', 's', 'p'];

/// The Redis key of counter `key` of kind `kind`: `<prefix>:<16 hex digits>:<kind>`.
///
/// Kinds: `g` GCRA, `w` window (also familiarity's global counters), `d`
/// distinct, `h` history, `r` register (also proof-of-work claims), `c` cap,
/// `b` backoff, `s` series, `p` window pair.
pub fn key_name(prefix: &str, key: StoreKey, kind: char) -> String {
    format!("{prefix}:{:016x}:{kind}", key.0)
}

/// The Redis key of counter `key` of kind `kind` on a Redis Cluster:
/// `<prefix>:{<16 hex digits>}:<kind>`. The braces are a hash tag: every
/// kind of one counter lands in one slot, so [`Op::Reset`], which clears
/// all of them, stays one atomic script call (see `docs/deployment.md`).
///
/// ```
/// use tollgate::store::StoreKey;
/// use tollgate_redis::cluster_key_name;
///
/// assert_eq!(cluster_key_name("tg", StoreKey(0xab), 'g'), "tg:{00000000000000ab}:g");
/// ```
pub fn cluster_key_name(prefix: &str, key: StoreKey, kind: char) -> String {
    format!("{prefix}:{{{:016x}}}:{kind}", key.0)
}

/// The Redis Cluster hash slot of counter `key` under the cluster layout
/// (CRC16/XMODEM of the hash tag, modulo 16384, as Redis computes it).
pub(crate) fn slot(key: StoreKey) -> u16 {
    crc16(format!("{:016x}", key.0).as_bytes()) & 0x3fff
}

/// CRC16/XMODEM, Redis Cluster's key hash.
fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0;
    for &byte in bytes {
        crc ^= u16::from(byte) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

/// How keys are named: one server, or a cluster (with hash tags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Layout {
    #[default]
    Single,
    Cluster,
}

/// One script call's KEYS and ARGV.
#[derive(Debug, Default)]
pub(crate) struct Encoded {
    pub(crate) keys: Vec<String>,
    pub(crate) args: Vec<u64>,
    layout: Layout,
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
        self.keys.push(match self.layout {
            Layout::Single => key_name(prefix, key, kind),
            Layout::Cluster => cluster_key_name(prefix, key, kind),
        });
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

    /// A distinct-set operation: adds `member`, or only reads with `None`
    /// (a capacity of 0 tells the script to read).
    fn distinct(&mut self, prefix: &str, key: StoreKey, window: Duration, now: u64, member: Option<u64>) {
        self.args.push(3);
        self.key(prefix, key, 'd');
        let len = nanos(window).max(1);
        self.u64(len);
        self.u64(now / len);
        self.args.push(member.map_or(0, |m| u64::from(fold(m) & 0x7fff_ffff)));
        self.args.push(if member.is_some() {
            DISTINCT_EXACT_UP_TO as u64
        } else {
            0
        });
        self.args.push(ttl_ms(
            (now / len).saturating_add(2).saturating_mul(len).saturating_sub(now),
        ));
    }

    fn familiarity_keys(&mut self, prefix: &str, keys: &FamiliarityKeys) {
        self.key(prefix, keys.user, 'h');
        self.key(prefix, keys.global, 'w');
        self.key(prefix, keys.total, 'w');
    }

    /// Encodes `ops` to run at `now` (unix nanoseconds).
    pub(crate) fn new(prefix: &str, now: u64, want_time: bool, ops: &[Op]) -> Result<Self, StoreError> {
        let mut e = Encoded::start(Layout::Single, now, want_time);
        for op in ops {
            e.op(prefix, now, op)?;
        }
        Ok(e)
    }

    /// An empty call to run at `now` with keys named per `layout`.
    pub(crate) fn start(layout: Layout, now: u64, want_time: bool) -> Self {
        let mut e = Encoded {
            layout,
            ..Encoded::default()
        };
        e.u64(now);
        e.args.push(u64::from(want_time));
        e
    }

    /// The arguments as the script reads them: one string of little-endian
    /// doubles. Every argument is an integer below 2^53 (u32 halves, TTLs
    /// in milliseconds below 2^46, small counts), so each is exact.
    pub(crate) fn blob(&self) -> Vec<u8> {
        let mut blob = Vec::with_capacity(self.args.len() * 8);
        for &arg in &self.args {
            blob.extend_from_slice(&(arg.min(1 << 53) as f64).to_le_bytes());
        }
        blob
    }

    /// Appends one piece (cluster layout: its keys share one slot).
    pub(crate) fn piece(&mut self, prefix: &str, now: u64, piece: &Piece) -> Result<(), StoreError> {
        match *piece {
            Piece::Op(ref op) => self.op(prefix, now, op),
            Piece::HistoryRead { key, member } => {
                self.args.push(11);
                self.key(prefix, key, 'h');
                self.args.push(u64::from(fold(member)));
                Ok(())
            }
            Piece::HistoryLearn { key, member, capacity } => {
                self.args.push(12);
                self.key(prefix, key, 'h');
                self.args.push(u64::from(fold(member)));
                self.args.push((now / 1_000_000_000).min(u64::from(u32::MAX)));
                self.args.push(usize::from(capacity).clamp(1, HISTORY_MAX) as u64);
                self.args.push(ttl_ms(HISTORY_RETENTION));
                Ok(())
            }
        }
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
            // Both lanes' window specs and amounts; the TTL is the longer
            // lane's, so that the key outlives whichever lane goes idle last.
            Op::WindowPair { key, lanes } => {
                self.args.push(15);
                self.key(prefix, key, 'p');
                let mut ttl = 0;
                for lane in lanes {
                    ttl = ttl.max(self.window(now, lane.window));
                    self.args.push(u64::from(lane.amount));
                }
                self.args.push(ttl);
            }
            Op::DistinctAdd { key, window, member } => {
                self.distinct(prefix, key, window, now, Some(member));
            }
            Op::DistinctCount { key, window } => self.distinct(prefix, key, window, now, None),
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
            // A claim is a register (kind `r`) holding 0, as in the
            // in-process store; its expiry travels like a register's.
            Op::ClaimOnce { key, until } => {
                self.args.push(13);
                self.key(prefix, key, 'r');
                let until = until.as_unix_nanos();
                self.u64(until);
                self.args.push(ttl_ms(until.saturating_sub(now)));
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
            // The Rust side works out the bucket of now and the TTL: idle
            // once the newest bucket has left the longest lookback.
            Op::Series {
                key,
                bucket,
                lookback,
                amount,
            } => {
                self.args.push(14);
                self.key(prefix, key, 's');
                let len = nanos(bucket).max(1);
                let index = now / len;
                self.u64(len);
                self.u64(index);
                self.args.push(u64::from(lookback.min(SERIES_LOOKBACK_MAX)));
                self.args.push(u64::from(amount));
                let kept = u64::from(SERIES_LOOKBACK_MAX) + 1;
                self.args.push(ttl_ms(
                    index.saturating_add(kept).saturating_mul(len).saturating_sub(now),
                ));
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
    fn slots_are_redis_cluster_slots_of_the_hash_tag() {
        // The CRC16/XMODEM check value, and Redis's documented slot of "foo".
        assert_eq!(crc16(b"123456789"), 0x31c3);
        assert_eq!(crc16(b"foo") & 0x3fff, 12182);
        let key = StoreKey(0xab);
        assert_eq!(slot(key), crc16(b"00000000000000ab") & 0x3fff);
        assert_eq!(cluster_key_name("p", key, 'g'), "p:{00000000000000ab}:g");
    }
}
