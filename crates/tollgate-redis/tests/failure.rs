//! When Redis misbehaves: scripts flushed, no answer, server stopped and
//! restarted. Tests that stop a server start their own, on a free port, so
//! the shared test server keeps serving the other tests.
#![allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]

mod common;

use std::time::Duration;

use tollgate::Timestamp;
use tollgate::store::{OpResult, StoreError};
use tollgate_redis::{Clock, RedisConfig, RedisStore};

use common::{add, count};

#[tokio::test]
async fn script_flush_is_survived_and_state_kept() {
    let Some(url) = common::redis_url() else { return };
    let store = common::store(&url, &common::fresh_prefix("flush"), Clock::Event).await;
    assert_eq!(add(&store, 2).await.unwrap(), OpResult::Count(2));
    let mut conn = common::inspect(&url).await;
    let () = redis::cmd("SCRIPT").arg("FLUSH").query_async(&mut conn).await.unwrap();
    assert_eq!(add(&store, 3).await.unwrap(), OpResult::Count(5));
}

#[tokio::test]
async fn result_buffer_must_match_and_empty_plans_need_no_server() {
    // No server at all: neither call may reach for one.
    let store = RedisStore::connect(RedisConfig::new("redis://127.0.0.1:1/"))
        .await
        .unwrap();
    let mut none: [OpResult; 0] = [];
    let err = store.execute(Timestamp::EPOCH, &count(1), &mut none).await.unwrap_err();
    assert!(matches!(err, StoreError::ResultCount { expected: 1, got: 0 }));
    store.execute(Timestamp::EPOCH, &[], &mut none).await.unwrap();
}

#[tokio::test]
async fn closed_port_is_unavailable() {
    let config = RedisConfig::new("redis://:secret-pw@127.0.0.1:1/").timeout(Duration::from_millis(200));
    let store = RedisStore::connect(config).await.unwrap();
    for _ in 0..3 {
        match add(&store, 1).await {
            Err(StoreError::Unavailable(message)) => assert!(!message.contains("secret-pw"), "{message}"),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accept and hold connections, never write a byte.
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let config = RedisConfig::new(format!("redis://127.0.0.1:{port}/"))
        .clock(Clock::Event)
        .timeout(Duration::from_millis(100));
    let store = RedisStore::connect(config).await.unwrap();
    match add(&store, 1).await {
        Err(StoreError::Unavailable(message)) => assert!(message.contains("100 ms"), "{message}"),
        other => panic!("{other:?}"),
    }
    held.abort();
}

#[tokio::test]
async fn stopped_server_is_unavailable_and_a_restart_recovers_without_a_new_store() {
    let Some(_) = common::redis_url() else { return };
    let port = common::free_port();
    let Some(mut server) = common::Server::start(port) else {
        println!("skipping: redis-server not found");
        return;
    };
    server.ready().await;
    for clock in [Clock::Event, Clock::Redis] {
        let store = common::store(&server.url(), &common::fresh_prefix("restart"), clock).await;
        assert!(matches!(add(&store, 1).await, Ok(OpResult::Count(1))));
        server.stop();
        for _ in 0..3 {
            assert!(matches!(add(&store, 1).await, Err(StoreError::Unavailable(_))));
        }
        server = common::Server::start(port).unwrap();
        server.ready().await;
        // The manager reconnects on the first call after the failure; the
        // server lost its data (no persistence), so counting starts afresh.
        let mut recovered = None;
        for _ in 0..100 {
            if let Ok(result) = add(&store, 1).await {
                recovered = Some(result);
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(recovered, Some(OpResult::Count(1)), "{clock:?}");
    }
}

#[tokio::test]
async fn a_store_made_while_redis_is_down_works_once_it_is_up() {
    let Some(_) = common::redis_url() else { return };
    let port = common::free_port();
    let url = format!("redis://127.0.0.1:{port}/");
    let store = common::store(&url, &common::fresh_prefix("late"), Clock::Redis).await;
    assert!(matches!(add(&store, 1).await, Err(StoreError::Unavailable(_))));
    let Some(server) = common::Server::start(port) else {
        println!("skipping: redis-server not found");
        return;
    };
    server.ready().await;
    let mut recovered = None;
    for _ in 0..100 {
        if let Ok(result) = add(&store, 1).await {
            recovered = Some(result);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(recovered, Some(OpResult::Count(1)));
}
