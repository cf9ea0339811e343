#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic)]
//! The example services' flags: defaults, repeatable flags, files, and
//! errors that name the bad input.

use std::path::PathBuf;

use clap::{CommandFactory, Parser};
use tollgate::policy::Policy;
use tollgate_examples::demo::{Args, build_engine_on, load};
use tollgate_examples::store::{describe, redis_engine};

fn args(list: &[&str]) -> Args {
    Args::try_parse_from(std::iter::once("axum_login").chain(list.iter().copied())).unwrap()
}

fn demo_policy() -> String {
    format!("{}/demo-policy.toml", env!("CARGO_MANIFEST_DIR"))
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("tollgate-examples-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

#[test]
fn defaults_are_the_demo_setup() {
    let a = args(&[]);
    assert_eq!(a.listen.to_string(), "127.0.0.1:3000");
    assert!(a.policy.is_none() && a.mmdb.is_empty() && a.trust_proxy.is_empty() && a.users.is_none());
    let (engine, users) = load(&a).unwrap();
    assert!(engine.policy().network.trusted_proxies.proxies().is_empty());
    assert!(users.check("alice", "correct-horse"));
    assert!(users.check("bob", "battery-staple"));
}

#[test]
fn repeatable_flags_and_files() {
    let users = temp_file("users.json", r#"{"dave": "open-sesame"}"#);
    let a = args(&[
        "--listen",
        "127.0.0.1:0",
        "--policy",
        &demo_policy(),
        "--trust-proxy",
        "10.0.0.0/8",
        "--trust-proxy",
        "127.0.0.1/32",
        "--users",
        users.to_str().unwrap(),
    ]);
    assert_eq!(a.trust_proxy.len(), 2);
    let (engine, users_loaded) = load(&a).unwrap();
    let trusted = &engine.policy().network.trusted_proxies;
    assert!(trusted.is_trusted("10.1.2.3".parse().unwrap()));
    assert!(trusted.is_trusted("127.0.0.1".parse().unwrap()));
    assert!(!trusted.is_trusted("192.0.2.1".parse().unwrap()));
    assert!(engine.policy().zones.iter().any(|z| z.name == "demo-blocked"));
    assert!(users_loaded.check("dave", "open-sesame"));
    assert!(!users_loaded.exists("alice"), "a users file replaces the demo users");
    std::fs::remove_file(users).unwrap();
}

#[test]
fn bad_input_is_an_error_naming_it() {
    let err = load(&args(&["--policy", "/nonexistent/policy.toml"])).unwrap_err();
    assert!(err.to_string().contains("/nonexistent/policy.toml"), "{err}");

    let err = load(&args(&["--trust-proxy", "not-a-cidr"])).unwrap_err();
    assert!(err.to_string().contains("--trust-proxy"), "{err}");

    let not_mmdb = temp_file("bad.mmdb", "not a database");
    let err = load(&args(&["--mmdb", not_mmdb.to_str().unwrap()])).unwrap_err();
    assert!(err.to_string().contains("bad.mmdb"), "{err}");
    std::fs::remove_file(not_mmdb).unwrap();

    let users = temp_file("bad-users.json", "[1, 2]");
    let err = load(&args(&["--users", users.to_str().unwrap()])).unwrap_err();
    assert!(err.to_string().contains("bad-users.json"), "{err}");
    std::fs::remove_file(users).unwrap();

    assert!(Args::try_parse_from(["axum_login", "--listen", "nowhere"]).is_err());
}

#[test]
fn redis_flags_default_to_the_in_process_store() {
    let a = args(&[]);
    assert!(a.redis.is_none() && a.redis_timeout_ms.is_none());
    assert_eq!(a.redis_prefix, "tollgate");
    assert_eq!(describe(&a), "memory (this process only)");
    let key_secret = Args::command()
        .get_arguments()
        .find(|arg| arg.get_id() == "key_secret")
        .unwrap()
        .get_env()
        .map(ToOwned::to_owned);
    assert_eq!(key_secret, Some("TOLLGATE_KEY_SECRET".into()));
}

#[tokio::test]
async fn redis_flags_errors_name_the_flag_and_never_quote_secrets() {
    const HIDDEN: &str = "hunter2-password";
    let url = format!("redis://:{HIDDEN}@127.0.0.1:6379/0");
    if std::env::var_os("TOLLGATE_KEY_SECRET").is_none() {
        let err = redis_engine(&args(&["--redis", &url])).await.unwrap_err();
        assert!(err.to_string().contains("openssl rand -hex 16"), "{err}");
        assert!(!err.to_string().contains(HIDDEN), "{err}");
    }
    let err = redis_engine(&args(&["--redis", &url, "--key-secret", "not-hex-secret"]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--key-secret"), "{err}");
    assert!(!err.to_string().contains("not-hex-secret"), "{err}");

    let secret = "000102030405060708090a0b0c0d0e0f";
    let with = |extra: &[&str]| {
        let mut list = vec!["--redis", url.as_str(), "--key-secret", secret];
        list.extend_from_slice(extra);
        args(&list)
    };
    let err = redis_engine(&with(&["--redis-prefix", "a b"])).await.unwrap_err();
    assert!(err.to_string().contains("--redis-prefix"), "{err}");
    let err = redis_engine(&with(&["--redis-timeout-ms", "0"])).await.unwrap_err();
    assert!(err.to_string().contains("--redis-timeout-ms"), "{err}");
    let err = redis_engine(&args(&["--redis", "mysql://x", "--key-secret", secret]))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--redis"), "{err}");

    // Lazy: no server needed to start; nothing printable shows a secret.
    let a = with(&["--redis-prefix", "svc", "--redis-timeout-ms", "20"]);
    assert!(redis_engine(&a).await.unwrap().is_some());
    for shown in [format!("{a:?}"), describe(&a)] {
        assert!(!shown.contains(HIDDEN) && !shown.contains(secret), "{shown}");
    }
    assert_eq!(describe(&a), "redis redis://***@127.0.0.1:6379/0 prefix svc");
}

#[tokio::test]
async fn the_engine_itself_refuses_redis_without_a_key_secret() {
    // Past the flags' own check, the engine builder refuses a shared store
    // without a secret, and says how to give one.
    let store = tollgate_redis::RedisStore::connect(tollgate_redis::RedisConfig::new("redis://127.0.0.1:1/"))
        .await
        .unwrap();
    let err = build_engine_on(Policy::default(), &[], None, store, None, None).unwrap_err();
    for fix in ["--key-secret", "TOLLGATE_KEY_SECRET", "openssl rand -hex 16"] {
        assert!(err.to_string().contains(fix), "{err}");
    }
}

#[test]
fn a_decision_log_that_cannot_be_opened_names_the_flag_and_the_file() {
    let engine = load(&args(&[])).unwrap().0;
    let a = args(&["--decision-log", "/nonexistent-dir/decisions.jsonl"]);
    let err = tollgate_examples::decision_log::from_args(&a, &engine, None).unwrap_err();
    let err = err.to_string();
    assert!(
        err.starts_with("--decision-log /nonexistent-dir/decisions.jsonl: "),
        "{err}"
    );
    assert!(
        tollgate_examples::decision_log::from_args(&args(&[]), &engine, None)
            .unwrap()
            .is_none(),
        "no flag, no log"
    );
}

#[test]
fn a_pow_secret_turns_on_proof_of_work_and_bad_ones_are_named_not_quoted() {
    for (bad, why) in [
        ("0123456789abcdef0123456789abcdeg", "not hexadecimal"),
        ("0123456789abcdef0", "in pairs"),
        ("0123456789abcdef", "16"),
    ] {
        let Err(err) = load(&args(&["--pow-secret", bad])) else {
            panic!("{bad} was accepted");
        };
        let err = err.to_string();
        assert!(err.starts_with("--pow-secret / TOLLGATE_POW_SECRET: "), "{err}");
        assert!(err.contains(why), "{err}");
        assert!(!err.contains(bad), "the secret is never quoted: {err}");
    }
    assert!(format!("{:?}", args(&["--pow-secret", "00"])).contains("PowSecretArg(..)"));

    // With a secret, a challenge caused by an automation-class reason (a
    // zone) offers a proof of work; without one, it does not.
    let policy = temp_file(
        "pow-policy.toml",
        "[[zones]]\nname = \"lab\"\ncidrs = [\"192.0.2.0/24\"]\naction = \"challenge\"\n",
    );
    let policy = policy.to_str().unwrap();
    let login = tollgate::Event::new(tollgate::EventKind::Login, tollgate::Timestamp::EPOCH)
        .with_ip("192.0.2.7".parse().unwrap());
    let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let (engine, _) = load(&args(&["--policy", policy, "--pow-secret", secret])).unwrap();
    let decision = engine.evaluate(&login);
    assert_eq!(decision.action, tollgate::Action::Challenge);
    assert!(decision.pow.is_some(), "{decision:?}");
    let (plain, _) = load(&args(&["--policy", policy])).unwrap();
    assert!(plain.evaluate(&login).pow.is_none());
}
