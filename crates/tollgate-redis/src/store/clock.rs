//! The time operations run at: the event's own ([`Clock::Event`]) or Redis's
//! `TIME`, kept as an offset to the host's clock ([`Clock::Redis`]).

use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use redis::aio::ConnectionLike;
use tollgate::Timestamp;
use tollgate::store::StoreError;

use super::{RedisStore, unavailable};
use crate::config::Clock;

pub(super) fn host_nanos() -> i64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_nanos()).unwrap_or(i64::MAX)
}

pub(super) fn time_nanos(secs: u64, micros: u64) -> i64 {
    let nanos = secs
        .saturating_mul(1_000_000_000)
        .saturating_add(micros.saturating_mul(1_000));
    i64::try_from(nanos).unwrap_or(i64::MAX)
}

impl RedisStore {
    pub(super) async fn now(&self, at: Timestamp, conn: &mut impl ConnectionLike) -> Result<u64, StoreError> {
        match self.clock {
            Clock::Event => Ok(at.as_unix_nanos()),
            Clock::Redis => self.redis_now(conn).await,
        }
    }

    /// Host time plus the last measured offset to Redis; measures it first
    /// (one extra round trip, once) if it was never measured.
    async fn redis_now(&self, conn: &mut impl ConnectionLike) -> Result<u64, StoreError> {
        if !self.offset_known.load(Ordering::Acquire) {
            let sent = host_nanos();
            let (secs, micros): (u64, u64) = redis::cmd("TIME")
                .query_async(conn)
                .await
                .map_err(|e| unavailable(&e))?;
            self.learn_offset(time_nanos(secs, micros), sent, host_nanos());
        }
        let now = host_nanos().saturating_add(self.offset.load(Ordering::Relaxed));
        Ok(u64::try_from(now).unwrap_or(0))
    }

    /// The script read TIME between `sent` and `received`: assume midway.
    pub(super) fn learn_offset(&self, server: i64, sent: i64, received: i64) {
        let midway = sent.saturating_add(received.saturating_sub(sent) / 2);
        self.offset.store(server.saturating_sub(midway), Ordering::Relaxed);
        self.offset_known.store(true, Ordering::Release);
    }
}
