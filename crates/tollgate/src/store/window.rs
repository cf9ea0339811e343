//! Sliding-window counter state: two fixed windows, interpolated.

use super::bounded::Slot;

#[derive(Clone, Copy, Debug)]
pub(super) struct Window {
    /// Index of the current fixed window (`at / window`).
    index: u64,
    current: u32,
    previous: u32,
    /// Window length in nanoseconds (at least 1).
    length: u64,
}

impl Window {
    pub(super) fn new(now: u64, length: u64) -> Self {
        let length = length.max(1);
        Window {
            index: now / length,
            current: 0,
            previous: 0,
            length,
        }
    }

    /// Adds `amount` at `now` and returns the sliding estimate.
    pub(super) fn add(&mut self, now: u64, length: u64, amount: u32) -> u64 {
        let length = length.max(1);
        let index = now / length;
        if length != self.length || index > self.index.saturating_add(1) {
            *self = Window::new(now, length);
        } else if index == self.index + 1 {
            self.previous = self.current;
            self.current = 0;
            self.index = index;
        }
        // An event older than the current window counts in the current one.
        self.current = self.current.saturating_add(amount);
        let elapsed = now.saturating_sub(self.index.saturating_mul(length)).min(length);
        let carried = u128::from(self.previous) * u128::from(length - elapsed) / u128::from(length);
        u64::from(self.current) + carried as u64
    }
}

impl Slot for Window {
    /// Idle once the previous window no longer overlaps: two windows on.
    fn idle_at(&self) -> u64 {
        self.index.saturating_add(2).saturating_mul(self.length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
