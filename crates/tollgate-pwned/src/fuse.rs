//! Binary fuse filter lookups over borrowed fingerprint bytes.
//!
//! xorf's own borrowed type (`BinaryFuse16Ref`) panics on a fingerprint
//! slice that is not 2-byte aligned and indexes without bounds checks, so a
//! corrupt file could crash the process. This module repeats xorf 0.13's
//! lookup arithmetic (murmur3 mix, `hash_of_hash`, xor of three
//! fingerprints) over a byte slice read with `get`, little-endian for
//! 16-bit fingerprints, at any alignment. A proptest checks it against
//! xorf's `contains` for both widths.

/// The width of the fingerprints: 8 bits (≈9 bits per key, ≈0.39 % false
/// positives) or 16 bits (≈18 bits per key, ≈0.0015 %).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FingerprintBits {
    /// One byte per slot.
    Eight,
    /// Two bytes per slot, little-endian.
    Sixteen,
}

impl FingerprintBits {
    /// 8 or 16.
    #[must_use]
    pub const fn bits(self) -> u8 {
        match self {
            Self::Eight => 8,
            Self::Sixteen => 16,
        }
    }

    /// Bytes per fingerprint slot.
    #[must_use]
    pub const fn bytes(self) -> usize {
        match self {
            Self::Eight => 1,
            Self::Sixteen => 2,
        }
    }

    /// The width for 8 or 16.
    #[must_use]
    pub const fn from_bits(bits: u8) -> Option<Self> {
        match bits {
            8 => Some(Self::Eight),
            16 => Some(Self::Sixteen),
            _ => None,
        }
    }
}

/// What a lookup needs besides the fingerprints (xorf's `Descriptor`; the
/// mask is always `segment_length - 1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Descriptor {
    pub(crate) seed: u64,
    pub(crate) segment_length: u32,
    pub(crate) segment_count_length: u32,
}

impl Descriptor {
    /// Number of fingerprint slots the three probes can reach: the segments
    /// `h0` falls in plus the two that follow. A stored shard must have at
    /// least this many (xorf sometimes keeps a larger array when it retries
    /// with a smaller segment length).
    pub(crate) fn slots(&self) -> Option<usize> {
        let extra = self.segment_length.checked_mul(2)?;
        usize::try_from(self.segment_count_length.checked_add(extra)?).ok()
    }

    /// Whether xorf could have produced this: a power-of-two segment length
    /// and a whole number of segments.
    pub(crate) fn is_well_formed(&self) -> bool {
        self.segment_length.is_power_of_two()
            && self.segment_count_length.checked_rem(self.segment_length) == Some(0)
            && self.slots().is_some()
    }
}

const fn mix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^= k >> 33;
    k
}

/// The three slot indexes and the fingerprint of `key`.
fn probes(key: u64, d: &Descriptor) -> ([usize; 3], u64) {
    let hash = mix64(key.wrapping_add(d.seed));
    let mask = d.segment_length.wrapping_sub(1);
    // The high 64 bits of a 64x32-bit product always fit in 32 bits.
    let h0 = ((u128::from(hash) * u128::from(d.segment_count_length)) >> 64) as u32;
    let h1 = h0.wrapping_add(d.segment_length) ^ ((hash >> 18) as u32 & mask);
    let h2 = h0.wrapping_add(d.segment_length).wrapping_add(d.segment_length) ^ (hash as u32 & mask);
    let fingerprint = hash ^ (hash >> 32);
    ([h0 as usize, h1 as usize, h2 as usize], fingerprint)
}

/// Whether the filter (descriptor + fingerprint bytes) may contain `key`.
/// Slots out of range read as 0; [`Descriptor::slots`] is checked at load
/// time, so that only happens with a descriptor that failed validation.
pub(crate) fn contains(key: u64, d: &Descriptor, width: FingerprintBits, fingerprints: &[u8]) -> bool {
    let (slots, fingerprint) = probes(key, d);
    match width {
        FingerprintBits::Eight => {
            let xor = slots.iter().fold(fingerprint as u8, |acc, &i| {
                acc ^ fingerprints.get(i).copied().unwrap_or(0)
            });
            xor == 0
        }
        FingerprintBits::Sixteen => {
            let xor = slots.iter().fold(fingerprint as u16, |acc, &i| {
                let at = i.checked_mul(2).and_then(|s| fingerprints.get(s..s.checked_add(2)?));
                acc ^ at.map_or(0, |b| b.iter().rev().fold(0u16, |v, &x| v << 8 | u16::from(x)))
            });
            xor == 0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use xorf::{BinaryFuse8, BinaryFuse16, Filter};

    fn desc(d: &xorf::Descriptor) -> Descriptor {
        assert_eq!(d.segment_length_mask, d.segment_length - 1);
        Descriptor {
            seed: d.seed,
            segment_length: d.segment_length,
            segment_count_length: d.segment_count_length,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn same_answers_as_xorf(keys in proptest::collection::hash_set(any::<u64>(), 0..3000),
                                probes in proptest::collection::vec(any::<u64>(), 0..3000)) {
            let keys: Vec<u64> = keys.into_iter().collect();
            let f8 = BinaryFuse8::try_from(&keys).unwrap();
            let d8 = desc(&f8.descriptor);
            prop_assert!(d8.is_well_formed());
            prop_assert!(d8.slots().unwrap() <= f8.fingerprints.len());
            let f16 = BinaryFuse16::try_from(&keys).unwrap();
            let d16 = desc(&f16.descriptor);
            prop_assert!(d16.slots().unwrap() <= f16.fingerprints.len());
            let bytes16: Vec<u8> = f16.fingerprints.iter().flat_map(|f| f.to_le_bytes()).collect();
            // Unaligned on purpose: the file gives no alignment guarantee.
            let mut shifted = vec![0u8];
            shifted.extend_from_slice(&bytes16);
            for key in keys.iter().chain(&probes) {
                // Any descriptor over any slice: an answer, never a panic.
                let _ = contains(*key, &Descriptor { seed: *key, segment_length: 1u32.checked_shl((key % 33) as u32).unwrap_or(0), segment_count_length: (key >> 32) as u32 }, FingerprintBits::Sixteen, &shifted[..3]);
                prop_assert_eq!(contains(*key, &d8, FingerprintBits::Eight, &f8.fingerprints), f8.contains(key));
                prop_assert_eq!(contains(*key, &d16, FingerprintBits::Sixteen, &shifted[1..]), f16.contains(key));
            }
        }
    }
}
