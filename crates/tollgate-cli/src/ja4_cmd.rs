//! `tollgate ja4 --hex HEX [--quic]`: JA4, JA4_r and JA3 of one ClientHello
//! given as hex (TLS records or the bare handshake message), as JSON.

use std::io::Write;

use serde_json::json;
use tollgate::fingerprint::{ClientHello, Transport};

use crate::error::CliError;

pub(crate) fn run(hex: &str, quic: bool) -> Result<(), CliError> {
    let bytes = unhex(hex)?;
    let hello = ClientHello::parse(&bytes).map_err(|e| CliError::Input(format!("--hex: {e}")))?;
    let transport = if quic { Transport::Quic } else { Transport::Tcp };
    let alpn: Vec<String> = hello
        .alpn()
        .iter()
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let out = json!({
        "ja4": hello.ja4(transport).as_str(),
        "ja4_r": hello.ja4_r(transport),
        "ja3": hello.ja3_string(),
        "ja3_hash": hello.ja3().to_string(),
        "sni": hello.sni(),
        "alpn": alpn,
        "transport": if quic { "quic" } else { "tcp" },
    });
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &out).map_err(std::io::Error::from)?;
    writeln!(stdout)?;
    Ok(())
}

/// Hex digits in pairs; whitespace and `:` between them are ignored, so
/// Wireshark's "copy as hex stream" and colon-separated dumps both work.
fn unhex(text: &str) -> Result<Vec<u8>, CliError> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace() && *b != b':')
        .map(|b| match b {
            b'0'..=b'9' => Ok(b - b'0'),
            b'a'..=b'f' => Ok(b - b'a' + 10),
            b'A'..=b'F' => Ok(b - b'A' + 10),
            _ => Err(CliError::Input("--hex: expected hex digits".to_owned())),
        })
        .collect::<Result<_, _>>()?;
    let pairs = digits.chunks_exact(2);
    if !pairs.remainder().is_empty() {
        return Err(CliError::Input("--hex: odd number of hex digits".to_owned()));
    }
    Ok(pairs
        .filter_map(|pair| match pair {
            [hi, lo] => Some(hi << 4 | lo),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_with_separators() {
        assert_eq!(unhex("16 03:01\n0A").unwrap(), vec![0x16, 0x03, 0x01, 0x0a]);
        assert!(unhex("160").is_err());
        assert!(unhex("zz").is_err());
    }
}
