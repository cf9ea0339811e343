//! The demo login service on actix-web: the app the `actix_login` example
//! serves and the tests drive. Same contract as the axum one
//! ([`crate::axum_login`], `docs/login-service.md`): same routes, status
//! codes, bodies and headers for the same requests (`tests/parity.rs`).
//!
//! The [`Tollgate`](tollgate_actix::Tollgate) middleware evaluates
//! pre-authentication limits before the handlers run; the
//! [`Guard`](tollgate_actix::Guard) then evaluates the business event with
//! the username or phone number, and logins and code verifications report
//! their outcome back to the engine. As in the axum app, the handlers are
//! generic over the engine's [`AsyncStore`] (in-process or Redis) and await it.

mod handlers;
mod json;
mod service;

pub use service::LoginService;

use std::sync::Arc;

use actix_web::HttpServer;
use actix_web::dev::Server;
use tollgate::Engine;
use tollgate::store::AsyncStore;
use tollgate_actix::tls::listen_tls;
use tollgate_metrics::{Registry, TollgateMetrics};
use tollgate_tls::Acceptor;

use crate::decision_log;
use crate::demo::{Args, BoxError, Users, demo_tls, load};
use crate::ops::{self, Exporter, PolicyFile, Reloader};
use crate::store::{describe, redis_engine};

/// The `actix_login` example: the service the flags describe, until Ctrl-C
/// or SIGTERM. Reloads `--policy` on SIGHUP (and with `--watch-policy` on
/// change) and serves `/metrics` with `--metrics`. Runs in an actix system.
pub async fn run(args: Args) -> Result<(), BoxError> {
    // One serving path, generic over the store.
    match redis_engine(&args).await? {
        Some((engine, users)) => {
            let mut metrics = ops::metrics_for(&args, &engine, None);
            let log = decision_log::from_args(&args, &engine, metrics.as_mut())?;
            decision_log::flushed(log, serve(engine, users, metrics, &args)).await
        }
        None => {
            let (engine, users) = load(&args)?;
            let mut metrics = ops::metrics_for(&args, &engine, Some(Arc::clone(&engine)));
            let log = decision_log::from_args(&args, &engine, metrics.as_mut())?;
            decision_log::flushed(log, serve(engine, users, metrics, &args)).await
        }
    }
}

async fn serve<S: AsyncStore + 'static>(
    engine: Arc<Engine<S>>,
    users: Users,
    metrics: Option<(Arc<TollgateMetrics>, Registry)>,
    args: &Args,
) -> Result<(), BoxError> {
    let trusted = !engine.policy().network.trusted_proxies.proxies().is_empty();
    let (metrics, exporter) = metrics.map(|(m, r)| (m, Exporter::new(r))).unzip();
    let reloader = match PolicyFile::from_args(args) {
        Some(file) => Some(Arc::new(Reloader::new(Arc::clone(&engine), file, metrics)?)),
        None => None,
    };
    actix_web::rt::spawn(ops::reload_task(reloader, args.watch_policy)?);
    let mut service = LoginService::new(engine, users);
    if let Some(exporter) = exporter {
        service = service.with_metrics(exporter);
    }
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
            %store, metrics = args.metrics, "actix_login: serving the demo login service");
        server
    } else {
        let server = HttpServer::new(move || service.clone().app())
            .bind(args.listen)
            .map_err(|e| format!("--listen {}: {e}", args.listen))?;
        for addr in server.addrs() {
            tracing::info!(listen = %addr, tls = false, %policy, geo_databases = args.mmdb.len(),
                trusted_proxies = trusted, %store, metrics = args.metrics, "actix_login: serving the demo login service");
        }
        server.run()
    };
    server.await?;
    tracing::info!("actix_login: stopped");
    Ok(())
}
