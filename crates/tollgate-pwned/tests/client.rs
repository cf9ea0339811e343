//! The range client against a local server on 127.0.0.1 that speaks the
//! range format: the documentation's excerpt, generated padded answers,
//! errors and a server that never answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, missing_docs)]

use std::path::PathBuf;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tollgate::password::PasswordSha1;
use tollgate_pwned::client::{ClientError, FailMode, RangeClient, RangeVerdict};

#[derive(Clone, Copy)]
enum Behaviour {
    Serve,
    Status500,
    Hang,
    Garbage,
}

/// Known passwords of the generated corpus and their counts.
const CORPUS: [(&str, u64); 2] = [("password", 3_861_493), ("123456", 37_359_195)];

/// The answer for a prefix: the docs' excerpt for 21BD1 (when test data is
/// present), corpus lines for the prefix, and 800 padding lines of count 0.
fn answer(prefix: &str, excerpt: Option<&str>) -> String {
    let mut rng = ChaCha8Rng::seed_from_u64(u64::from_str_radix(prefix, 16).unwrap_or(0));
    let mut lines: Vec<String> = (0..800)
        .map(|_| format!("{}:0", PasswordSha1::from_bytes(rng.random()).suffix_hex()))
        .collect();
    for (password, count) in CORPUS {
        let hash = PasswordSha1::of(password);
        if hash.prefix() == prefix {
            lines.push(format!("{}:{count}", hash.suffix_hex()));
        }
    }
    let mut body = lines.join("\r\n");
    if prefix == "21BD1" {
        if let Some(excerpt) = excerpt {
            body = format!("{excerpt}{body}");
        }
    }
    body
}

/// Starts the server; every request head is sent on the returned channel.
async fn server(behaviour: Behaviour, excerpt: Option<String>) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let tx = tx.clone();
            let excerpt = excerpt.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = socket.read(&mut buf).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    head.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8(head).unwrap();
                let path = head.split(' ').nth(1).unwrap_or("").to_owned();
                tx.send(head).unwrap();
                let (status, body) = match behaviour {
                    Behaviour::Serve => ("200 OK", answer(path.trim_start_matches("/range/"), excerpt.as_deref())),
                    Behaviour::Status500 => ("500 Internal Server Error", String::new()),
                    Behaviour::Garbage => ("200 OK", "<html>maintenance</html>".to_owned()),
                    Behaviour::Hang => {
                        tokio::time::sleep(Duration::from_secs(3600)).await;
                        return;
                    }
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (format!("http://{addr}"), rx)
}

fn client(base: &str) -> RangeClient {
    RangeClient::new()
        .unwrap()
        .base_url(base)
        .timeout(Duration::from_secs(5))
}

#[tokio::test]
async fn only_the_prefix_leaves_the_process() {
    let (base, mut heads) = server(Behaviour::Serve, None).await;
    let hash = PasswordSha1::of("password");
    assert_eq!(client(&base).lookup(&hash).await.unwrap(), 3_861_493);
    let head = heads.recv().await.unwrap();
    let request_line = head.lines().next().unwrap();
    assert_eq!(request_line, "GET /range/5BAA6 HTTP/1.1");
    assert!(
        head.to_ascii_lowercase().contains("\r\nadd-padding: true\r\n"),
        "{head}"
    );
    let upper = head.to_ascii_uppercase();
    assert!(!upper.contains(&hash.suffix_hex()[..8]), "{head}");
    assert!(!head.contains("password"));
}

#[tokio::test]
async fn generated_answers() {
    let (base, _heads) = server(Behaviour::Serve, None).await;
    let c = client(&base);
    assert!(matches!(
        c.check(&PasswordSha1::of("123456")).await,
        RangeVerdict::Pwned { count: 37_359_195 }
    ));
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let random: String = (0..24).map(|_| char::from(rng.random_range(b'a'..=b'z'))).collect();
    let verdict = c.check(&PasswordSha1::of(&random)).await;
    assert!(matches!(verdict, RangeVerdict::NotPwned), "{verdict:?}");
    assert!(!verdict.is_compromised());
}

#[tokio::test]
async fn documented_excerpt() {
    let Some(dir) = std::env::var_os("TOLLGATE_TESTDATA").map(PathBuf::from) else {
        println!("skipping: TOLLGATE_TESTDATA unset");
        return;
    };
    let excerpt = std::fs::read_to_string(dir.join("hibp/range_21BD1_docs_excerpt.txt")).unwrap();
    let (base, _heads) = server(Behaviour::Serve, Some(excerpt)).await;
    let c = client(&base);
    for (password, count) in [("lauragpe", 1), ("alexguo029", 2), ("quvekyny", 2), ("P@ssw0rd", 0)] {
        assert_eq!(
            c.lookup(&PasswordSha1::of(password)).await.unwrap(),
            count,
            "{password}"
        );
    }
}

#[tokio::test]
async fn failures_follow_the_fail_mode() {
    let hash = PasswordSha1::of("password");
    for (behaviour, open_error) in [
        (Behaviour::Status500, "status"),
        (Behaviour::Garbage, "format"),
        (Behaviour::Hang, "timeout"),
    ] {
        let (base, _heads) = server(behaviour, None).await;
        let c = client(&base).timeout(Duration::from_millis(300));
        let open = c.clone().fail_mode(FailMode::Open).check(&hash).await;
        let closed = c.fail_mode(FailMode::Closed).check(&hash).await;
        assert!(!open.is_compromised());
        assert!(closed.is_compromised());
        let RangeVerdict::Unavailable { error, .. } = open else {
            panic!("{open:?}")
        };
        let kind = match error {
            ClientError::Status(500) => "status",
            ClientError::Format(_) => "format",
            ClientError::Timeout(_) => "timeout",
            other => panic!("{other:?}"),
        };
        assert_eq!(kind, open_error);
    }
    // Nothing listening: a connection error, not a hang.
    let closed_port = {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let verdict = client(&format!("http://{closed_port}")).check(&hash).await;
    assert!(matches!(
        verdict,
        RangeVerdict::Unavailable {
            assumed_compromised: false,
            error: ClientError::Request(_)
        }
    ));
}
