#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::*;

const SECRET: &[u8; 32] = b"an example secret, 32 bytes long";
const AT: Timestamp = Timestamp::from_unix_millis(1_700_000_000_000);

fn config() -> PowConfig {
    PowConfig::new(PowSecret::new(*SECRET).unwrap())
}

fn solve(c: &PowChallenge) -> PowSolution {
    let number = (0..=c.maxnumber)
        .find(|n| hash_hex(&format!("{}{n}", c.salt)) == c.challenge)
        .unwrap();
    PowSolution::from_challenge(c, number)
}

/// Made by altcha-lib 2.3.1 (`createChallenge({ hmacKey, salt, number:
/// 12345, maxnumber: 50000 })` with the secret above, node 20), and its
/// `verifySolution` accepted the payload: tollgate must agree byte for byte.
#[test]
fn agrees_with_altcha_lib() {
    let salt = "070707070707070707070707?expires=1700000300&event=login&";
    let challenge = "4bcf8444f1bdc21e62222c3b685b80229353a266bfde4d1169fd781d9877fadb";
    let signature = "dcdfedaecfb9f9f13994ac1de12924772dab27950d83ecd440a8c2f57461203b";
    assert_eq!(hash_hex(&format!("{salt}12345")), challenge);
    assert_eq!(config().sign(challenge), signature);
    let payload = br#"{"algorithm":"SHA-256","challenge":"4bcf8444f1bdc21e62222c3b685b80229353a266bfde4d1169fd781d9877fadb","number":12345,"salt":"070707070707070707070707?expires=1700000300&event=login&","signature":"dcdfedaecfb9f9f13994ac1de12924772dab27950d83ecd440a8c2f57461203b","took":5}"#;
    let solution = PowSolution::from_json(payload).unwrap();
    let claim = config().verify(&solution, EventType::Login, AT).unwrap();
    assert_eq!(claim.expires, Timestamp::from_unix_millis(1_700_000_300_000));
    // Issued with the same nonce, tollgate's salt is that one.
    assert_eq!(config().issue(EventType::Login, AT, 50_000, [7; 12]).salt, salt);
}

#[test]
fn issued_challenges_solve_and_verify() {
    let c = config().issue(EventType::Login, AT, 1_000, [1; 12]);
    assert_eq!(c.algorithm, "SHA-256");
    assert_eq!(c.maxnumber, 1_000);
    assert_eq!(c.challenge.len(), 64);
    assert_eq!(c.signature.len(), 64);
    let s = solve(&c);
    assert!((1..=1_000).contains(&s.number));
    assert!(config().verify(&s, EventType::Login, AT).is_ok());
    // The secret number depends on the salt: another nonce, another number
    // (for these two nonces).
    let other = solve(&config().issue(EventType::Login, AT, 1_000, [2; 12]));
    assert_ne!(other.number, s.number);
}

#[test]
fn tampering_is_refused() {
    let c = config().issue(EventType::Login, AT, 500, [3; 12]);
    let good = solve(&c);
    let check = |s: &PowSolution| config().verify(s, EventType::Login, AT);

    let mut s = good.clone();
    s.number += 1;
    assert_eq!(check(&s), Err(PowRefusal::Unsolved));

    let mut s = good.clone();
    s.signature
        .replace_range(0..1, if s.signature.starts_with('0') { "1" } else { "0" });
    assert_eq!(check(&s), Err(PowRefusal::Signature));
    s.signature = "zz".repeat(32);
    assert_eq!(check(&s), Err(PowRefusal::Signature));
    s.signature.clear();
    assert_eq!(check(&s), Err(PowRefusal::Signature));

    // A later expiry in the salt: the hash no longer matches the signed challenge.
    let mut s = good.clone();
    s.salt = s.salt.replace("expires=1700000300", "expires=1900000300");
    assert_eq!(check(&s), Err(PowRefusal::Unsolved));

    // A challenge of one's own making is not signed.
    let mut s = good.clone();
    s.challenge = hash_hex(&format!("{}{}", s.salt, s.number + 1));
    assert_eq!(check(&s), Err(PowRefusal::Signature));

    let mut s = good.clone();
    s.algorithm = "SHA-1".into();
    assert_eq!(check(&s), Err(PowRefusal::Algorithm));

    // Signed under another secret.
    let other = PowConfig::new(PowSecret::new(b"another secret of 32 bytes, too.".to_vec()).unwrap());
    assert_eq!(other.verify(&good, EventType::Login, AT), Err(PowRefusal::Signature));
    assert!(check(&good).is_ok());
}

#[test]
fn expiry_and_event_type_are_enforced() {
    let cfg = config().with_ttl(Duration::from_secs(60));
    let s = solve(&cfg.issue(EventType::Signup, AT, 300, [4; 12]));
    let claim = cfg.verify(&s, EventType::Signup, AT).unwrap();
    assert_eq!(claim.expires, AT.saturating_add(Duration::from_secs(60)));
    let last = AT.saturating_add(Duration::from_millis(59_999));
    assert_eq!(cfg.verify(&s, EventType::Signup, last), Ok(claim));
    let expiry = AT.saturating_add(Duration::from_secs(60));
    assert_eq!(cfg.verify(&s, EventType::Signup, expiry), Err(PowRefusal::Expired));
    assert_eq!(cfg.verify(&s, EventType::Login, AT), Err(PowRefusal::WrongEvent));
}

#[test]
fn a_salt_without_parameters_is_refused() {
    // Signed by us but not issued by us (as a leaked signing oracle would
    // make): no expiry, no event type.
    let salt = "abcdef&";
    let challenge = hash_hex(&format!("{salt}7"));
    let s = PowSolution {
        algorithm: ALGORITHM.into(),
        signature: config().sign(&challenge),
        challenge,
        number: 7,
        salt: salt.into(),
    };
    assert_eq!(config().verify(&s, EventType::Login, AT), Err(PowRefusal::Salt));
}

#[test]
fn difficulty_scales_with_the_score_within_bounds() {
    let cfg = config().with_difficulty(10_000, 110_000).unwrap();
    assert_eq!(
        config().max_number(
            0,
            Threshold {
                challenge: 50,
                deny: 90
            }
        ),
        DEFAULT_MIN_NUMBER
    );
    let t = Threshold {
        challenge: 50,
        deny: 90,
    };
    assert_eq!(cfg.max_number(10, t), 10_000);
    assert_eq!(cfg.max_number(50, t), 10_000);
    assert_eq!(cfg.max_number(70, t), 60_000);
    assert_eq!(cfg.max_number(90, t), 110_000);
    assert_eq!(cfg.max_number(100, t), 110_000);
    let flat = Threshold {
        challenge: 60,
        deny: 60,
    };
    assert_eq!(cfg.max_number(60, flat), 110_000);
    assert!(config().with_difficulty(0, 10).is_err());
    assert!(config().with_difficulty(10, 9).is_err());
    assert!(config().with_difficulty(1, MAX_NUMBER_CAP + 1).is_err());
    assert_eq!(
        config().issue(EventType::Login, AT, u64::MAX, [0; 12]).maxnumber,
        MAX_NUMBER_CAP
    );
}

#[test]
fn short_secrets_are_refused_and_never_printed() {
    assert_eq!(PowSecret::new(b"short".to_vec()), Err(PowError::WeakSecret { len: 5 }));
    let printed = format!("{:?}", config());
    assert!(!printed.contains("example"), "{printed}");
}

#[test]
fn payload_errors_are_typed() {
    assert_eq!(PowSolution::from_json(b"{"), Err(PowError::Payload));
    assert_eq!(
        PowSolution::from_json(br#"{"algorithm":"SHA-256"}"#),
        Err(PowError::Payload)
    );
    assert_eq!(
        PowSolution::from_json(br#"{"algorithm":"SHA-256","challenge":"","number":-1,"salt":"","signature":""}"#),
        Err(PowError::Payload)
    );
}

#[test]
fn nonces_do_not_repeat() {
    let a = fresh_nonce(AT);
    let b = fresh_nonce(AT);
    assert_ne!(a, b);
}

proptest::proptest! {
    #[test]
    fn verify_never_panics(algorithm in ".{0,12}", challenge in "[0-9a-f]{0,70}", number in proptest::num::u64::ANY,
        salt in ".{0,80}", signature in "[0-9a-fA-F]{0,70}") {
        let s = PowSolution { algorithm, challenge, number, salt, signature };
        proptest::prop_assert!(config().verify(&s, EventType::Login, AT).is_err());
    }
}
