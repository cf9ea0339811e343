//! A demo login service on actix-web, protected by tollgate: the same
//! contract and flags as the `axum_login` example.
//!
//! ```text
//! cargo run --release --example actix_login -- --policy examples/demo-policy.toml --trust-proxy 127.0.0.1/32
//! ```
//!
//! The HTTP contract, the flags, the demo users and a curl walk-through are
//! in `docs/login-service.md`.

use std::process::ExitCode;

use actix_web::HttpServer;
use clap::Parser;
use tollgate_examples::actix_login::LoginService;
use tollgate_examples::demo::{Args, BoxError, load};

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
    let (engine, users) = load(&args)?;
    let trusted = !engine.policy().network.trusted_proxies.proxies().is_empty();
    let service = LoginService::new(engine, users);
    // One state and one engine for all workers. actix-web stops on Ctrl-C
    // and SIGTERM, finishing the requests in flight.
    let server = HttpServer::new(move || service.clone().app())
        .bind(args.listen)
        .map_err(|e| format!("--listen {}: {e}", args.listen))?;
    for addr in server.addrs() {
        tracing::info!(
            listen = %addr,
            policy = %args.policy.as_ref().map_or("built-in default".into(), |p| p.display().to_string()),
            geo_databases = args.mmdb.len(),
            trusted_proxies = trusted,
            "actix_login: serving the demo login service"
        );
    }
    server.run().await?;
    tracing::info!("actix_login: stopped");
    Ok(())
}
