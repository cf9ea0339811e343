//! A hello-world axum server for measuring the tollgate layer with a load
//! generator: `hello_server PORT [bare|context|protected]`: no layer, the
//! layer on an unprotected route (context only), or the route protected as a
//! login. `benches/scripts/wrk_middleware.sh` drives it with `wrk`; see
//! `benches/README.md` (`middleware`).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tollgate::policy::Policy;
use tollgate::{Engine, EventKind};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .ok_or("usage: hello_server PORT [bare|context|protected]")?
        .parse()?;
    let mode = args.next().unwrap_or_else(|| "bare".to_owned());
    let mut policy = Policy::default();
    // One load generator is one client address: lift the per-address limits
    // so the run measures the allow path.
    for rule in &mut policy.limits {
        rule.rate = "100000000/min".parse()?;
        rule.burst = 1_000_000;
    }
    let engine = Arc::new(Engine::new(policy)?);
    let mut app = Router::new().route("/hello", get(|| async { "hello" }));
    match mode.as_str() {
        "bare" => {}
        "context" => app = app.layer(tollgate_axum::layer(engine)),
        "protected" => app = app.layer(tollgate_axum::layer(engine).protect("/hello", EventKind::Login)),
        other => return Err(format!("unknown mode {other:?}: bare, context or protected").into()),
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await
    })?;
    Ok(())
}
