//! A demo login service on axum, protected by tollgate.
//!
//! ```text
//! cargo run --release --example axum_login -- --policy examples/demo-policy.toml --trust-proxy 127.0.0.1/32
//! cargo run --release --example axum_login -- --tls    # HTTPS, native JA4/JA3/HTTP2
//! TOLLGATE_KEY_SECRET=$(openssl rand -hex 16) \
//!   cargo run --release --example axum_login -- --redis redis://127.0.0.1:6379/   # counters shared in Redis
//! ```
//!
//! The HTTP contract, the flags, the demo users and a curl walk-through are
//! in `docs/login-service.md`.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser;
use tollgate::Engine;
use tollgate::store::AsyncStore;
use tollgate_examples::demo::{Args, BoxError, Users, demo_tls, load};
use tollgate_examples::store::{describe, redis_engine};
use tollgate_tls::Acceptor;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("axum_login: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), BoxError> {
    // One serving path, generic over the store.
    match redis_engine(&args).await? {
        Some((engine, users)) => serve(engine, users, &args).await,
        None => {
            let (engine, users) = load(&args)?;
            serve(engine, users, &args).await
        }
    }
}

async fn serve<S: AsyncStore + 'static>(engine: Arc<Engine<S>>, users: Users, args: &Args) -> Result<(), BoxError> {
    let trusted = !engine.policy().network.trusted_proxies.proxies().is_empty();
    let app = tollgate_examples::axum_login::app(engine, users);
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    tracing::info!(
        listen = %listener.local_addr()?,
        tls = args.tls,
        policy = %args.policy.as_ref().map_or("built-in default".into(), |p| p.display().to_string()),
        geo_databases = args.mmdb.len(),
        trusted_proxies = trusted,
        store = %describe(args),
        "axum_login: serving the demo login service"
    );
    if args.tls {
        // Native capture: the acceptor fingerprints each ClientHello (and
        // HTTP/2 connection) before rustls and hyper see them.
        let acceptor = Acceptor::new(Arc::new(demo_tls(args.listen)?));
        tollgate_tls::serve::serve_with_shutdown(listener, acceptor, app, shutdown()).await?;
    } else {
        axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(shutdown())
            .await?;
    }
    Ok(())
}

/// Ctrl-C or (on Unix) SIGTERM: finish the requests in flight, then exit.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("axum_login: shutting down");
}
