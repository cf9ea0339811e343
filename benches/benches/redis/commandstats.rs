//! Script calls (`EVALSHA` and `FCALL`) and Redis CPU in them, from
//! `INFO commandstats`: on one server, or summed over a cluster's masters.

use redis::aio::ConnectionManager;

use crate::Error;

/// Script calls (`EVALSHA` and `FCALL`) and the microseconds Redis spent
/// in them so far.
pub(crate) async fn evalsha_stats(conn: &mut ConnectionManager) -> Result<(u64, u64), Error> {
    let info: String = redis::cmd("INFO").arg("commandstats").query_async(conn).await?;
    let field = |line: &str, name: &str| -> u64 {
        line.split(',')
            .find_map(|kv| kv.strip_prefix(name))
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let (mut calls, mut usec) = (0, 0);
    for line in info.lines() {
        if let Some(line) = line
            .strip_prefix("cmdstat_evalsha:")
            .or_else(|| line.strip_prefix("cmdstat_fcall:"))
        {
            calls += field(line, "calls=");
            usec += field(line, "usec=");
        }
    }
    Ok((calls, usec))
}

/// Script calls and Redis CPU summed over a cluster's masters.
pub(crate) async fn cluster_stats(masters: &mut [ConnectionManager]) -> Result<(u64, u64), Error> {
    let (mut calls, mut usec) = (0, 0);
    for conn in masters {
        let (c, u) = evalsha_stats(conn).await?;
        calls += c;
        usec += u;
    }
    Ok((calls, usec))
}
