//! How far a replay has got, for a front end to show.

/// Told how far a replay has got, so a front end can show it.
pub trait Progress {
    /// The replay starts, with `total` events to go.
    fn start(&mut self, total: usize);
    /// `done` events have been replayed (called every few thousand events).
    fn advance(&mut self, done: usize);
    /// The replay is over.
    fn finish(&mut self);
}

/// Progress nobody watches.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&mut self, _total: usize) {}
    fn advance(&mut self, _done: usize) {}
    fn finish(&mut self) {}
}
