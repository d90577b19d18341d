//! MD5 (RFC 1321), the digest of NTP's legacy MACs (`MD5(key ‖ packet)`,
//! RFC 5905 §7.3) and of IPv6 reference ids: the RFC's 64 steps as a loop.

use super::{Compress, Stream, words};

/// `floor(2^32 * |sin(i + 1)|)` for step i (RFC 1321 §3.4).
const K: [u32; 64] = [
    0xd76a_a478,
    0xe8c7_b756,
    0x2420_70db,
    0xc1bd_ceee,
    0xf57c_0faf,
    0x4787_c62a,
    0xa830_4613,
    0xfd46_9501,
    0x6980_98d8,
    0x8b44_f7af,
    0xffff_5bb1,
    0x895c_d7be,
    0x6b90_1122,
    0xfd98_7193,
    0xa679_438e,
    0x49b4_0821,
    0xf61e_2562,
    0xc040_b340,
    0x265e_5a51,
    0xe9b6_c7aa,
    0xd62f_105d,
    0x0244_1453,
    0xd8a1_e681,
    0xe7d3_fbc8,
    0x21e1_cde6,
    0xc337_07d6,
    0xf4d5_0d87,
    0x455a_14ed,
    0xa9e3_e905,
    0xfcef_a3f8,
    0x676f_02d9,
    0x8d2a_4c8a,
    0xfffa_3942,
    0x8771_f681,
    0x6d9d_6122,
    0xfde5_380c,
    0xa4be_ea44,
    0x4bde_cfa9,
    0xf6bb_4b60,
    0xbebf_bc70,
    0x289b_7ec6,
    0xeaa1_27fa,
    0xd4ef_3085,
    0x0488_1d05,
    0xd9d4_d039,
    0xe6db_99e5,
    0x1fa2_7cf8,
    0xc4ac_5665,
    0xf429_2244,
    0x432a_ff97,
    0xab94_23a7,
    0xfc93_a039,
    0x655b_59c3,
    0x8f0c_cc92,
    0xffef_f47d,
    0x8584_5dd1,
    0x6fa8_7e4f,
    0xfe2c_e6e0,
    0xa301_4314,
    0x4e08_11a1,
    0xf753_7e82,
    0xbd3a_f235,
    0x2ad7_d2bb,
    0xeb86_d391,
];

/// Left-rotation amounts: round r (steps 16r..16r+15) uses `S[r][step % 4]`.
const S: [[u32; 4]; 4] = [
    [7, 12, 17, 22],
    [5, 9, 14, 20],
    [4, 11, 16, 23],
    [6, 10, 15, 21],
];

/// The initial state A, B, C, D (RFC 1321 §3.3).
const INIT: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];

/// The MD5 state A, B, C, D.
#[derive(Clone)]
pub(crate) struct Md5([u32; 4]);

impl Compress for Md5 {
    const BIG_ENDIAN: bool = false;

    fn compress(&mut self, block: &[u8; 64]) {
        let x = words(block, false);
        let [mut a, mut b, mut c, mut d] = self.0;
        for (i, k) in K.iter().enumerate() {
            let round = i / 16;
            // The round's function and which message word step i reads.
            let (f, g) = match round {
                0 => ((b & c) | (!b & d), i),
                1 => ((b & d) | (c & !d), 5 * i + 1),
                2 => (b ^ c ^ d, 3 * i + 5),
                _ => (c ^ (b | !d), 7 * i),
            };
            let s = S[round % 4][i % 4];
            let sum = a.wrapping_add(f).wrapping_add(*k).wrapping_add(x[g % 16]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(sum.rotate_left(s));
        }
        for (w, v) in self.0.iter_mut().zip([a, b, c, d]) {
            *w = w.wrapping_add(v);
        }
    }
}

impl Md5 {
    /// The 16-byte digest of the concatenation of `parts` (RFC 1321 §3.5:
    /// the state words little-endian).
    pub(crate) fn digest(parts: &[&[u8]]) -> [u8; 16] {
        let mut h = Stream::new(Md5(INIT));
        for p in parts {
            h.update(p);
        }
        let mut out = [0u8; 16];
        for (o, w) in out.chunks_exact_mut(4).zip(h.finish().0) {
            o.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn hex(d: [u8; 16]) -> std::string::String {
        d.iter().map(|b| std::format!("{b:02x}")).collect()
    }

    #[test]
    fn rfc_1321_test_suite() {
        // RFC 1321, appendix A.5.
        let suite: [(&str, &str); 7] = [
            ("", "d41d8cd98f00b204e9800998ecf8427e"),
            ("a", "0cc175b9c0f1b6a831c399e269772661"),
            ("abc", "900150983cd24fb0d6963f7d28e17f72"),
            ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
            (
                "abcdefghijklmnopqrstuvwxyz",
                "c3fcd3d76192e4007dfb496cca67e13b",
            ),
            (
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
                "d174ab98d277d9f5a5611c2c9f419d9f",
            ),
            (
                "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
                "57edf4a22be3c955ac49da2e2107b67a",
            ),
        ];
        for (text, want) in suite {
            assert_eq!(hex(Md5::digest(&[text.as_bytes()])), want, "{text:?}");
        }
    }

    #[test]
    fn every_length_around_the_padding_boundaries() {
        // 55, 56 and 64 bytes are where the padding needs one or two blocks.
        let data: std::vec::Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for n in crate::hash::test_lengths() {
            let want: [u8; 16] = <::md5::Md5 as ::md5::Digest>::digest(&data[..n]).into();
            assert_eq!(Md5::digest(&[&data[..n]]), want, "{n} bytes");
        }
    }

    proptest! {
        #[test]
        fn matches_the_md5_crate(
            key in proptest::collection::vec(any::<u8>(), 0..40),
            data in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let mut h = <::md5::Md5 as ::md5::Digest>::new();
            ::md5::Digest::update(&mut h, &key);
            ::md5::Digest::update(&mut h, &data);
            let want: [u8; 16] = ::md5::Digest::finalize(h).into();
            prop_assert_eq!(Md5::digest(&[&key, &data]), want);
        }
    }
}
