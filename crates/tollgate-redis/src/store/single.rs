//! One server: the whole plan in one script call.

use redis::aio::ConnectionManager;
use tollgate::store::{Op, OpResult, StoreError};

use super::clock::{host_nanos, time_nanos};
use super::{RedisStore, unavailable};
use crate::config::Clock;
use crate::encode::malformed;
use crate::encode::{Encoded, decode};

impl RedisStore {
    pub(super) async fn run_single(
        &self,
        mut conn: ConnectionManager,
        now: u64,
        ops: &[Op],
        results: &mut [OpResult],
    ) -> Result<(), StoreError> {
        let encoded = Encoded::new(&self.prefix, now, self.clock == Clock::Redis, ops)?;
        let sent = host_nanos();
        let reply = self.call(&mut conn, &encoded).await.map_err(|e| unavailable(&e))?;
        let received = host_nanos();
        let rest = decode(ops, &reply, results)?;
        self.after_reply(rest, sent, received)
    }

    /// Handles what follows the results of a single-server call: the
    /// malformed-key count, then TIME when asked for.
    fn after_reply(&self, rest: &[i64], sent: i64, received: i64) -> Result<(), StoreError> {
        let (bad_keys, rest) = rest.split_first().ok_or_else(malformed)?;
        self.count_malformed(u64::try_from(*bad_keys).unwrap_or(0));
        if let [secs, micros] = rest {
            let server = time_nanos(u64::try_from(*secs).unwrap_or(0), u64::try_from(*micros).unwrap_or(0));
            self.learn_offset(server, sent, received);
        }
        Ok(())
    }
}
