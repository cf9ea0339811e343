//! A Redis Cluster: a plan split into one script call per slot it touches,
//! all in flight at once, and the results joined back.

use redis::cluster_async::ClusterConnection;
use tollgate::store::{Op, OpResult, StoreError};

use super::clock::{host_nanos, time_nanos};
use super::{RedisStore, unavailable};
use crate::config::Clock;
use crate::encode::malformed;
use crate::encode::{Encoded, Layout, Piece, PieceResult, decode_pieces, join, slot};

impl RedisStore {
    /// One script call per slot the plan touches, all sent at once (the
    /// client pipelines the calls that go to one node on its connection).
    /// The plan succeeds only if every call does: one failed call fails
    /// the whole plan, and the failure policy applies to it as a whole.
    pub(super) async fn run_cluster(
        &self,
        conn: &ClusterConnection,
        now: u64,
        ops: &[Op],
        results: &mut [OpResult],
    ) -> Result<(), StoreError> {
        let mut pieces = Vec::with_capacity(ops.len() + 4);
        let mut spans = Vec::with_capacity(ops.len());
        for op in ops {
            let start = pieces.len();
            Piece::split(op, &mut pieces);
            spans.push(start..pieces.len());
        }
        // Slots in order of first use; a plan has a few dozen pieces at
        // most, so a linear search beats a map.
        let mut groups: Vec<(u16, Vec<usize>)> = Vec::new();
        for (i, piece) in pieces.iter().enumerate() {
            let slot = slot(piece.counter());
            match groups.iter_mut().find(|(s, _)| *s == slot) {
                Some((_, members)) => members.push(i),
                None => groups.push((slot, vec![i])),
            }
        }
        let mut calls = Vec::with_capacity(groups.len());
        for (g, (_, members)) in groups.iter().enumerate() {
            // The server's TIME is asked of the first call only.
            let mut encoded = Encoded::start(Layout::Cluster, now, g == 0 && self.clock == Clock::Redis);
            for &i in members {
                let piece = pieces.get(i).ok_or_else(malformed)?;
                encoded.piece(&self.prefix, now, piece)?;
            }
            calls.push(encoded);
        }
        let sent = host_nanos();
        let replies = futures_util::future::join_all(calls.iter().map(|encoded| {
            let mut conn = conn.clone();
            async move { self.call(&mut conn, encoded).await }
        }))
        .await;
        let received = host_nanos();
        let mut done = vec![PieceResult::Op(OpResult::Done); pieces.len()];
        let mut bad_keys = 0u64;
        let mut time = None;
        for (g, ((_, members), reply)) in groups.iter().zip(&replies).enumerate() {
            let reply = reply.as_ref().map_err(unavailable)?;
            let rest = decode_pieces(&pieces, members, reply, &mut done)?;
            let (found, rest) = rest.split_first().ok_or_else(malformed)?;
            bad_keys = bad_keys.saturating_add(u64::try_from(*found).unwrap_or(0));
            if g == 0 {
                time = Some(rest);
            }
        }
        for ((op, span), slot) in ops.iter().zip(spans).zip(results.iter_mut()) {
            *slot = join(op, done.get(span).ok_or_else(malformed)?)?;
        }
        self.count_malformed(bad_keys);
        if let Some([secs, micros]) = time {
            let server = time_nanos(u64::try_from(*secs).unwrap_or(0), u64::try_from(*micros).unwrap_or(0));
            self.learn_offset(server, sent, received);
        }
        Ok(())
    }
}
