//! A headless Chromium driven through `chromedriver`'s W3C WebDriver
//! endpoints, with the HTTP client the other tests use: the eight commands
//! the browser test needs (new session, navigate, find, type, click,
//! run a script, read the console, end the session).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::process::PATIENCE;
use super::send;

/// The key under which WebDriver returns an element reference.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Chromium's flags that work on a closed network: without the
/// background-networking ones it keeps trying to reach Google's services.
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
];

/// The browser and its driver: `TOLLGATE_CHROMIUM` and
/// `TOLLGATE_CHROMEDRIVER`, else `chromium` and `chromedriver` on `PATH`
/// (Debian's `chromium` and `chromium-driver`). `None` when either is missing.
pub fn find_browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = program("TOLLGATE_CHROMIUM", &["chromium", "chromium-browser"])?;
    let driver = program("TOLLGATE_CHROMEDRIVER", &["chromedriver"])?;
    Some((chromium, driver))
}

fn program(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        return Some(PathBuf::from(path));
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|path| path.is_file())
}

/// A running `chromedriver` on a loopback port of its choosing.
pub struct Driver {
    child: Child,
    addr: SocketAddr,
    chromium: PathBuf,
    /// The sessions' profiles, removed only once the driver has quit their
    /// browsers (a browser still running would write into a removed one).
    profiles: Mutex<Vec<tempfile::TempDir>>,
}

impl Driver {
    pub fn start(chromium: &Path, chromedriver: &Path) -> Driver {
        let mut child = Command::new(chromedriver)
            .args(["--port=0", "--log-level=WARNING"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{}: {e}", chromedriver.display()));
        // "ChromeDriver was started successfully on port 41231."
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let port = lines
            .by_ref()
            .map_while(Result::ok)
            .find_map(|line| {
                let rest = line.split("started successfully on port ").nth(1)?;
                rest.trim_end_matches('.').parse::<u16>().ok()
            })
            .unwrap_or_else(|| panic!("{} did not say its port", chromedriver.display()));
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Driver {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            chromium: chromium.to_owned(),
            profiles: Mutex::new(Vec::new()),
        }
    }

    /// A new browser with a fresh profile.
    pub async fn session(&self) -> Session {
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let capabilities = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": self.chromium, "args": args},
            "goog:loggingPrefs": {"browser": "ALL"},
        }}});
        let reply = command(self.addr, "POST", "/session", &capabilities).await;
        self.profiles.lock().unwrap().push(profile);
        let id = reply["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {reply}"))
            .to_owned();
        Session { driver: self.addr, id }
    }
}

impl Drop for Driver {
    /// `/shutdown` first: chromedriver then quits the browsers of sessions
    /// a failed test left open, which a plain kill would orphan.
    fn drop(&mut self) {
        if let Ok(mut stream) = std::net::TcpStream::connect(self.addr) {
            use std::io::{Read, Write};
            let _ = stream.set_read_timeout(Some(PATIENCE));
            let request = format!(
                "GET /shutdown HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            );
            if stream.write_all(request.as_bytes()).is_ok() {
                let _ = stream.read_to_end(&mut Vec::new());
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One WebDriver command: its `value`, or a panic naming the error.
async fn command(driver: SocketAddr, method: &str, path: &str, body: &Value) -> Value {
    let body = if method == "GET" || method == "DELETE" {
        String::new()
    } else {
        body.to_string()
    };
    let reply = send(driver, method, path, &[], &body).await;
    let mut value: Value = serde_json::from_str(&reply.body).unwrap_or_else(|e| panic!("{path}: {e}: {reply:?}"));
    assert_eq!(reply.status, 200, "{method} {path}: {value}");
    value["value"].take()
}

/// A browser session (a window with its own profile).
pub struct Session {
    driver: SocketAddr,
    id: String,
}

impl Session {
    async fn command(&self, method: &str, path: &str, body: Value) -> Value {
        command(self.driver, method, &format!("/session/{}{path}", self.id), &body).await
    }

    pub async fn goto(&self, url: &str) {
        self.command("POST", "/url", json!({"url": url})).await;
    }

    /// The element `css` selects (it must exist).
    pub async fn find(&self, css: &str) -> String {
        let found = self
            .command("POST", "/element", json!({"using": "css selector", "value": css}))
            .await;
        found[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {found}"))
            .to_owned()
    }

    /// Types `text` into the element `css` selects, as a user would.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/value"), json!({"text": text}))
            .await;
    }

    pub async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command("POST", &format!("/element/{element}/click"), json!({}))
            .await;
    }

    /// Runs `script` (a function body) in the page: what it returns.
    pub async fn script(&self, script: &str) -> Value {
        self.command("POST", "/execute/sync", json!({"script": script, "args": []}))
            .await
    }

    /// Runs `script` until it returns something other than `null`
    /// (`PATIENCE` guards against hanging, it is no performance bound).
    pub async fn wait_for(&self, script: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self.script(script).await;
            if !value.is_null() {
                return value;
            }
            assert!(Instant::now() < deadline, "still null: {script}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The console's messages since the last call (`level`, `message`).
    pub async fn console(&self) -> Vec<Value> {
        let logs = self.command("POST", "/se/log", json!({"type": "browser"})).await;
        logs.as_array().cloned().unwrap_or_default()
    }

    pub async fn quit(self) {
        self.command("DELETE", "", Value::Null).await;
    }
}
