//! A demo login service on actix-web, protected by tollgate: the same
//! contract and flags as the `axum_login` example.
//!
//! ```text
//! cargo run --release --example actix_login -- --policy examples/demo-policy.toml --trust-proxy 127.0.0.1/32
//! cargo run --release --example actix_login -- --tls    # HTTPS, native JA4/JA3/HTTP2
//! TOLLGATE_KEY_SECRET=$(openssl rand -hex 16) \
//!   cargo run --release --example actix_login -- --redis redis://127.0.0.1:6379/   # counters shared in Redis
//! ```
//!
//! The HTTP contract, the flags, the demo users and a curl walk-through are
//! in `docs/login-service.md`.

use std::process::ExitCode;
use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::dev::Server;
use clap::Parser;
use tollgate::Engine;
use tollgate::store::AsyncStore;
use tollgate_actix::tls::listen_tls;
use tollgate_examples::actix_login::LoginService;
use tollgate_examples::demo::{Args, BoxError, Users, demo_tls, load};
use tollgate_examples::store::{describe, redis_engine};
use tollgate_tls::Acceptor;

#[actix_web::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_target(false)
        .init();
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("actix_login: {e}");
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
    let service = LoginService::new(engine, users);
    // One state and one engine for all workers. actix-web stops on Ctrl-C
    // and SIGTERM, finishing the requests in flight.
    let store = describe(args);
    let policy = args
        .policy
        .as_ref()
        .map_or("built-in default".into(), |p| p.display().to_string());
    let server = if args.tls {
        // Native capture: actix-web's own TLS binding gives no access to the
        // ClientHello, so the server is built on tollgate-tls's acceptor.
        let listener =
            std::net::TcpListener::bind(args.listen).map_err(|e| format!("--listen {}: {e}", args.listen))?;
        let addr = listener.local_addr()?;
        let acceptor = Acceptor::new(Arc::new(demo_tls(args.listen)?));
        let server = listen_tls(Server::build(), listener, acceptor, move || service.clone().app())?.run();
        tracing::info!(listen = %addr, tls = true, %policy, geo_databases = args.mmdb.len(), trusted_proxies = trusted,
            %store, "actix_login: serving the demo login service");
        server
    } else {
        let server = HttpServer::new(move || service.clone().app())
            .bind(args.listen)
            .map_err(|e| format!("--listen {}: {e}", args.listen))?;
        for addr in server.addrs() {
            tracing::info!(listen = %addr, tls = false, %policy, geo_databases = args.mmdb.len(),
                trusted_proxies = trusted, %store, "actix_login: serving the demo login service");
        }
        server.run()
    };
    server.await?;
    tracing::info!("actix_login: stopped");
    Ok(())
}
