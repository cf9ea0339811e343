//! What the example services log about people: users as their keyed hash,
//! phone numbers and email addresses masked, never a code.

use tollgate::observe::UserHash;
use tollgate::{Channel, E164, Engine, UserId};

/// A username as the example services log it: tollgate's keyed hash of it,
/// the hash [`Observation::user`](tollgate::observe::Observation::user)
/// carries, never the name itself.
pub fn logged_user<S>(engine: &Engine<S>, username: &str) -> UserHash {
    engine.user_hash(&UserId::from(username))
}

/// The log line of a code "sent": the user as its keyed hash, the number
/// masked (as [`E164`] displays it), never the code.
pub fn log_code_sent(user: UserHash, phone: &E164, channel: Channel) {
    tracing::info!(
        %user,
        phone = %phone,
        channel = channel.as_str(),
        "demo: one-time code \"sent\" (nothing is really sent)"
    );
}

/// The log line of an email change: the user as its keyed hash, the
/// address masked.
pub fn log_email_changed(user: UserHash, email: &str) {
    tracing::info!(%user, email = %mask_email(email), "demo: email changed");
}

/// An email address for logs: first character and domain kept (`a***@example.com`).
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::io;
    use std::sync::{Arc, Mutex};

    use super::*;
    use crate::demo::DEMO_OTP_CODE;
    use tollgate::policy::Policy;

    #[test]
    fn masks() {
        // Phone numbers log through E164's own Display, which masks them.
        let phone: E164 = "+447700900123".parse().unwrap();
        assert_eq!(phone.to_string(), "+44********23");
        assert_eq!(mask_email("alice@example.com"), "a***@example.com");
    }

    /// A log sink the test reads back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn log_lines_name_users_by_their_keyed_hash_only() {
        let engine = Engine::new(Policy::default()).unwrap();
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .without_time()
            .finish();
        let user = logged_user(&engine, "alice");
        let phone: E164 = "+447700900123".parse().unwrap();
        tracing::subscriber::with_default(subscriber, || {
            log_code_sent(user, &phone, Channel::Sms);
            log_email_changed(user, "alice@example.com");
        });
        let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(user, engine.user_hash(&UserId::from("alice")));
        assert_eq!(logs.matches(&format!("user={user}")).count(), 2, "{logs}");
        assert!(logs.contains("phone=+44********23"), "{logs}");
        assert!(logs.contains("email=a***@example.com"), "{logs}");
        for clear in ["alice", "7700900123", DEMO_OTP_CODE] {
            assert!(!logs.contains(clear), "{clear} in {logs}");
        }
    }
}
