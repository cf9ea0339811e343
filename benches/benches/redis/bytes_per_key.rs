//! Redis bytes per key (`MEMORY USAGE`) for each kind of state, small and
//! full-size.

use std::time::Duration;

use redis::aio::ConnectionManager;
use tollgate::Timestamp;
use tollgate::limiter::{GcraMode, GcraParams};
use tollgate::store::{CapMode, FamiliarityKeys, Lane, Op, OpResult, StoreKey};

use crate::{Error, event_store};

pub(crate) async fn bytes_per_key(url: &str, conn: &mut ConnectionManager) -> Result<(), Error> {
    let prefix = format!("tgbench:mem:{}", std::process::id());
    let store = event_store(url, &prefix).await?;
    let minute = Duration::from_secs(60);
    let at = Timestamp::from_unix_millis(1_700_000_000_000);
    let fam = |k: u64| FamiliarityKeys {
        user: StoreKey(k),
        global: StoreKey(k + 1),
        total: StoreKey(k + 2),
    };
    let mut ops = vec![
        Op::Gcra {
            key: StoreKey(1),
            params: GcraParams {
                emission_nanos: 1_000_000_000,
                burst: 10,
                cost: 1,
            },
            mode: GcraMode::Consume,
        },
        Op::WindowAdd {
            key: StoreKey(2),
            window: minute,
            amount: 1,
        },
        Op::DistinctAdd {
            key: StoreKey(3),
            window: minute,
            member: 1,
        },
        Op::Learn {
            keys: fam(10),
            member: 1,
            window: minute,
            capacity: 16,
        },
        Op::RegisterSet {
            key: StoreKey(4),
            value: u128::MAX,
            ttl: minute,
        },
        Op::Cap {
            key: StoreKey(5),
            window: minute,
            cap: 100,
            amount: 1,
            lockout: minute,
            mode: CapMode::Charge,
        },
        Op::Backoff {
            key: StoreKey(6),
            first: minute,
            max: minute,
            reset_after: minute,
        },
        Op::WindowPair {
            key: StoreKey(8),
            lanes: [Lane {
                window: minute,
                amount: 1,
            }; 2],
        },
    ];
    // Full-size states: 64 distinct members, 32 history entries.
    for m in 0..64u64 {
        ops.push(Op::DistinctAdd {
            key: StoreKey(7),
            window: minute,
            member: m << 8,
        });
    }
    for m in 0..32u64 {
        ops.push(Op::Learn {
            keys: fam(20),
            member: m,
            window: minute,
            capacity: 32,
        });
    }
    let mut results = vec![OpResult::Done; ops.len()];
    store.execute(at, &ops, &mut results).await?;
    println!("bytes per key (MEMORY USAGE):");
    let rows = [
        ("GCRA bucket", 1, 'g'),
        ("sliding window (WindowAdd, familiarity global)", 2, 'w'),
        ("distinct set, 1 member", 3, 'd'),
        ("distinct set, 64 members", 7, 'd'),
        ("history, 1 entry", 10, 'h'),
        ("history, 32 entries", 20, 'h'),
        ("register", 4, 'r'),
        ("cap", 5, 'c'),
        ("backoff", 6, 'b'),
        ("window pair (WindowPair)", 8, 'p'),
    ];
    for (what, key, kind) in rows {
        let name = tollgate_redis::key_name(&prefix, StoreKey(key), kind);
        let bytes: Option<u64> = redis::cmd("MEMORY")
            .arg("USAGE")
            .arg(&name)
            .arg("SAMPLES")
            .arg(0)
            .query_async(conn)
            .await?;
        println!("  {what:<48} {:>5}", bytes.unwrap_or(0));
    }
    Ok(())
}
