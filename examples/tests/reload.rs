#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! Live policy reload in a real process with a real `SIGHUP`, for both
//! services: an edited policy takes effect without resetting counters or
//! metrics, and a broken one is rejected with its field named while the
//! running policy stays.
//!
//! The services run as child processes of this test binary (`reload
//! --serve axum|actix FLAGS`), through the same `run` the example binaries
//! call, so the test does not depend on example binaries being built and
//! current. Its own `main` (no libtest harness) picks the role.

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use common::{login, send};
use tollgate_examples::demo::Args;
use tollgate_examples::ops::policy_version;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        serve(&args[2], &args[3..]);
        return;
    }
    #[cfg(unix)]
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        for framework in ["axum", "actix"] {
            runtime.block_on(sighup_reloads_without_resetting(framework));
            println!("test reload::{framework}::sighup_reloads_without_resetting ... ok");
        }
        runtime.block_on(watch_reloads_on_file_change());
        println!("test reload::axum::watch_reloads_on_file_change ... ok");
    }
    #[cfg(not(unix))]
    println!("reload: skipped (no SIGHUP on this platform)");
}

/// The child: one service, logging to stdout without colours.
fn serve(framework: &str, flags: &[String]) {
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_target(false)
        .init();
    let args = Args::parse_from(std::iter::once(format!("{framework}_login")).chain(flags.iter().cloned()));
    let result = match framework {
        "axum" => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(tollgate_examples::axum_login::run(args)),
        "actix" => actix_web::rt::System::new().block_on(tollgate_examples::actix_login::run(args)),
        other => panic!("no service {other}"),
    };
    if let Err(e) = result {
        eprintln!("{framework}_login: {e}");
        std::process::exit(1);
    }
}

/// A service process and everything it has logged so far.
struct Service {
    child: Child,
    log: Arc<Mutex<String>>,
    addr: SocketAddr,
}

/// How long a log line may take to appear before the test fails (a guard
/// against hanging, not a performance threshold).
const PATIENCE: Duration = Duration::from_secs(60);

impl Service {
    fn start(framework: &str, policy: &Path, extra: &[&str]) -> Service {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--serve", framework, "--listen", "127.0.0.1:0", "--metrics"])
            .args(["--trust-proxy", "127.0.0.1/32"])
            .args(extra)
            .arg("--policy")
            .arg(policy)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let stdout = child.stdout.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut service = Service {
            child,
            log,
            addr: "127.0.0.1:0".parse().unwrap(),
        };
        let line = service.wait_for("serving the demo login service", 0);
        let listen = line.split_whitespace().find_map(|f| f.strip_prefix("listen=")).unwrap();
        service.addr = listen.parse().unwrap();
        service
    }

    /// The first line containing `text` among lines after the first `skip`
    /// matches, once it is logged.
    fn wait_for(&self, text: &str, skip: usize) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(line) = self.log.lock().unwrap().lines().filter(|l| l.contains(text)).nth(skip) {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no {text:?} in the log:\n{}",
                self.log.lock().unwrap()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    async fn scrape(&self) -> String {
        let reply = send(self.addr, "GET", "/metrics", &[], "").await;
        assert_eq!(reply.status, 200, "{reply:?}");
        assert_eq!(reply.header("content-type"), Some(tollgate_metrics::CONTENT_TYPE));
        reply.body
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}

const ALLOWED_LOGINS: &str = r#"tollgate_decisions_total{event="login",action="allow"}"#;

/// A login from `ip` behind the trusted proxy.
async fn login_from(addr: SocketAddr, ip: &str) -> u16 {
    let body = r#"{"username": "alice", "password": "correct-horse"}"#;
    send(addr, "POST", "/login", &[("x-forwarded-for", ip)], body)
        .await
        .status
}

async fn sighup_reloads_without_resetting(framework: &str) {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap();
    std::fs::write(&policy, &demo).unwrap();
    let first = policy_version(demo.as_bytes());
    let service = Service::start(framework, &policy, &[]);
    service.wait_for(&format!("policy version {first} live"), 0);
    let addr = service.addr;

    // Two of bob's three failures (login-failures-user-ip: burst 3).
    for _ in 0..2 {
        assert_eq!(login(addr, "bob", "guess").await.status, 401);
    }
    assert_eq!(login_from(addr, "198.51.100.7").await, 200);
    let before = service.scrape().await;
    let allowed = value(&before, ALLOWED_LOGINS);
    assert!(allowed >= 3.0, "{before}");
    assert_eq!(
        value(&before, &format!(r#"tollgate_policy_info{{version="{first}"}}"#)),
        1.0
    );

    // The edited policy: one more zone.
    let edited =
        format!("{demo}\n[[zones]]\nname = \"reload-added\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n");
    std::fs::write(&policy, &edited).unwrap();
    let second = policy_version(edited.as_bytes());
    service.signal("HUP");
    let line = service.wait_for("policy reloaded", 0);
    assert!(line.contains(&format!("version {second} live")), "{line}");
    assert!(line.contains(&format!("previous_version={first}")), "{line}");
    assert_eq!(login_from(addr, "198.51.100.7").await, 403, "the new zone is in force");
    // bob's third failure, then the throttle: his two earlier failures were kept.
    assert_eq!(login(addr, "bob", "guess").await.status, 401);
    assert_eq!(login(addr, "bob", "battery-staple").await.status, 429);
    let after = service.scrape().await;
    assert!(
        value(&after, ALLOWED_LOGINS) > allowed,
        "metrics kept counting:\n{after}"
    );
    assert!(value(&after, r#"tollgate_decisions_total{event="login",action="deny"}"#) >= 1.0);
    assert!(
        value(
            &after,
            r#"tollgate_reasons_total{code="zone.match",rule="reload-added",mode="enforce"}"#
        ) >= 1.0
    );
    assert_eq!(
        value(&after, &format!(r#"tollgate_policy_info{{version="{second}"}}"#)),
        1.0
    );
    assert!(!after.contains(&first), "only the live version is reported");
    assert_eq!(value(&after, r#"tollgate_policy_reloads_total{result="applied"}"#), 1.0);

    // A policy that does not validate: rejected, field named, the edited one stays.
    std::fs::write(&policy, edited.replacen("burst = 60", "burst = 0", 1)).unwrap();
    service.signal("HUP");
    let line = service.wait_for("policy reload rejected", 0);
    assert!(line.contains("limits[0].burst"), "{line}");
    assert!(line.contains(&format!("version {second} stays live")), "{line}");
    // And one that does not parse.
    std::fs::write(&policy, "[[zones]\n").unwrap();
    service.signal("HUP");
    let line = service.wait_for("policy reload rejected", 1);
    assert!(line.contains("TOML"), "{line}");
    assert_eq!(login_from(addr, "198.51.100.7").await, 403, "the running policy stays");
    let rejected = service.scrape().await;
    assert_eq!(
        value(&rejected, &format!(r#"tollgate_policy_info{{version="{second}"}}"#)),
        1.0
    );
    assert_eq!(
        value(&rejected, r#"tollgate_policy_reloads_total{result="rejected"}"#),
        2.0
    );
    service.signal("TERM");
}

/// With `--watch-policy`, writing the file is enough; a broken write is
/// rejected once, not at every look.
async fn watch_reloads_on_file_change() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    let demo = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("demo-policy.toml")).unwrap();
    std::fs::write(&policy, &demo).unwrap();
    let service = Service::start("axum", &policy, &["--watch-policy"]);
    assert_eq!(login_from(service.addr, "198.51.100.7").await, 200);
    std::fs::write(&policy, demo.replacen("burst = 60", "burst = 0", 1)).unwrap();
    let line = service.wait_for("policy reload rejected", 0);
    assert!(
        line.contains("trigger=\"file change\"") && line.contains("limits[0].burst"),
        "{line}"
    );
    let edited = format!("{demo}\n[[zones]]\nname = \"watched\"\ncidrs = [\"198.51.100.0/24\"]\naction = \"deny\"\n");
    std::fs::write(&policy, &edited).unwrap();
    let line = service.wait_for("policy reloaded", 0);
    assert!(line.contains(&policy_version(edited.as_bytes())), "{line}");
    assert_eq!(login_from(service.addr, "198.51.100.7").await, 403);
    let log = service.log.lock().unwrap().clone();
    assert_eq!(log.matches("policy reload rejected").count(), 1, "{log}");
}
