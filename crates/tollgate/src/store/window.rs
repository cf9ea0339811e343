//! Sliding-window counter state: two fixed windows, interpolated.

use super::Lane;
use super::bounded::Slot;
use crate::time::duration_nanos;

/// Which fixed window of a given length is current.
#[derive(Clone, Copy, Debug)]
pub(super) struct Generation {
    /// `at / length` of the current window.
    index: u64,
    /// Window length in nanoseconds (at least 1).
    length: u64,
}

/// How the clock moved relative to a [`Generation`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Advance {
    /// Still in the current window (or, out of order, an earlier one).
    Same,
    /// The next window started: the current one becomes the previous one.
    Next,
    /// Both windows are over, or the length changed: start afresh.
    Restart,
}

impl Generation {
    pub(super) fn new(now: u64, length: u64) -> Self {
        let length = length.max(1);
        Generation {
            index: now / length,
            length,
        }
    }

    /// Moves to the window containing `now` and says how far that was.
    pub(super) fn advance(&mut self, now: u64, length: u64) -> Advance {
        let next = Generation::new(now, length);
        let step = if next.length != self.length || next.index > self.index.saturating_add(1) {
            Advance::Restart
        } else if next.index == self.index + 1 {
            Advance::Next
        } else {
            // An event older than the current window counts in the current one.
            return Advance::Same;
        };
        *self = next;
        step
    }

    /// Nanoseconds `now` lies into the current window (capped at its length).
    fn elapsed(&self, now: u64) -> u64 {
        now.saturating_sub(self.index.saturating_mul(self.length))
            .min(self.length)
    }

    /// Idle once the previous window no longer overlaps: two windows on.
    pub(super) fn idle_at(&self) -> u64 {
        self.index.saturating_add(2).saturating_mul(self.length)
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Window {
    generation: Generation,
    current: u32,
    previous: u32,
}

impl Window {
    pub(super) fn new(now: u64, length: u64) -> Self {
        Window {
            generation: Generation::new(now, length),
            current: 0,
            previous: 0,
        }
    }

    /// The sliding estimate at `now`, without changing anything: readers
    /// share the lock of a counter every event reads (the global totals).
    pub(super) fn peek(&self, now: u64, length: u64) -> u64 {
        let mut copy = *self;
        copy.add(now, length, 0)
    }

    /// Adds `amount` at `now` and returns the sliding estimate.
    pub(super) fn add(&mut self, now: u64, length: u64, amount: u32) -> u64 {
        match self.generation.advance(now, length) {
            Advance::Same => {}
            Advance::Next => (self.previous, self.current) = (self.current, 0),
            Advance::Restart => (self.previous, self.current) = (0, 0),
        }
        self.current = self.current.saturating_add(amount);
        let length = self.generation.length;
        let remaining = length - self.generation.elapsed(now);
        let carried = u128::from(self.previous) * u128::from(remaining) / u128::from(length);
        u64::from(self.current) + carried as u64
    }
}

impl Slot for Window {
    fn idle_at(&self) -> u64 {
        self.generation.idle_at()
    }
}

/// The two lanes of an `Op::WindowPair`, each a [`Window`] of its own.
///
/// A lane nobody has added to has length 0, which no window of a real
/// length has: it reads 0 and its first add restarts it at `now`, as a
/// separate counter created by that add would start.
#[derive(Clone, Copy, Debug)]
pub(super) struct Pair([Window; 2]);

impl Default for Pair {
    fn default() -> Self {
        let absent = Window {
            generation: Generation { index: 0, length: 0 },
            current: 0,
            previous: 0,
        };
        Pair([absent; 2])
    }
}

impl Pair {
    /// Adds each lane's amount at `now` and returns both estimates. A lane
    /// adding 0 is only read, as a `WindowAdd` of 0 reads its counter: were
    /// it moved on to `now`'s window, a later out-of-order add would land
    /// in another window than on a counter of its own.
    pub(super) fn add(&mut self, now: u64, lanes: &[Lane; 2]) -> [u64; 2] {
        let mut counts = [0; 2];
        for ((window, lane), count) in self.0.iter_mut().zip(lanes).zip(&mut counts) {
            let length = duration_nanos(lane.window);
            *count = match lane.amount {
                0 => window.peek(now, length),
                amount => window.add(now, length, amount),
            };
        }
        counts
    }

    /// Both estimates at `now`, changing nothing.
    pub(super) fn peek(&self, now: u64, lanes: &[Lane; 2]) -> [u64; 2] {
        let [a, b] = lanes;
        let [x, y] = &self.0;
        [
            x.peek(now, duration_nanos(a.window)),
            y.peek(now, duration_nanos(b.window)),
        ]
    }
}

impl Slot for Pair {
    fn idle_at(&self) -> u64 {
        let [a, b] = &self.0;
        a.idle_at().max(b.idle_at())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peek_agrees_with_adding_nothing() {
        let mut w = Window::new(0, 100);
        w.add(10, 100, 8);
        for now in [10, 99, 100, 150, 199, 250, 5000] {
            let peeked = w.peek(now, 100);
            assert_eq!(peeked, w.clone().add(now, 100, 0), "at {now}");
        }
    }

    #[test]
    fn pair_lanes_count_as_separate_windows() {
        let lane = |secs, amount| Lane {
            window: std::time::Duration::from_secs(secs),
            amount,
        };
        let sec = 1_000_000_000;
        let (mut pair, mut short, mut long) = (Pair::default(), None::<Window>, None::<Window>);
        // The second lane skips some adds (a success adds no failure): it
        // must then be left alone, as an untouched counter would be.
        let steps = [
            (5, 1, 1),
            (40, 1, 0),
            (70, 2, 0),
            (95, 1, 3),
            (200, 0, 1),
            (230, 1, 1),
            (900, 1, 0),
        ];
        for (at, a, b) in steps {
            let now = at * sec;
            let lanes = [lane(60, a), lane(300, b)];
            let expected = [step(&mut short, now, 60 * sec, a), step(&mut long, now, 300 * sec, b)];
            assert_eq!(pair.add(now, &lanes), expected, "at {at} s");
            assert_eq!(pair.peek(now, &lanes.map(|l| Lane { amount: 0, ..l })), expected);
        }
        let idle = |w: Option<Window>| w.map_or(0, |w| w.idle_at());
        // The short lane's last add (900 s) outlasts the long lane's (230 s).
        assert_eq!(pair.idle_at(), idle(short).max(idle(long)));
        assert_eq!(pair.idle_at(), 1020 * sec);
    }

    /// A `WindowAdd` on a counter of its own: an add of 0 reads without
    /// creating or changing it.
    fn step(w: &mut Option<Window>, now: u64, length: u64, amount: u32) -> u64 {
        match (w, amount) {
            (None, 0) => 0,
            (Some(w), 0) => w.peek(now, length),
            (w, _) => w
                .get_or_insert_with(|| Window::new(now, length))
                .add(now, length, amount),
        }
    }

    #[test]
    fn previous_window_fades_linearly() {
        let mut w = Window::new(0, 100);
        assert_eq!(w.add(0, 100, 10), 10);
        assert_eq!(w.add(100, 100, 0), 10);
        assert_eq!(w.add(150, 100, 0), 5);
        assert_eq!(w.add(199, 100, 1), 1);
        assert_eq!(w.add(500, 100, 1), 1);
    }
}
