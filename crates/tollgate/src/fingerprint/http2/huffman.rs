//! HPACK Huffman decoding (RFC 7541 §5.2 and Appendix B).
//!
//! The code is canonical: codes of one length are consecutive and sorted by
//! symbol, and each length continues from the previous one shifted left. So
//! the decoder needs only the code lengths, turned at compile time into the
//! first code and code range of each length and the symbols sorted by
//! (length, symbol); it then decodes a symbol per step, not a bit per step. A unit test
//! checks that this canonical assignment reproduces every code of the RFC
//! table, so a typo in the table cannot pass unnoticed.

/// Why a Huffman-coded string was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HuffmanError {
    /// The EOS symbol was decoded, or the padding was longer than 7 bits or
    /// not all ones (RFC 7541 §5.2).
    BadPadding,
}

/// The longest code, in bits (RFC 7541 Appendix B).
const MAX_LEN: usize = 30;

/// The end-of-string symbol, which must never be decoded.
const EOS: u16 = 256;

/// (code, length in bits) for symbols 0..=255 and EOS, RFC 7541 Appendix B.
#[rustfmt::skip]
const TABLE: [(u32, u8); 257] = [
    (0x1ff8, 13), (0x7fffd8, 23), (0xfffffe2, 28), (0xfffffe3, 28), (0xfffffe4, 28), (0xfffffe5, 28),
    (0xfffffe6, 28), (0xfffffe7, 28), (0xfffffe8, 28), (0xffffea, 24), (0x3ffffffc, 30), (0xfffffe9, 28),
    (0xfffffea, 28), (0x3ffffffd, 30), (0xfffffeb, 28), (0xfffffec, 28), (0xfffffed, 28), (0xfffffee, 28),
    (0xfffffef, 28), (0xffffff0, 28), (0xffffff1, 28), (0xffffff2, 28), (0x3ffffffe, 30), (0xffffff3, 28),
    (0xffffff4, 28), (0xffffff5, 28), (0xffffff6, 28), (0xffffff7, 28), (0xffffff8, 28), (0xffffff9, 28),
    (0xffffffa, 28), (0xffffffb, 28), (0x14, 6), (0x3f8, 10), (0x3f9, 10), (0xffa, 12),
    (0x1ff9, 13), (0x15, 6), (0xf8, 8), (0x7fa, 11), (0x3fa, 10), (0x3fb, 10),
    (0xf9, 8), (0x7fb, 11), (0xfa, 8), (0x16, 6), (0x17, 6), (0x18, 6),
    (0x0, 5), (0x1, 5), (0x2, 5), (0x19, 6), (0x1a, 6), (0x1b, 6),
    (0x1c, 6), (0x1d, 6), (0x1e, 6), (0x1f, 6), (0x5c, 7), (0xfb, 8),
    (0x7ffc, 15), (0x20, 6), (0xffb, 12), (0x3fc, 10), (0x1ffa, 13), (0x21, 6),
    (0x5d, 7), (0x5e, 7), (0x5f, 7), (0x60, 7), (0x61, 7), (0x62, 7),
    (0x63, 7), (0x64, 7), (0x65, 7), (0x66, 7), (0x67, 7), (0x68, 7),
    (0x69, 7), (0x6a, 7), (0x6b, 7), (0x6c, 7), (0x6d, 7), (0x6e, 7),
    (0x6f, 7), (0x70, 7), (0x71, 7), (0x72, 7), (0xfc, 8), (0x73, 7),
    (0xfd, 8), (0x1ffb, 13), (0x7fff0, 19), (0x1ffc, 13), (0x3ffc, 14), (0x22, 6),
    (0x7ffd, 15), (0x3, 5), (0x23, 6), (0x4, 5), (0x24, 6), (0x5, 5),
    (0x25, 6), (0x26, 6), (0x27, 6), (0x6, 5), (0x74, 7), (0x75, 7),
    (0x28, 6), (0x29, 6), (0x2a, 6), (0x7, 5), (0x2b, 6), (0x76, 7),
    (0x2c, 6), (0x8, 5), (0x9, 5), (0x2d, 6), (0x77, 7), (0x78, 7),
    (0x79, 7), (0x7a, 7), (0x7b, 7), (0x7ffe, 15), (0x7fc, 11), (0x3ffd, 14),
    (0x1ffd, 13), (0xffffffc, 28), (0xfffe6, 20), (0x3fffd2, 22), (0xfffe7, 20), (0xfffe8, 20),
    (0x3fffd3, 22), (0x3fffd4, 22), (0x3fffd5, 22), (0x7fffd9, 23), (0x3fffd6, 22), (0x7fffda, 23),
    (0x7fffdb, 23), (0x7fffdc, 23), (0x7fffdd, 23), (0x7fffde, 23), (0xffffeb, 24), (0x7fffdf, 23),
    (0xffffec, 24), (0xffffed, 24), (0x3fffd7, 22), (0x7fffe0, 23), (0xffffee, 24), (0x7fffe1, 23),
    (0x7fffe2, 23), (0x7fffe3, 23), (0x7fffe4, 23), (0x1fffdc, 21), (0x3fffd8, 22), (0x7fffe5, 23),
    (0x3fffd9, 22), (0x7fffe6, 23), (0x7fffe7, 23), (0xffffef, 24), (0x3fffda, 22), (0x1fffdd, 21),
    (0xfffe9, 20), (0x3fffdb, 22), (0x3fffdc, 22), (0x7fffe8, 23), (0x7fffe9, 23), (0x1fffde, 21),
    (0x7fffea, 23), (0x3fffdd, 22), (0x3fffde, 22), (0xfffff0, 24), (0x1fffdf, 21), (0x3fffdf, 22),
    (0x7fffeb, 23), (0x7fffec, 23), (0x1fffe0, 21), (0x1fffe1, 21), (0x3fffe0, 22), (0x1fffe2, 21),
    (0x7fffed, 23), (0x3fffe1, 22), (0x7fffee, 23), (0x7fffef, 23), (0xfffea, 20), (0x3fffe2, 22),
    (0x3fffe3, 22), (0x3fffe4, 22), (0x7ffff0, 23), (0x3fffe5, 22), (0x3fffe6, 22), (0x7ffff1, 23),
    (0x3ffffe0, 26), (0x3ffffe1, 26), (0xfffeb, 20), (0x7fff1, 19), (0x3fffe7, 22), (0x7ffff2, 23),
    (0x3fffe8, 22), (0x1ffffec, 25), (0x3ffffe2, 26), (0x3ffffe3, 26), (0x3ffffe4, 26), (0x7ffffde, 27),
    (0x7ffffdf, 27), (0x3ffffe5, 26), (0xfffff1, 24), (0x1ffffed, 25), (0x7fff2, 19), (0x1fffe3, 21),
    (0x3ffffe6, 26), (0x7ffffe0, 27), (0x7ffffe1, 27), (0x3ffffe7, 26), (0x7ffffe2, 27), (0xfffff2, 24),
    (0x1fffe4, 21), (0x1fffe5, 21), (0x3ffffe8, 26), (0x3ffffe9, 26), (0xffffffd, 28), (0x7ffffe3, 27),
    (0x7ffffe4, 27), (0x7ffffe5, 27), (0xfffec, 20), (0xfffff3, 24), (0xfffed, 20), (0x1fffe6, 21),
    (0x3fffe9, 22), (0x1fffe7, 21), (0x1fffe8, 21), (0x7ffff3, 23), (0x3fffea, 22), (0x3fffeb, 22),
    (0x1ffffee, 25), (0x1ffffef, 25), (0xfffff4, 24), (0xfffff5, 24), (0x3ffffea, 26), (0x7ffff4, 23),
    (0x3ffffeb, 26), (0x7ffffe6, 27), (0x3ffffec, 26), (0x3ffffed, 26), (0x7ffffe7, 27), (0x7ffffe8, 27),
    (0x7ffffe9, 27), (0x7ffffea, 27), (0x7ffffeb, 27), (0xffffffe, 28), (0x7ffffec, 27), (0x7ffffed, 27),
    (0x7ffffee, 27), (0x7ffffef, 27), (0x7fffff0, 27), (0x3ffffee, 26), (0x3fffffff, 30),
];

/// How many codes have each length (index = length in bits).
const COUNTS: [u16; MAX_LEN + 1] = counts();

/// The symbols sorted by (code length, symbol): canonical code order.
const SORTED: [u16; 257] = sorted();

/// Per code length: the first code, its position in SORTED, and the end of
/// the length's codes left-justified in a 32-bit window (exclusive).
const CANONICAL: [(u32, u16, u64); MAX_LEN + 1] = canonical();

// Evaluated at compile time only: an index out of range fails the build, so
// the indexing below cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const fn counts() -> [u16; MAX_LEN + 1] {
    let mut counts = [0u16; MAX_LEN + 1];
    let mut symbol = 0;
    while symbol < TABLE.len() {
        counts[TABLE[symbol].1 as usize] += 1;
        symbol += 1;
    }
    counts
}

#[allow(clippy::indexing_slicing)]
const fn sorted() -> [u16; 257] {
    let mut out = [0u16; 257];
    let mut next = 0;
    let mut len = 1;
    while len <= MAX_LEN {
        let mut symbol = 0;
        while symbol < TABLE.len() {
            if TABLE[symbol].1 as usize == len {
                out[next] = symbol as u16;
                next += 1;
            }
            symbol += 1;
        }
        len += 1;
    }
    out
}

#[allow(clippy::indexing_slicing)]
const fn canonical() -> [(u32, u16, u64); MAX_LEN + 1] {
    let mut out = [(0u32, 0u16, 0u64); MAX_LEN + 1];
    let (mut code, mut index) = (0u32, 0u16);
    let mut len = 1;
    while len <= MAX_LEN {
        let count = COUNTS[len];
        let end = code + count as u32;
        out[len] = (code, index, (end as u64) << (32 - len));
        code = end << 1;
        index += count;
        len += 1;
    }
    out
}

/// Decodes `input`, handing each decoded octet to `out`.
pub(super) fn decode(input: &[u8], mut out: impl FnMut(u8)) -> Result<(), HuffmanError> {
    // `acc` holds `nbits` unread bits, right-aligned; one symbol is decoded
    // per step by finding the length whose left-justified range holds the
    // next 32 bits.
    let mut acc: u64 = 0;
    let mut nbits: u32 = 0;
    let mut bytes = input.iter();
    loop {
        while nbits <= 56 {
            let Some(&b) = bytes.next() else { break };
            acc = (acc << 8) | u64::from(b);
            nbits += 8;
        }
        if nbits == 0 {
            return Ok(());
        }
        // Past the end the window is padded with ones, a prefix of EOS.
        let window = if nbits >= 32 {
            (acc >> (nbits - 32)) as u32
        } else {
            ((acc << (32 - nbits)) as u32) | (u32::MAX >> nbits)
        };
        let found = CANONICAL
            .iter()
            .enumerate()
            .find(|(_, (_, _, limit))| u64::from(window) < *limit);
        let Some((len, &(first, index, _))) = found else {
            return Err(HuffmanError::BadPadding);
        };
        let len = len as u32;
        if len > nbits {
            // Only padding is left: at most 7 bits, all ones.
            let ones = (1u64 << nbits) - 1;
            return if nbits <= 7 && acc & ones == ones {
                Ok(())
            } else {
                Err(HuffmanError::BadPadding)
            };
        }
        let offset = (window >> (32 - len)).wrapping_sub(first) as usize;
        let symbol = SORTED
            .get(usize::from(index).saturating_add(offset))
            .copied()
            .unwrap_or(EOS);
        if symbol == EOS {
            return Err(HuffmanError::BadPadding);
        }
        out(symbol as u8);
        nbits -= len;
        acc &= (1u64 << nbits) - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Encodes with the RFC table, to round-trip through the decoder.
    fn encode(input: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let (mut acc, mut bits) = (0u64, 0u32);
        for &b in input {
            let (code, len) = TABLE[usize::from(b)];
            acc = (acc << len) | u64::from(code);
            bits += u32::from(len);
            while bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        if bits > 0 {
            let pad = 8 - bits;
            out.push(((acc << pad) | ((1 << pad) - 1)) as u8);
        }
        out
    }

    fn decoded(input: &[u8]) -> Result<Vec<u8>, HuffmanError> {
        let mut out = Vec::new();
        decode(input, |b| out.push(b)).map(|()| out)
    }

    #[test]
    fn canonical_assignment_reproduces_the_rfc_codes() {
        let mut code: u32 = 0;
        let mut prev_len = 0u8;
        for (i, &symbol) in SORTED.iter().enumerate() {
            let (rfc_code, len) = TABLE[usize::from(symbol)];
            if i > 0 {
                code = (code + 1) << (len - prev_len);
            }
            prev_len = len;
            assert_eq!(code, rfc_code, "symbol {symbol}");
        }
        assert_eq!(COUNTS.iter().map(|&c| usize::from(c)).sum::<usize>(), 257);
    }

    #[test]
    fn rfc_7541_appendix_c_examples() {
        // C.4.1, C.4.2, C.4.3 and C.6.1 of RFC 7541.
        let cases: [(&str, &[u8]); 4] = [
            ("f1e3c2e5f23a6ba0ab90f4ff", b"www.example.com"),
            ("a8eb10649cbf", b"no-cache"),
            ("25a849e95bb8e8b4bf", b"custom-value"),
            ("6402", b"302"),
        ];
        for (hex, text) in cases {
            let bytes: Vec<u8> = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
                .collect();
            assert_eq!(decoded(&bytes).unwrap(), text);
            assert_eq!(encode(text), bytes);
        }
    }

    #[test]
    fn every_octet_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(decoded(&encode(&all)).unwrap(), all);
        assert_eq!(decoded(&[]).unwrap(), b"");
    }

    /// Bit-at-a-time decoding straight from the RFC table, as a reference.
    fn reference(input: &[u8]) -> Result<Vec<u8>, HuffmanError> {
        let codes: std::collections::HashMap<(u32, u8), usize> = TABLE
            .iter()
            .enumerate()
            .map(|(sym, &(code, len))| ((code, len), sym))
            .collect();
        let (mut out, mut code, mut len) = (Vec::new(), 0u32, 0u8);
        for bit in input.iter().flat_map(|b| (0..8).rev().map(move |i| (b >> i) & 1)) {
            code = (code << 1) | u32::from(bit);
            len += 1;
            match codes.get(&(code, len)) {
                Some(256) => return Err(HuffmanError::BadPadding),
                Some(&sym) => {
                    out.push(sym as u8);
                    (code, len) = (0, 0);
                }
                None => {}
            }
        }
        if len > 7 || code != (1 << len) - 1 {
            return Err(HuffmanError::BadPadding);
        }
        Ok(out)
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_the_reference(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            proptest::prop_assert_eq!(decoded(&bytes), reference(&bytes));
        }

        #[test]
        fn agrees_on_valid_strings(text in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40)) {
            let bytes = encode(&text);
            proptest::prop_assert_eq!(decoded(&bytes), Ok(text));
        }
    }

    #[test]
    fn rejects_bad_padding_and_eos() {
        // '0' is 00000 (5 bits): padding with zeros is wrong.
        assert_eq!(decoded(&[0b0000_0000]), Err(HuffmanError::BadPadding));
        // 8 bits of padding: a whole byte of ones after a complete symbol.
        assert_eq!(decoded(&[0b0000_0111, 0xff]), Err(HuffmanError::BadPadding));
        // EOS spelled out (30 ones) plus padding.
        assert_eq!(decoded(&[0xff, 0xff, 0xff, 0xff]), Err(HuffmanError::BadPadding));
        assert_eq!(decoded(&[0b0000_0111]).unwrap(), b"0");
    }
}
