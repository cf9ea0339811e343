//! A batch's accounts under way at once: each account's logins one after
//! another in log order, different accounts concurrently.

use std::cell::Cell;
use std::collections::HashMap;
use std::future::ready;

use futures_util::stream::{self, StreamExt};
use tollgate::store::{AsyncStore, Op, OpResult, StoreError};
use tollgate::{Engine, Event, Timestamp, UserId};

use super::{Login, Stopped};

/// Learns `batch` into `engine`'s store as
/// [`Engine::import_login`](tollgate::Engine::import_login) would one
/// login after another, with up to `in_flight` accounts (at least one)
/// under way at a time. Each login makes two store calls at its own time:
/// the reads of [`Engine::import_login_reads`](tollgate::Engine::import_login_reads), then the writes of
/// [`Engine::import_login_ops`](tollgate::Engine::import_login_ops) given their results.
///
/// An account's logins run one after another in batch order: a login's
/// reads must see the writes of the account's earlier ones, or it would
/// count as a stranger (a client the account never used) in the settled
/// site's series. Accounts are users as keys see them ([`UserId`]'s
/// equality), so `Alice` and `alice` share one chain as they share
/// counters. Logins of different accounts meet only in windowed totals
/// (the settled site's series, global shares), where their additions
/// commute as long as the batch holds one window's logins: batches of
/// [`import_batches`](super::import_batches) hold one UTC hour's.
///
/// After a failure it starts no further login and waits for those under
/// way; [`Stopped::missing_from`] is the first login of the batch not
/// known to be in (logins of other accounts after it may be), and the
/// message names the line of the login that failed first.
pub async fn learn_by_account<S: AsyncStore>(
    engine: &Engine<S>,
    batch: &[Login],
    in_flight: usize,
) -> Result<(), Stopped> {
    let failed = Cell::new(false);
    let undone: Vec<Undone> = stream::iter(by_account(batch))
        .map(|logins| chain(engine, batch, logins, &failed))
        .buffer_unordered(in_flight.max(1))
        .filter_map(|done| ready(done.err()))
        .collect()
        .await;
    let Some(missing_from) = undone.iter().map(|u| u.index).min() else {
        return Ok(());
    };
    let message = undone
        .into_iter()
        .filter_map(|u| u.error.map(|e| (u.index, e)))
        .min_by_key(|(index, _)| *index)
        .map_or_else(
            || "stopped".to_string(),
            |(index, e)| match batch.get(index) {
                Some(login) => format!("the login on line {}: {e}", login.line),
                None => e,
            },
        );
    Err(Stopped { missing_from, message })
}

/// The first login of an account's chain that is not in, and why: its
/// own error, or none when another chain's failure stopped this one.
struct Undone {
    index: usize,
    error: Option<String>,
}

/// `logins` (indices into `batch`, of one account, in order) one after
/// another, until one fails or `failed` says another chain did.
async fn chain<S: AsyncStore>(
    engine: &Engine<S>,
    batch: &[Login],
    logins: Vec<usize>,
    failed: &Cell<bool>,
) -> Result<(), Undone> {
    for index in logins {
        if failed.get() {
            return Err(Undone { index, error: None });
        }
        let Some(login) = batch.get(index) else {
            continue;
        };
        if let Err(e) = learn_one(engine, &login.event).await {
            failed.set(true);
            return Err(Undone { index, error: Some(e) });
        }
    }
    Ok(())
}

/// One login: its account's history, then the writes, at its time.
async fn learn_one<S: AsyncStore>(engine: &Engine<S>, event: &Event) -> Result<(), String> {
    let reads = engine.import_login_reads(event).map_err(|e| e.to_string())?;
    let found = execute(engine.store(), event.at, &reads)
        .await
        .map_err(|e| e.to_string())?;
    let writes = engine.import_login_ops(event, &found).map_err(|e| e.to_string())?;
    execute(engine.store(), event.at, &writes)
        .await
        .map(drop)
        .map_err(|e| e.to_string())
}

async fn execute<S: AsyncStore>(store: &S, at: Timestamp, ops: &[Op]) -> Result<Vec<OpResult>, StoreError> {
    let mut results = vec![OpResult::Done; ops.len()];
    store.execute(at, ops, &mut results).await?;
    Ok(results)
}

/// `batch`'s logins (their indices) per account, in batch order within
/// each; accounts in the order of their first login.
pub(super) fn by_account(batch: &[Login]) -> Vec<Vec<usize>> {
    let mut chains: Vec<Vec<usize>> = Vec::new();
    let mut chain_of: HashMap<Option<&UserId>, usize> = HashMap::new();
    for (index, login) in batch.iter().enumerate() {
        let next = chains.len();
        let chain = *chain_of.entry(login.event.user.as_ref()).or_insert(next);
        match chains.get_mut(chain) {
            Some(logins) => logins.push(index),
            None => chains.push(vec![index]),
        }
    }
    chains
}
