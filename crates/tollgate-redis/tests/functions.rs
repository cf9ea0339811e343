//! How the code reaches the server: as a Redis Function (`FCALL`, loaded by
//! the first call and again after the server lost it), or as an `EVALSHA`
//! script where functions are refused. Both give the same results.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use tollgate::store::OpResult;
use tollgate_redis::Clock;

use common::add;

/// Script calls so far, by command: (`FCALL`, `EVALSHA`).
async fn calls(url: &str) -> (u64, u64) {
    let mut conn = common::inspect(url).await;
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    let calls = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix("calls="))
            .and_then(|l| l.split(',').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    (calls("cmdstat_fcall:"), calls("cmdstat_evalsha:"))
}

async fn private_server() -> Option<common::Server> {
    common::redis_url()?;
    let Some(server) = common::Server::start(common::free_port()) else {
        println!("skipping: redis-server not found");
        return None;
    };
    server.ready().await;
    Some(server)
}

#[tokio::test]
async fn calls_are_functions_reloaded_after_a_flush_with_state_kept() {
    let Some(server) = private_server().await else { return };
    let url = server.url();
    let store = common::store(&url, &common::fresh_prefix("fcall"), Clock::Event).await;
    assert_eq!(add(&store, 2).await.unwrap(), OpResult::Count(2));
    let mut conn = common::inspect(&url).await;
    let libraries: Vec<redis::Value> = redis::cmd("FUNCTION").arg("LIST").query_async(&mut conn).await.unwrap();
    assert_eq!(libraries.len(), 1, "one library loaded");
    let () = redis::cmd("FUNCTION")
        .arg("FLUSH")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(add(&store, 3).await.unwrap(), OpResult::Count(5));
    let (fcall, evalsha) = calls(&url).await;
    // Two calls, each retried once after loading the library (a new
    // server, then a flushed one): a failed FCALL counts as a call.
    assert_eq!((fcall, evalsha), (4, 0));
}

#[tokio::test]
async fn where_functions_are_refused_calls_are_evalsha() {
    let Some(server) = private_server().await else { return };
    let mut conn = common::inspect(&server.url()).await;
    // A user that may run scripts but not functions.
    let () = redis::cmd("ACL")
        .arg(
            &[
                "SETUSER",
                "nofunctions",
                "on",
                ">secret",
                "~*",
                "+@all",
                "-fcall",
                "-function",
            ][..],
        )
        .query_async(&mut conn)
        .await
        .unwrap();
    let url = server.url().replace("redis://", "redis://nofunctions:secret@");
    let store = common::store(&url, &common::fresh_prefix("evalsha"), Clock::Event).await;
    assert_eq!(add(&store, 2).await.unwrap(), OpResult::Count(2));
    assert_eq!(add(&store, 3).await.unwrap(), OpResult::Count(5));
    let (fcall, evalsha) = calls(&server.url()).await;
    assert_eq!(fcall, 0, "FCALL refused, not run");
    // First EVALSHA gets NOSCRIPT and is retried after SCRIPT LOAD; then one per call.
    assert_eq!(evalsha, 3);
}
