//! The writer thread: it takes the masked decisions off the queue,
//! serializes them in `tollgate score`'s record and appends them a batch
//! at a time, and tells [`DecisionLog::flush`](super::DecisionLog::flush)
//! how far it got.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use tollgate::observe::MaskedPhone;
use tollgate::{Country, Decision, Event};
use tollgate_cli::replay::DecisionRecord;

use super::{LogCounts, QUEUE_LINES};

/// One decision on its way to the writer: already masked, serialized
/// off the deciding thread.
pub(super) struct Pending {
    pub(super) event: Event,
    pub(super) decision: Decision,
    pub(super) phone: Option<MaskedPhone>,
    pub(super) phone_country: Option<Country>,
}

/// Lines handed to the writer and lines finished with (written, failed or
/// dropped), for [`DecisionLog::flush`](super::DecisionLog::flush).
/// Atomics, so that deciding takes no lock even while a flood of refusals
/// is logged; the writer wakes flushes through the condition variable
/// after each batch.
#[derive(Debug, Default)]
pub(super) struct Progress {
    pub(super) queued: AtomicU64,
    pub(super) done: AtomicU64,
    /// The writer thread has ended (a sink that panicked, most likely):
    /// lines it held will never be done, and a flush must not wait for
    /// them.
    pub(super) stopped: AtomicBool,
    pub(super) written: Mutex<()>,
    pub(super) batch: Condvar,
}

impl Progress {
    pub(super) fn finished(&self, lines: u64) {
        self.done.fetch_add(lines, Ordering::Release);
    }

    fn wake(&self) {
        let _written = self.written.lock().unwrap_or_else(PoisonError::into_inner);
        self.batch.notify_all();
    }
}

/// Marks the writer stopped when its thread ends, by return or by panic.
struct Stop(Arc<Progress>);

impl Drop for Stop {
    fn drop(&mut self) {
        self.0.stopped.store(true, Ordering::Release);
        self.0.wake();
    }
}

/// Appends queued lines to the file, a batch (what the queue holds, up
/// to [`QUEUE_LINES`]) per write.
pub(super) struct Writer {
    pub(super) sink: Box<dyn Write + Send>,
    /// The file's path, for the log line about a failing write.
    pub(super) name: String,
    pub(super) counts: LogCounts,
    pub(super) progress: Arc<Progress>,
    /// The last write failed (logged once until one succeeds).
    pub(super) failing: bool,
}

impl Writer {
    pub(super) fn run(mut self, lines: Receiver<Box<Pending>>) {
        let _stop = Stop(Arc::clone(&self.progress));
        let mut batch = Vec::new();
        while let Ok(first) = lines.recv() {
            let mut count = 0u64;
            let mut next = Some(first);
            while let Some(pending) = next {
                count += 1;
                self.format(*pending, &mut batch);
                // A batch is at most a queue's worth, so a writer stuck on a
                // slow disk holds a bounded number of lines.
                next = if count < QUEUE_LINES as u64 {
                    lines.try_recv().ok()
                } else {
                    None
                };
            }
            self.write(&batch, count);
            batch.clear();
        }
    }

    fn format(&mut self, pending: Pending, batch: &mut Vec<u8>) {
        let mut record = DecisionRecord::new(pending.event, &pending.decision);
        record.phone = pending.phone.map(|p| p.as_str().to_owned());
        record.phone_country = pending.phone_country;
        let start = batch.len();
        if serde_json::to_writer(&mut *batch, &record).is_ok() {
            batch.push(b'\n');
        } else {
            batch.truncate(start);
        }
    }

    fn write(&mut self, batch: &[u8], count: u64) {
        let lines = batch.iter().filter(|&&b| b == b'\n').count() as u64;
        match self.sink.write_all(batch).and_then(|()| self.sink.flush()) {
            Ok(()) => {
                self.counts.written.inc_by(lines);
                self.counts.failed.inc_by(count - lines);
                if self.failing {
                    self.failing = false;
                    tracing::info!(path = %self.name, "decision log: writing again");
                }
            }
            Err(error) => {
                self.counts.failed.inc_by(count);
                if !self.failing {
                    self.failing = true;
                    tracing::error!(
                        path = %self.name,
                        %error,
                        "decision log: write failed; lines are counted as failed until a write succeeds"
                    );
                }
            }
        }
        self.progress.finished(count);
        self.progress.wake();
    }
}
