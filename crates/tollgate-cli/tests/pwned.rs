//! `tollgate pwned build|check` end to end: a filter built from a corpus
//! holding SHA-1("password") flags it, random passwords pass, the password
//! is read from stdin and never echoed, and bad files are clean errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use tollgate::password::PasswordSha1;

fn tollgate(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading all of stdin.
    let _ = child.stdin.take().unwrap().write_all(stdin);
    child.wait_with_output().unwrap()
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pwned-cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A sorted corpus of 5,000 random hashes plus SHA-1("password").
fn corpus(name: &str) -> PathBuf {
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let mut hashes: Vec<PasswordSha1> = (0..5_000).map(|_| PasswordSha1::from_bytes(rng.random())).collect();
    hashes.push(PasswordSha1::of("password"));
    hashes.sort();
    let text: String = hashes.iter().map(|h| format!("{}:{}\r\n", h.hex(), 3)).collect();
    let path = scratch(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn build(corpus: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec![
        "pwned",
        "build",
        "--input",
        corpus.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    json(&tollgate(&args, b""))
}

fn check(filter: &Path, password: &[u8]) -> Output {
    tollgate(&["pwned", "check", "--filter", filter.to_str().unwrap()], password)
}

#[test]
fn password_is_compromised_random_passwords_are_not() {
    let input = corpus("corpus-a.txt");
    for bits in ["8", "16"] {
        let filter = scratch(&format!("filter-{bits}.bin"));
        let stats = build(&input, &filter, &["--bits", bits]);
        assert_eq!(stats["keys"], 5_001);
        assert_eq!(stats["fingerprint_bits"], bits.parse::<u64>().unwrap());
        for stdin in [&b"password"[..], b"password\n", b"password\r\n"] {
            let out = check(&filter, stdin);
            assert_eq!(json(&out), serde_json::json!({"compromised": true}));
        }
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let random: String = (0..20).map(|_| char::from(rng.random_range(b'!'..=b'~'))).collect();
        let out = check(&filter, random.as_bytes());
        assert_eq!(json(&out)["compromised"], false);
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!printed.contains(&random));
    }
}

#[test]
fn stdin_corpus_and_min_count() {
    let input = std::fs::read(corpus("corpus-b.txt")).unwrap();
    let filter = scratch("filter-stdin.bin");
    let out = tollgate(
        &[
            "pwned",
            "build",
            "--input",
            "-",
            "--out",
            filter.to_str().unwrap(),
            "--min-count",
            "4",
        ],
        &input,
    );
    // Every line has count 3.
    assert_eq!(json(&out)["keys"], 0);
    assert_eq!(json(&check(&filter, b"password"))["compromised"], false);
}

#[test]
fn errors_are_clean_and_never_quote_the_password() {
    let filter = scratch("filter-errors.bin");
    build(&corpus("corpus-c.txt"), &filter, &[]);
    let out = check(&filter, b"");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a password on stdin"));

    let bytes = std::fs::read(&filter).unwrap();
    let truncated = scratch("truncated.bin");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = check(&truncated, b"hunter2");
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("truncated"), "{stderr}");
    assert!(!stderr.contains("hunter2"));

    let unsorted = scratch("unsorted.txt");
    std::fs::write(
        &unsorted,
        format!(
            "{}:1\n{}:1\n",
            PasswordSha1::of("password").hex(),
            PasswordSha1::of("P@ssw0rd").hex()
        ),
    )
    .unwrap();
    let out = tollgate(
        &[
            "pwned",
            "build",
            "--input",
            unsorted.to_str().unwrap(),
            "--out",
            scratch("never.bin").to_str().unwrap(),
        ],
        b"",
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("line 2: input is not sorted"));
    assert!(!scratch("never.bin").exists());
}
