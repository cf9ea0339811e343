//! A series of fixed, epoch-aligned buckets (days, say): the current
//! bucket's count and the peak of the buckets before it, so that "today"
//! can be judged against "the busiest recent day" in one operation.

use super::bounded::Slot;

/// Buckets a series keeps: the current one and up to
/// `SERIES_LOOKBACK_MAX` before it.
pub const SERIES_LOOKBACK_MAX: u8 = 31;
const LEN: usize = SERIES_LOOKBACK_MAX as usize + 1;

#[derive(Clone, Debug)]
pub(super) struct Series {
    /// Bucket length in nanoseconds (at least 1).
    length: u64,
    /// Index (`at / length`) of the newest bucket counted.
    latest: u64,
    /// `counts[i]`: the bucket `latest - i`.
    counts: [u32; LEN],
}

impl Series {
    pub(super) fn new(now: u64, length: u64) -> Self {
        let length = length.max(1);
        Series {
            length,
            latest: now / length,
            counts: [0; LEN],
        }
    }

    /// Adds `amount` to the bucket of `now` (a bucket older than the
    /// series keeps is gone: the amount is dropped) and reads as
    /// [`peek`](Self::peek).
    pub(super) fn add(&mut self, now: u64, length: u64, amount: u32, lookback: u8) -> (u64, u64, u64) {
        let length = length.max(1);
        let index = now / length;
        if length != self.length {
            *self = Series::new(now, length);
        }
        if index > self.latest {
            let shift = usize::try_from(index - self.latest).unwrap_or(LEN).min(LEN);
            self.counts.rotate_right(shift);
            self.counts.iter_mut().take(shift).for_each(|c| *c = 0);
            self.latest = index;
        }
        if let Some(cell) = self.slot(index) {
            *cell = cell.saturating_add(amount);
        }
        self.peek(now, length, lookback)
    }

    /// (count of the bucket of `now`, largest count of the `lookback`
    /// buckets before it, their sum), changing nothing.
    pub(super) fn peek(&self, now: u64, length: u64, lookback: u8) -> (u64, u64, u64) {
        let length = length.max(1);
        if length != self.length {
            return (0, 0, 0);
        }
        let index = now / length;
        let count = |i: u64| {
            self.latest
                .checked_sub(i)
                .and_then(|age| usize::try_from(age).ok())
                .and_then(|age| self.counts.get(age))
                .map_or(0, |c| u64::from(*c))
        };
        let lookback = u64::from(lookback.min(SERIES_LOOKBACK_MAX));
        let (peak, total) = (1..=lookback)
            .filter_map(|back| index.checked_sub(back))
            .map(count)
            .fold((0, 0), |(peak, total), c| (peak.max(c), total + c));
        (count(index), peak, total)
    }

    fn slot(&mut self, index: u64) -> Option<&mut u32> {
        let age = usize::try_from(self.latest.checked_sub(index)?).ok()?;
        self.counts.get_mut(age)
    }
}

impl Slot for Series {
    /// Once every bucket kept has left the longest lookback.
    fn idle_at(&self) -> u64 {
        self.latest.saturating_add(LEN as u64).saturating_mul(self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    #[test]
    fn counts_today_against_the_busiest_day_before() {
        let mut s = Series::new(0, DAY);
        for day in 0..5u64 {
            for _ in 0..=day * 10 {
                s.add(day * DAY + 7, DAY, 1, 14);
            }
        }
        // Day 4 holds 41; the days before it 1, 11, 21, 31.
        assert_eq!(s.peek(4 * DAY, DAY, 14), (41, 31, 64));
        assert_eq!(s.peek(4 * DAY, DAY, 2), (41, 31, 52));
        assert_eq!(s.peek(4 * DAY, DAY, 0), (41, 0, 0));
        // Next day: nothing yet, the peak is day 4's.
        assert_eq!(s.peek(5 * DAY, DAY, 14), (0, 41, 105));
        assert_eq!(s.add(5 * DAY, DAY, 0, 1), (0, 41, 41));
    }

    #[test]
    fn old_buckets_fall_out_and_a_late_event_counts_in_its_own_bucket() {
        let mut s = Series::new(0, DAY);
        s.add(0, DAY, 50, 31);
        assert_eq!(s.add(31 * DAY, DAY, 1, 31), (1, 50, 50));
        assert_eq!(s.add(32 * DAY, DAY, 1, 31), (1, 1, 1));
        // Late for yesterday: counted there.
        assert_eq!(s.add(31 * DAY + 5, DAY, 2, 31), (3, 0, 0));
        assert_eq!(s.peek(32 * DAY, DAY, 31), (1, 3, 3));
        // Older than anything kept: dropped.
        assert_eq!(s.add(0, DAY, 9, 31), (0, 0, 0));
        assert_eq!(s.peek(32 * DAY, DAY, 31), (1, 3, 3));
        // A long silence clears everything.
        assert_eq!(s.add(1_000 * DAY, DAY, 1, 31), (1, 0, 0));
    }

    #[test]
    fn a_new_length_starts_afresh_and_counts_saturate() {
        let mut s = Series::new(0, DAY);
        s.add(0, DAY, u32::MAX, 1);
        assert_eq!(s.add(0, DAY, 5, 1), (u64::from(u32::MAX), 0, 0));
        assert_eq!(s.peek(0, 3_600, 1), (0, 0, 0));
        assert_eq!(s.add(0, 3_600, 1, 1), (1, 0, 0));
        assert_eq!(s.idle_at(), 32 * 3_600);
    }
}
