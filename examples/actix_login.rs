//! A demo login service on actix-web, protected by tollgate: the same
//! contract and flags as the `axum_login` example.
//!
//! ```text
//! cargo run --release --example actix_login -- --policy examples/demo-policy.toml --trust-proxy 127.0.0.1/32
//! cargo run --release --example actix_login -- --tls    # HTTPS, native JA4/JA3/HTTP2
//! TOLLGATE_KEY_SECRET=$(openssl rand -hex 16) \
//!   cargo run --release --example actix_login -- --redis redis://127.0.0.1:6379/   # counters shared in Redis
//! cargo run --release --example actix_login -- --policy examples/demo-policy.toml --metrics   # GET /metrics; SIGHUP reloads
//! ```
//!
//! The HTTP contract, the flags, the demo users and a curl walk-through are
//! in `docs/login-service.md`.

use std::process::ExitCode;

use clap::Parser;
use tollgate_examples::actix_login::run;
use tollgate_examples::demo::Args;

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
