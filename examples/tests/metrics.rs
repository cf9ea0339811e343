#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! `--metrics`: both services serve the Prometheus text format at `GET
//! /metrics`, counting their decisions with closed label sets only, and
//! the shipped Grafana dashboard queries only series the exporter writes.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use common::{demo_engine, login, send};
use tollgate::Engine;
use tollgate_examples::demo::Users;
use tollgate_examples::ops::{Exporter, instrument};
use tollgate_metrics::Registry;

/// The exporter over `engine`, as `--metrics` builds it for the in-process store.
fn exporter(engine: &Arc<Engine>) -> Exporter {
    let mut registry = Registry::default();
    tollgate_metrics::register_memory_store(&mut registry, Arc::clone(engine));
    instrument(engine, &mut registry);
    Exporter::new(registry)
}

async fn serve_axum() -> SocketAddr {
    let engine = demo_engine(&["127.0.0.1/32"]);
    let exporter = exporter(&engine);
    let app = tollgate_examples::axum_login::app(engine, Users::demo())
        .merge(tollgate_examples::axum_login::metrics_router(exporter));
    common::serve_axum_app(app).await
}

fn serve_actix() -> SocketAddr {
    let engine = demo_engine(&["127.0.0.1/32"]);
    let exporter = exporter(&engine);
    common::serve_actix_service(
        tollgate_examples::actix_login::LoginService::new(engine, Users::demo()).with_metrics(exporter),
    )
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

/// A few requests of every outcome, then a scrape.
async fn exercise_and_scrape(addr: SocketAddr) -> String {
    assert_eq!(login(addr, "alice", "correct-horse").await.status, 200);
    for _ in 0..3 {
        assert_eq!(login(addr, "bob", "guess").await.status, 401);
    }
    assert_eq!(login(addr, "bob", "battery-staple").await.status, 429);
    let blocked = send(
        addr,
        "POST",
        "/login",
        &[("x-forwarded-for", "203.0.113.7")],
        r#"{"username": "carol", "password": "x"}"#,
    )
    .await;
    assert_eq!(blocked.status, 403);
    let reply = send(addr, "GET", "/metrics", &[], "").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.header("content-type"), Some(tollgate_metrics::CONTENT_TYPE));
    reply.body
}

fn check_series(text: &str) {
    // alice and bob's three failures: each admitted by the layer, then by
    // the handler; bob's fourth admitted by the layer, throttled by the
    // handler; carol's denied by the layer (the zone) and decided no more.
    assert_eq!(
        value(text, r#"tollgate_decisions_total{event="login",action="allow"}"#),
        9.0,
        "{text}"
    );
    assert_eq!(
        value(text, r#"tollgate_decisions_total{event="login",action="throttle"}"#),
        1.0
    );
    assert_eq!(
        value(text, r#"tollgate_decisions_total{event="login",action="deny"}"#),
        1.0
    );
    assert_eq!(
        value(text, r#"tollgate_decisions_total{event="otp_send",action="allow"}"#),
        0.0
    );
    assert_eq!(
        value(
            text,
            r#"tollgate_reasons_total{code="limit.failures",rule="login-failures-user-ip",mode="enforce"}"#
        ),
        1.0
    );
    assert_eq!(
        value(
            text,
            r#"tollgate_reasons_total{code="zone.match",rule="demo-blocked",mode="enforce"}"#
        ),
        1.0
    );
    assert_eq!(value(text, r#"tollgate_evaluation_seconds_count{event="login"}"#), 11.0);
    assert_eq!(value(text, "tollgate_store_available"), 1.0);
    assert_eq!(value(text, r#"tollgate_store_evictions_total{state="live"}"#), 0.0);
    assert!(value(text, "tollgate_store_keys") > 0.0);
    // A day's first login reads the settled test: nothing the day before.
    assert_eq!(value(text, "tollgate_site_settled"), 0.0);
    assert_eq!(value(text, r#"tollgate_attack_mode_campaigns{level="site"}"#), 0.0);
    // Labels come from closed sets: never a user, an address or a fingerprint.
    for secret in ["alice", "bob", "carol", "127.0.0.1", "203.0.113"] {
        assert!(!text.contains(secret), "{secret} in the metrics:\n{text}");
    }
}

#[tokio::test]
async fn axum_serves_its_decisions_as_prometheus_text() {
    let text = exercise_and_scrape(serve_axum().await).await;
    check_series(&text);
    check_dashboard(&text);
}

#[tokio::test]
async fn actix_serves_its_decisions_as_prometheus_text() {
    let text = exercise_and_scrape(serve_actix()).await;
    check_series(&text);
    check_dashboard(&text);
}

#[tokio::test]
async fn without_metrics_there_is_no_metrics_route() {
    let addr = common::serve_axum(&[]).await;
    assert_eq!(send(addr, "GET", "/metrics", &[], "").await.status, 404);
    let addr = common::serve_actix(&[]);
    assert_eq!(send(addr, "GET", "/metrics", &[], "").await.status, 404);
}

/// Every series a PromQL expression names (`tollgate_*`), with the label
/// names it matches on or aggregates by.
fn queried(expr: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut found = Vec::new();
    let bytes = expr.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    // Labels in `by (...)` belong to every series of the expression.
    let mut by = BTreeSet::new();
    for part in expr.split("by (").skip(1) {
        let list = part.split(')').next().unwrap();
        by.extend(list.split(',').map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()));
    }
    let mut i = 0;
    while let Some(at) = expr[i..].find("tollgate_") {
        let start = i + at;
        let mut end = start;
        while end < bytes.len() && ident(bytes[end]) {
            end += 1;
        }
        let name = expr[start..end].to_owned();
        let mut labels = by.clone();
        if expr[end..].starts_with('{') {
            let matchers = expr[end + 1..].split('}').next().unwrap();
            for matcher in matchers.split(',') {
                let label: String = matcher
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                labels.insert(label);
            }
        }
        labels.remove("le");
        found.push((name, labels));
        i = end;
    }
    found
}

/// The dashboard parses, is shaped as Grafana imports it, and every series
/// and label it queries is in `scrape`.
fn check_dashboard(scrape: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/grafana/tollgate-dashboard.json");
    let dashboard: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(dashboard["title"].is_string() && dashboard["uid"].is_string());
    assert!(dashboard["schemaVersion"].is_u64());
    assert_eq!(dashboard["templating"]["list"][0]["type"], "datasource");
    let panels = dashboard["panels"].as_array().unwrap();
    let mut ids = BTreeSet::new();
    let mut exprs = Vec::new();
    for panel in panels {
        assert!(ids.insert(panel["id"].as_u64().unwrap()), "duplicate panel id");
        assert!(panel["title"].is_string() && panel["gridPos"]["w"].is_u64());
        if panel["type"] == "row" {
            continue;
        }
        assert_eq!(panel["datasource"]["uid"], "${datasource}");
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{} has no query", panel["title"]);
        exprs.extend(targets.iter().map(|t| t["expr"].as_str().unwrap().to_owned()));
    }
    // What the dashboard was asked to show.
    let all = exprs.join("\n");
    for wanted in [
        "tollgate_decisions_total",
        "tollgate_reasons_total",
        "tollgate_store_available",
        "tollgate_store_evictions_total",
        "tollgate_evaluation_seconds_bucket",
        "tollgate_attack_mode_campaigns",
        "tollgate_attack_mode_site_ratio",
        "tollgate_site_settled",
    ] {
        assert!(all.contains(wanted), "the dashboard does not query {wanted}");
    }
    // Series a fresh engine cannot have yet: a share of yesterday's logins.
    let with_history = ["tollgate_site_stranger_ratio"];
    for expr in &exprs {
        let series = queried(expr);
        assert!(!series.is_empty(), "{expr} queries no tollgate series");
        for (name, labels) in series
            .into_iter()
            .filter(|(name, _)| !with_history.contains(&name.as_str()))
        {
            let lines: Vec<&str> = scrape
                .lines()
                .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
                .collect();
            assert!(!lines.is_empty(), "{expr}: no {name} in the exporter's output");
            for label in labels {
                assert!(
                    lines.iter().any(|l| l.contains(&format!("{label}=\""))),
                    "{expr}: {name} has no label {label}"
                );
            }
        }
    }
}

/// A store that does not answer (nothing listens on the port): with
/// `--metrics` the store-transition hook both logs and counts, so the
/// gauge drops to 0 and the transition is counted, and decisions go on.
#[tokio::test]
async fn an_unreachable_store_shows_as_unavailable() {
    use clap::Parser;
    let args = tollgate_examples::demo::Args::try_parse_from([
        "axum_login",
        "--redis",
        "redis://127.0.0.1:1/",
        "--key-secret",
        "000102030405060708090a0b0c0d0e0f",
        "--metrics",
    ])
    .unwrap();
    let (engine, _) = tollgate_examples::store::redis_engine(&args).await.unwrap().unwrap();
    let (_, registry) = tollgate_examples::ops::metrics_for(&args, &engine, None).unwrap();
    let exporter = Exporter::new(registry);
    let before = exporter.render().unwrap();
    assert_eq!(value(&before, "tollgate_store_available"), 1.0);
    assert!(
        !before.contains("tollgate_store_evictions_total"),
        "no in-process store here"
    );
    let at = tollgate::Timestamp::from(std::time::SystemTime::now());
    let login = tollgate::Event::new(tollgate::EventKind::Login, at).with_ip("192.0.2.1".parse().unwrap());
    engine.evaluate_async(&login).await;
    let after = exporter.render().unwrap();
    assert_eq!(value(&after, "tollgate_store_available"), 0.0, "{after}");
    assert_eq!(value(&after, r#"tollgate_store_transitions_total{to="failing"}"#), 1.0);
    assert_eq!(
        value(&after, r#"tollgate_store_transitions_total{to="recovered"}"#),
        0.0
    );
    let decided: f64 = after
        .lines()
        .filter(|l| l.starts_with(r#"tollgate_decisions_total{event="login""#))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert_eq!(decided, 1.0, "the decision is counted whatever the store did");
}
