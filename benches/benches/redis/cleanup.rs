//! Removing this run's keys from a single server.

use redis::aio::ConnectionManager;

use crate::Error;

/// Deletes this run's keys (some live for months: histories) from the
/// server behind `conn`, by `SCAN` and `UNLINK`.
pub(crate) async fn remove_keys(conn: &mut ConnectionManager) -> Result<u64, Error> {
    let pid = std::process::id();
    let mut removed = 0;
    for pattern in [
        format!("tgbench:{pid}:*"),
        format!("tgbench:cpu:{pid}:*"),
        format!("tgbench:mem:{pid}:*"),
    ] {
        let mut cursor = 0u64;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg(&pattern)
                .arg("COUNT")
                .arg(1_000)
                .query_async(conn)
                .await?;
            if !keys.is_empty() {
                removed += redis::cmd("UNLINK").arg(&keys).query_async::<u64>(conn).await?;
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
    }
    Ok(removed)
}
