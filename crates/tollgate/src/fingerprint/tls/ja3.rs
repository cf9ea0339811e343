//! JA3, Salesforce's TLS client fingerprint, from a parsed ClientHello.
//!
//! The JA3 string is `version,ciphers,extensions,groups,point_formats`:
//! decimal values joined by `-`, in the client's order, GREASE removed;
//! `version` is the ClientHello's legacy_version. JA3 is the MD5 of that
//! string. This is what Wireshark computes as `tls.handshake.ja3_full` and
//! `tls.handshake.ja3`.
//!
//! ```
//! use tollgate::fingerprint::ClientHello;
//!
//! let mut hello = vec![0x01, 0x00, 0x00, 0x29, 0x03, 0x03];
//! hello.extend([0u8; 32]);
//! hello.extend([0x00, 0x00, 0x02, 0xc0, 0x2f, 0x01, 0x00]);
//! let hello = ClientHello::parse(&hello)?;
//! assert_eq!(hello.ja3_string(), "771,49199,,,");
//! assert_eq!(hello.ja3().to_string().len(), 32);
//! # Ok::<(), tollgate::fingerprint::ClientHelloError>(())
//! ```

use std::fmt::{Display, Write as _};

use md5::{Digest, Md5};

use super::ClientHello;
use super::grease::is_grease;
use crate::Ja3;

impl ClientHello {
    /// The JA3 string, e.g. `771,4865-4866-4867,0-23-65281,29-23-24,0`.
    pub fn ja3_string(&self) -> String {
        let mut out = String::with_capacity(256);
        let _ = write!(out, "{},", self.legacy_version);
        join(&mut out, self.cipher_suites.iter().filter(|v| !is_grease(**v)));
        out.push(',');
        join(&mut out, self.extensions.iter().filter(|v| !is_grease(**v)));
        out.push(',');
        join(&mut out, self.supported_groups.iter().filter(|v| !is_grease(**v)));
        out.push(',');
        join(&mut out, self.ec_point_formats.iter());
        out
    }

    /// The JA3 fingerprint: the MD5 of [`ja3_string`](Self::ja3_string).
    pub fn ja3(&self) -> Ja3 {
        Ja3::from_digest(Md5::digest(self.ja3_string().as_bytes()).into())
    }
}

fn join<T: Display>(out: &mut String, values: impl Iterator<Item = T>) {
    for (i, v) in values.enumerate() {
        if i > 0 {
            out.push('-');
        }
        let _ = write!(out, "{v}");
    }
}
