//! The Lua code and one call of it: `FCALL` of a Redis Functions library,
//! loaded by the first call that finds it missing, or an `EVALSHA` script
//! where the server refuses functions.

use std::sync::atomic::Ordering;

use redis::aio::ConnectionLike;
use redis::{ErrorKind, RedisError, ServerErrorKind};

use super::RedisStore;
use crate::encode::Encoded;

/// The operations' code: u64 pair arithmetic, then the operations and
/// `run` (see `ops.lua` for the wire format).
const CODE: &str = concat!(include_str!("../pairs.lua"), include_str!("../ops.lua"));

/// The same code as an `EVALSHA` script, for servers without Redis Functions.
pub(super) const SCRIPT: &str = concat!(
    include_str!("../pairs.lua"),
    include_str!("../ops.lua"),
    include_str!("../script.lua")
);

/// The Redis Functions library holding [`CODE`] as function `name`; the
/// library has the same name. The name carries a hash of the code, so
/// instances of different versions sharing a server each call their own.
pub(super) fn library(name: &str) -> String {
    format!(
        "#!lua name={name}\n{CODE}\nredis.register_function('{name}', function(keys, args) return run(keys, args[1]) end)\n"
    )
}

/// Whether `err` says the function is not loaded (a new server, a restart
/// without persistence, `FUNCTION FLUSH`).
fn function_missing(err: &RedisError) -> bool {
    err.detail().is_some_and(|d| d.contains("Function not found"))
}

/// Whether the server does not offer `FCALL` to this client: a server
/// before 7.0 (unknown command) or an ACL without it.
fn functions_unsupported(err: &RedisError) -> bool {
    err.kind() == ErrorKind::Server(ServerErrorKind::NoPerm)
        || err
            .detail()
            .is_some_and(|d| d.contains("unknown command") || d.contains("unknown subcommand"))
}

/// Whether the server refused to load the library for good (not a lost
/// connection, not a state that passes: loading, failover, cluster down).
fn load_refused(err: &RedisError) -> bool {
    match err.kind() {
        ErrorKind::Server(
            ServerErrorKind::BusyLoading
            | ServerErrorKind::TryAgain
            | ServerErrorKind::ClusterDown
            | ServerErrorKind::MasterDown
            | ServerErrorKind::ReadOnly
            | ServerErrorKind::Moved
            | ServerErrorKind::Ask,
        ) => false,
        ErrorKind::Server(_) | ErrorKind::Extension => true,
        _ => false,
    }
}

impl RedisStore {
    /// One call of the code with `encoded`'s keys and arguments: `FCALL`,
    /// loading the library first when the server does not have it, or
    /// `EVALSHA` (loading the script on `NOSCRIPT`) where functions are
    /// refused.
    pub(super) async fn call(&self, conn: &mut impl ConnectionLike, encoded: &Encoded) -> Result<Vec<i64>, RedisError> {
        let blob = encoded.blob();
        if self.use_functions.load(Ordering::Relaxed) {
            let mut fcall = redis::cmd("FCALL");
            fcall
                .arg(&self.function)
                .arg(encoded.keys.len())
                .arg(&encoded.keys)
                .arg(&blob);
            let err = match fcall.query_async(conn).await {
                Ok(reply) => return Ok(reply),
                Err(err) => err,
            };
            let refusal = if function_missing(&err) {
                let loaded: Result<String, RedisError> = redis::cmd("FUNCTION")
                    .arg("LOAD")
                    .arg("REPLACE")
                    .arg(&self.library)
                    .query_async(conn)
                    .await;
                match loaded {
                    Ok(_) => return fcall.query_async(conn).await,
                    Err(err) if !load_refused(&err) => return Err(err),
                    Err(err) => err,
                }
            } else if functions_unsupported(&err) {
                err
            } else {
                return Err(err);
            };
            // Refused for good: FCALL or FUNCTION LOAD unknown or not
            // permitted. Said once, by the call that flips the flag (calls
            // already under way meet the refusal too), with the server's
            // reason: it may be worth fixing (an ACL).
            if self.use_functions.swap(false, Ordering::Relaxed) {
                tracing::warn!(
                    reason = %format!("{:?} {}", refusal.kind(), refusal.detail().unwrap_or_default()),
                    "tollgate-redis: Redis Functions refused, using EVALSHA scripts instead"
                );
            }
        }
        let mut invocation = self.script.prepare_invoke();
        for key in &encoded.keys {
            invocation.key(key);
        }
        invocation.arg(&blob);
        invocation.invoke_async(conn).await
    }
}
