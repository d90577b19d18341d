//! SipHash-2-4 (Aumasson and Bernstein, 2012) of one address key: the rate
//! limiter's keyed hash.
//!
//! core's `SipHasher` computes the same function but through the generic
//! byte-stream `Hasher::write` (about 1 KB of code on a Cortex-M3); this one
//! hashes exactly the 17-byte message the limiter needs, word by word.

/// The SipHash state: four 64-bit words.
struct State([u64; 4]);

impl State {
    fn new(k0: u64, k1: u64) -> State {
        State([
            k0 ^ 0x736f_6d65_7073_6575,
            k1 ^ 0x646f_7261_6e64_6f6d,
            k0 ^ 0x6c79_6765_6e65_7261,
            k1 ^ 0x7465_6462_7974_6573,
        ])
    }

    fn round(&mut self) {
        let [v0, v1, v2, v3] = &mut self.0;
        *v0 = v0.wrapping_add(*v1);
        *v1 = v1.rotate_left(13) ^ *v0;
        *v0 = v0.rotate_left(32);
        *v2 = v2.wrapping_add(*v3);
        *v3 = v3.rotate_left(16) ^ *v2;
        *v0 = v0.wrapping_add(*v3);
        *v3 = v3.rotate_left(21) ^ *v0;
        *v2 = v2.wrapping_add(*v1);
        *v1 = v1.rotate_left(17) ^ *v2;
        *v2 = v2.rotate_left(32);
    }

    /// Absorbs one 64-bit message word (2 compression rounds).
    fn absorb(&mut self, m: u64) {
        self.0[3] ^= m;
        self.round();
        self.round();
        self.0[0] ^= m;
    }
}

/// SipHash-2-4 with key (`k0`, `k1`) of the 17-byte message
/// `value` (16 bytes, little-endian) ‖ `tag` (1 byte).
pub(crate) fn siphash24_u128_u8(k0: u64, k1: u64, value: u128, tag: u8) -> u64 {
    let mut s = State::new(k0, k1);
    s.absorb(value as u64);
    s.absorb((value >> 64) as u64);
    // Last word: the message length (17) in the top byte, the tail byte below.
    s.absorb((17u64 << 56) | u64::from(tag));
    s.0[2] ^= 0xff;
    for _ in 0..4 {
        s.round();
    }
    let [v0, v1, v2, v3] = s.0;
    v0 ^ v1 ^ v2 ^ v3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(deprecated)] // core's SipHasher is SipHash-2-4; only the name is deprecated.
    fn reference(k0: u64, k1: u64, value: u128, tag: u8) -> u64 {
        use core::hash::Hasher;
        let mut h = core::hash::SipHasher::new_with_keys(k0, k1);
        h.write(&value.to_le_bytes());
        h.write(&[tag]);
        h.finish()
    }

    #[test]
    fn paper_vector_17_bytes() {
        // The 17-byte message 00 01 .. 10 under key 00 01 .. 0f, as OpenSSL's
        // SIPHASH MAC (8-byte output) gives it: 94 47 be 2c f5 e9 9a 69 (its
        // empty-message value is the paper's first vector, 31 0e 0e dd ..).
        let k0 = u64::from_le_bytes([0, 1, 2, 3, 4, 5, 6, 7]);
        let k1 = u64::from_le_bytes([8, 9, 10, 11, 12, 13, 14, 15]);
        let value = u128::from_le_bytes(core::array::from_fn(|i| i as u8));
        assert_eq!(
            siphash24_u128_u8(k0, k1, value, 16),
            u64::from_le_bytes([0x94, 0x47, 0xbe, 0x2c, 0xf5, 0xe9, 0x9a, 0x69])
        );
    }

    #[test]
    fn same_as_core_siphasher() {
        let mut x = 0x0123_4567_89ab_cdef_u64;
        for _ in 0..200 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let value = u128::from(x) << 64 | u128::from(x.rotate_left(9));
            let (k0, k1, tag) = (x.rotate_left(3), !x, (x >> 40) as u8);
            assert_eq!(
                siphash24_u128_u8(k0, k1, value, tag),
                reference(k0, k1, value, tag)
            );
        }
    }
}
