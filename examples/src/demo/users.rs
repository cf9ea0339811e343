//! The demo users: [`Users`], usernames and digests of their passwords,
//! checked in the same time whether the user exists or not.

use std::collections::HashMap;
use std::fmt;

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The users known when no `--users` file is given (username, password).
pub const DEMO_USERS: &[(&str, &str)] = &[
    ("alice", "correct-horse"),
    ("bob", "battery-staple"),
    ("carol", "hunter2-but-longer"),
];

/// A password as the demo keeps it: SHA-256 of a fixed domain prefix and
/// the password. Not a password hash (a real service stores Argon2id,
/// scrypt or bcrypt hashes, salted per user, and never sees plaintext
/// passwords at rest); here it gives every comparison the same length and
/// the same work, whatever the password typed.
type PasswordDigest = [u8; 32];

fn password_digest(password: &str) -> PasswordDigest {
    Sha256::new_with_prefix(b"tollgate-demo-password\0")
        .chain_update(password.as_bytes())
        .finalize()
        .into()
}

/// Usernames and digests of their passwords, in memory only (the plaintext
/// passwords are dropped once digested). `Debug` never shows either.
#[derive(Clone)]
pub struct Users {
    digests: HashMap<String, PasswordDigest>,
    /// What an unknown user's password is checked against.
    dummy: PasswordDigest,
}

impl fmt::Debug for Users {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.digests.len())
            .finish_non_exhaustive()
    }
}

impl Users {
    /// The built-in demo users ([`DEMO_USERS`]).
    pub fn demo() -> Self {
        Users::from_pairs(DEMO_USERS.iter().copied())
    }

    /// Users from `(username, password)` pairs.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        Users {
            digests: pairs
                .into_iter()
                .map(|(u, p)| (u.to_owned(), password_digest(p)))
                .collect(),
            dummy: password_digest("dummy password of users that do not exist"),
        }
    }

    /// Users from JSON `{"username": "password", ...}`.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        let passwords: HashMap<String, String> = serde_json::from_str(text)?;
        Ok(Users::from_pairs(
            passwords.iter().map(|(u, p)| (u.as_str(), p.as_str())),
        ))
    }

    /// How many users there are.
    pub fn len(&self) -> usize {
        self.digests.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.digests.is_empty()
    }

    /// Whether `username` exists (for the service's own bookkeeping; never
    /// told to the client).
    pub fn exists(&self, username: &str) -> bool {
        self.digests.contains_key(username)
    }

    /// Whether `password` is `username`'s. An unknown user costs what a
    /// known user's wrong password costs: the password is digested and
    /// compared in constant time with a dummy digest of the same length,
    /// so the time taken does not tell whether the username exists.
    pub fn check(&self, username: &str, password: &str) -> bool {
        let stored = self.digests.get(username);
        let matches = password_matches(stored.unwrap_or(&self.dummy), password);
        stored.is_some() && matches
    }
}

/// The one password comparison, for known and unknown users alike:
/// SHA-256 of the password, compared with `expected` in constant time.
fn password_matches(expected: &PasswordDigest, password: &str) -> bool {
    #[cfg(test)]
    tests::PASSWORD_CHECKS.with(|n| n.set(n.get() + 1));
    expected.ct_eq(&password_digest(password)).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use std::cell::Cell;

    use super::*;

    thread_local! {
        /// How many times [`password_matches`] ran on this thread.
        pub(super) static PASSWORD_CHECKS: Cell<u32> = const { Cell::new(0) };
    }

    /// The password comparisons `f` makes on this thread.
    fn password_checks(f: impl FnOnce() -> bool) -> (bool, u32) {
        let before = PASSWORD_CHECKS.with(Cell::get);
        let result = f();
        (result, PASSWORD_CHECKS.with(Cell::get) - before)
    }

    #[test]
    fn unknown_users_cost_the_same_password_check_as_a_wrong_password() {
        let users = Users::demo();
        assert_eq!(password_checks(|| users.check("alice", "correct-horse")), (true, 1));
        assert_eq!(password_checks(|| users.check("alice", "wrong")), (false, 1));
        assert_eq!(password_checks(|| users.check("mallory", "wrong")), (false, 1));
        assert_eq!(password_checks(|| users.check("mallory", "correct-horse")), (false, 1));
        assert_eq!(
            password_checks(|| users.check("mallory", "dummy password of users that do not exist")),
            (false, 1),
            "the dummy digest lets nobody in"
        );
    }

    #[test]
    fn passwords() {
        let users = Users::demo();
        assert!(users.check("alice", "correct-horse"));
        assert!(!users.check("alice", "correct-hors"));
        assert!(!users.check("alice", ""));
        assert!(!users.check("bob", "correct-horse"));
        assert!(!format!("{users:?}").contains("horse"));
        let from_json = Users::from_json(r#"{"dave": "pw"}"#).unwrap();
        assert!(from_json.check("dave", "pw") && !from_json.check("dave", "PW"));
    }
}
