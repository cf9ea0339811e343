//! Services in child processes of a test binary: the test's own `main`
//! runs `serve` when started as `TEST --serve axum|actix FLAGS`, through
//! the same `run` the example binaries call, so the tests do not depend on
//! example binaries being built and current.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use tollgate_examples::demo::Args;

use super::send;

/// The `main` of such a test binary: the child's role when started with
/// `--serve`, else `tests` on a multi-threaded runtime.
pub fn test_main(tests: impl FnOnce(&tokio::runtime::Runtime)) {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        serve(&args[2], &args[3..]);
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    tests(&runtime);
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
pub struct Service {
    pub child: Child,
    pub log: Arc<Mutex<String>>,
    pub addr: SocketAddr,
}

/// How long a log line may take to appear before the test fails (a guard
/// against hanging, not a performance threshold).
pub const PATIENCE: Duration = Duration::from_secs(60);

impl Service {
    pub fn start(framework: &str, policy: &Path, extra: &[&str]) -> Service {
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
    pub fn wait_for(&self, text: &str, skip: usize) -> String {
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

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    pub async fn scrape(&self) -> String {
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

pub fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {series} in\n{text}"))
}
