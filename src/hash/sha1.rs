//! SHA-1 (FIPS 180-4 §6.1), the digest of `SHA1(key ‖ packet)` MACs (ntpd,
//! ntpsec and chrony "SHA1" keys): the 80 steps as a loop over a rolling
//! 16-word message schedule.

use super::{Compress, Stream, words};

/// The initial hash value H0..H4 (FIPS 180-4 §5.3.1).
const INIT: [u32; 5] = [
    0x6745_2301,
    0xefcd_ab89,
    0x98ba_dcfe,
    0x1032_5476,
    0xc3d2_e1f0,
];

/// The constant of each group of 20 steps (FIPS 180-4 §4.2.1).
const K: [u32; 4] = [0x5a82_7999, 0x6ed9_eba1, 0x8f1b_bcdc, 0xca62_c1d6];

/// The SHA-1 state H0..H4.
#[derive(Clone)]
pub(crate) struct Sha1([u32; 5]);

impl Compress for Sha1 {
    const BIG_ENDIAN: bool = true;

    fn compress(&mut self, block: &[u8; 64]) {
        let mut w = words(block, true);
        let [mut a, mut b, mut c, mut d, mut e] = self.0;
        for t in 0..80usize {
            // W[t] for t ≥ 16 replaces W[t − 16] in the rolling schedule.
            let wt = if t < 16 {
                w[t % 16]
            } else {
                let v = (w[(t + 13) % 16] ^ w[(t + 8) % 16] ^ w[(t + 2) % 16] ^ w[t % 16])
                    .rotate_left(1);
                w[t % 16] = v;
                v
            };
            let group = t / 20;
            let f = match group {
                0 => (b & c) | (!b & d),
                2 => (b & c) | (b & d) | (c & d),
                _ => b ^ c ^ d,
            };
            let temp = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(K[group % 4])
                .wrapping_add(wt);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = temp;
        }
        for (h, v) in self.0.iter_mut().zip([a, b, c, d, e]) {
            *h = h.wrapping_add(v);
        }
    }
}

impl Sha1 {
    /// The 20-byte digest of the concatenation of `parts` (the state words
    /// big-endian).
    pub(crate) fn digest(parts: &[&[u8]]) -> [u8; 20] {
        let mut h = Stream::new(Sha1(INIT));
        for p in parts {
            h.update(p);
        }
        let mut out = [0u8; 20];
        for (o, w) in out.chunks_exact_mut(4).zip(h.finish().0) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(d: [u8; 20]) -> std::string::String {
        d.iter().map(|b| std::format!("{b:02x}")).collect()
    }

    #[test]
    fn fips_180_examples() {
        // FIPS 180 / RFC 3174 test cases.
        let cases: [(&[u8], &str); 3] = [
            (b"", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            (b"abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (
                b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(hex(Sha1::digest(&[text])), want);
        }
    }

    #[test]
    #[cfg_attr(miri, ignore)] // 15 625 blocks: many minutes in the interpreter
    fn fips_180_million_a() {
        // One million 'a's, in uneven pieces.
        let chunk = [b'a'; 1000];
        let mut h = Stream::new(Sha1(INIT));
        for _ in 0..1000 {
            h.update(&chunk[..999]);
            h.update(&chunk[..1]);
        }
        let mut out = [0u8; 20];
        for (o, w) in out.chunks_exact_mut(4).zip(h.finish().0) {
            o.copy_from_slice(&w.to_be_bytes());
        }
        assert_eq!(hex(out), "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    }

    #[test]
    fn every_length_around_the_padding_boundaries() {
        let data: std::vec::Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in crate::hash::test_lengths() {
            let want: [u8; 20] = <::sha1::Sha1 as ::sha1::Digest>::digest(&data[..n]).into();
            assert_eq!(Sha1::digest(&[&data[..n]]), want, "{n} bytes");
        }
    }

    proptest! {
        #[test]
        fn matches_the_sha1_crate(
            key in proptest::collection::vec(any::<u8>(), 0..40),
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut h = <::sha1::Sha1 as ::sha1::Digest>::new();
            ::sha1::Digest::update(&mut h, &key);
            ::sha1::Digest::update(&mut h, &data);
            let want: [u8; 20] = ::sha1::Digest::finalize(h).into();
            prop_assert_eq!(Sha1::digest(&[&key, &data]), want);
        }
    }
}
