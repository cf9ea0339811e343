//! The script's flat reply back to results.

use std::time::Duration;

use tollgate::limiter::GcraOutcome;
use tollgate::store::{BackoffOutcome, CapOutcome, FamiliarityCounts, Op, OpResult, SeriesOutcome, StoreError};

use super::piece::{Piece, PieceResult};

/// A reply the script could not have sent: the store is treated as
/// failing, as for any other answer it cannot give.
pub(crate) fn malformed() -> StoreError {
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

fn decode_op(op: &Op, r: &mut Reply<'_>) -> Result<OpResult, StoreError> {
    Ok(match op {
        Op::Gcra { .. } => OpResult::Gcra(GcraOutcome {
            allowed: r.flag()?,
            remaining: r.u32()?,
            reset: Duration::from_nanos(r.pair()?),
            retry_after: Duration::from_nanos(r.pair()?),
        }),
        Op::WindowAdd { .. } | Op::DistinctAdd { .. } | Op::DistinctCount { .. } => OpResult::Count(r.next()?),
        Op::WindowPair { .. } => OpResult::Counts([r.next()?, r.next()?]),
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
        Op::ClaimOnce { .. } => OpResult::Claimed(r.flag()?),
        Op::Series { .. } => OpResult::Series(SeriesOutcome {
            current: r.next()?,
            peak: r.next()?,
            total: r.next()?,
        }),
        Op::Backoff { .. } => OpResult::Backoff(BackoffOutcome {
            allowed: r.flag()?,
            sends: r.u32()?,
            retry_after: Duration::from_nanos(r.pair()?),
        }),
        _ => OpResult::Done,
    })
}

/// Writes one result per op from `reply`; returns what follows them
/// (the server's TIME when asked for).
pub(crate) fn decode<'a>(ops: &[Op], reply: &'a [i64], results: &mut [OpResult]) -> Result<&'a [i64], StoreError> {
    let mut r = Reply(reply.iter());
    for (op, slot) in ops.iter().zip(results.iter_mut()) {
        *slot = decode_op(op, &mut r)?;
    }
    Ok(r.0.as_slice())
}

/// Writes the results of `pieces[i]` for each `i` in `which` (in that
/// order, as they were encoded) into `out[i]`, from `reply`; returns what
/// follows them, as [`decode`].
pub(crate) fn decode_pieces<'a>(
    pieces: &[Piece],
    which: &[usize],
    reply: &'a [i64],
    out: &mut [PieceResult],
) -> Result<&'a [i64], StoreError> {
    let mut r = Reply(reply.iter());
    for &i in which {
        let result = match pieces.get(i).ok_or_else(malformed)? {
            Piece::Op(op) => PieceResult::Op(decode_op(op, &mut r)?),
            Piece::HistoryRead { .. } => PieceResult::History {
                count: r.u32()?,
                total: r.u32()?,
            },
            Piece::HistoryLearn { .. } => PieceResult::Op(OpResult::Done),
        };
        *out.get_mut(i).ok_or_else(malformed)? = result;
    }
    Ok(r.0.as_slice())
}

#[cfg(test)]
mod tests {
    use tollgate::store::StoreKey;

    use super::*;

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
