//! Plans split into pieces that each touch one counter, for a cluster's
//! slots, and the operations' results joined back from theirs.

use tollgate::store::{FamiliarityCounts, Op, OpResult, StoreError, StoreKey};

use super::decode::malformed;

/// A piece of a plan that touches keys of one counter only, so that it can
/// run in that counter's cluster slot. Every operation is one piece except
/// the familiarity ones, whose history and global counters are three
/// counters: they become a history piece and two window operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// An operation whose keys all belong to one counter.
    Op(Op),
    /// The history half of [`Op::Familiarity`]: the member's count and the total.
    HistoryRead { key: StoreKey, member: u64 },
    /// The history half of [`Op::Learn`].
    HistoryLearn { key: StoreKey, member: u64, capacity: u8 },
}

impl Piece {
    /// The counter whose slot the piece runs in.
    pub(crate) fn counter(&self) -> StoreKey {
        match *self {
            Piece::HistoryRead { key, .. } | Piece::HistoryLearn { key, .. } => key,
            Piece::Op(op) => match op {
                Op::Gcra { key, .. }
                | Op::WindowAdd { key, .. }
                | Op::WindowPair { key, .. }
                | Op::DistinctAdd { key, .. }
                | Op::DistinctCount { key, .. }
                | Op::RegisterGet { key }
                | Op::RegisterSet { key, .. }
                | Op::ClaimOnce { key, .. }
                | Op::Cap { key, .. }
                | Op::Backoff { key, .. }
                | Op::Series { key, .. }
                | Op::Reset { key } => key,
                Op::Familiarity { keys, .. } | Op::Learn { keys, .. } => keys.user,
                // Unknown operations fail at encoding; any slot will do.
                _ => StoreKey(0),
            },
        }
    }

    /// Appends the pieces of `op` to `out`.
    pub(crate) fn split(op: &Op, out: &mut Vec<Piece>) {
        match *op {
            Op::Familiarity { keys, member, window } => {
                out.push(Piece::HistoryRead { key: keys.user, member });
                for key in [keys.global, keys.total] {
                    out.push(Piece::Op(Op::WindowAdd { key, window, amount: 0 }));
                }
            }
            Op::Learn {
                keys,
                member,
                window,
                capacity,
            } => {
                out.push(Piece::HistoryLearn {
                    key: keys.user,
                    member,
                    capacity,
                });
                for key in [keys.global, keys.total] {
                    out.push(Piece::Op(Op::WindowAdd { key, window, amount: 1 }));
                }
            }
            other => out.push(Piece::Op(other)),
        }
    }
}

/// What a [`Piece`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PieceResult {
    Op(OpResult),
    History { count: u32, total: u32 },
}

/// The result of `op` from the results of its pieces (in [`Piece::split`] order).
pub(crate) fn join(op: &Op, pieces: &[PieceResult]) -> Result<OpResult, StoreError> {
    let count = |p: Option<&PieceResult>| match p {
        Some(PieceResult::Op(OpResult::Count(n))) => Ok(*n),
        _ => Err(malformed()),
    };
    match op {
        Op::Familiarity { .. } => {
            let Some(PieceResult::History {
                count: user_count,
                total,
            }) = pieces.first()
            else {
                return Err(malformed());
            };
            Ok(OpResult::Familiarity(FamiliarityCounts {
                user_count: *user_count,
                user_total: *total,
                global_count: count(pieces.get(1))?,
                global_total: count(pieces.get(2))?,
            }))
        }
        Op::Learn { .. } => Ok(OpResult::Done),
        _ => match pieces {
            [PieceResult::Op(result)] => Ok(*result),
            _ => Err(malformed()),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tollgate::store::FamiliarityKeys;

    use super::*;

    #[test]
    fn familiarity_splits_into_pieces_on_one_counter_each() {
        let keys = FamiliarityKeys {
            user: StoreKey(1),
            global: StoreKey(2),
            total: StoreKey(3),
        };
        let window = Duration::from_secs(60);
        let mut pieces = Vec::new();
        Piece::split(
            &Op::Learn {
                keys,
                member: 9,
                window,
                capacity: 4,
            },
            &mut pieces,
        );
        Piece::split(
            &Op::Familiarity {
                keys,
                member: 9,
                window,
            },
            &mut pieces,
        );
        Piece::split(&Op::Reset { key: StoreKey(4) }, &mut pieces);
        let counters: Vec<u64> = pieces.iter().map(|p| p.counter().0).collect();
        assert_eq!(counters, [1, 2, 3, 1, 2, 3, 4]);
        let results = [
            PieceResult::History { count: 1, total: 5 },
            PieceResult::Op(OpResult::Count(7)),
            PieceResult::Op(OpResult::Count(70)),
        ];
        assert_eq!(
            join(
                &Op::Familiarity {
                    keys,
                    member: 9,
                    window
                },
                &results
            )
            .unwrap(),
            OpResult::Familiarity(FamiliarityCounts {
                user_count: 1,
                user_total: 5,
                global_count: 7,
                global_total: 70,
            })
        );
        assert!(
            join(
                &Op::Familiarity {
                    keys,
                    member: 9,
                    window
                },
                &results[..1]
            )
            .is_err()
        );
        assert!(join(&Op::Reset { key: StoreKey(4) }, &results[..0]).is_err());
    }
}
