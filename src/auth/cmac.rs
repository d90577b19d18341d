//! AES-128-CMAC (RFC 4493), the MAC of RFC 8573 keys, over the `aes` crate's
//! block cipher.
//!
//! CMAC is a few lines around the cipher: CBC-MAC whose last block is masked
//! with a subkey derived from `AES(K, 0)`. Written here rather than through
//! the `cmac` crate so that no `digest`-crate buffering is linked (its index
//! checks became panic sites at opt-level "z"); the tests check RFC 4493's
//! examples and compare with the `cmac` crate on random inputs.

use aes::Aes128;
use aes::cipher::{BlockEncrypt, KeyInit};

/// The subkey doubling in GF(2^128) (RFC 4493 §2.3): shift left by one bit,
/// reduce by x^128 + x^7 + x^2 + x + 1 if a bit fell off. No branch on the
/// (secret) top bit.
fn dbl(v: u128) -> u128 {
    (v << 1) ^ ((v >> 127) * 0x87)
}

/// `AES-128(key, block)`.
fn encrypt(cipher: &Aes128, block: u128) -> u128 {
    let mut b = block.to_be_bytes().into();
    cipher.encrypt_block(&mut b);
    u128::from_be_bytes(b.into())
}

/// The 16-byte AES-128-CMAC of `msg` under `key` (RFC 4493 §2.4).
pub(crate) fn aes128_cmac(key: &[u8; 16], msg: &[u8]) -> [u8; 16] {
    let cipher = Aes128::new(&(*key).into());
    let k1 = dbl(encrypt(&cipher, 0));
    // All blocks but the last go through plain CBC; the last (1..=16 bytes,
    // or none for an empty message) is masked.
    let last_at = msg.len().saturating_sub(1) / 16 * 16;
    let (head, last) = msg.split_at_checked(last_at).unwrap_or((&[], msg));
    let mut x = 0u128;
    for block in head.chunks_exact(16) {
        let m = <[u8; 16]>::try_from(block).unwrap_or([0; 16]);
        x = encrypt(&cipher, x ^ u128::from_be_bytes(m));
    }
    let mut m = [0u8; 16];
    for (d, s) in m.iter_mut().zip(last) {
        *d = *s;
    }
    let mask = if last.len() == 16 {
        k1
    } else {
        // Incomplete: pad with a 1 bit and zeros, mask with K2.
        if let Some(b) = m.get_mut(last.len()) {
            *b = 0x80;
        }
        dbl(k1)
    };
    encrypt(&cipher, x ^ u128::from_be_bytes(m) ^ mask).to_be_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unhex(s: &str) -> std::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn rfc_4493_examples() {
        let key: [u8; 16] = unhex("2b7e151628aed2a6abf7158809cf4f3c")
            .try_into()
            .unwrap();
        let msg = unhex(
            "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51\
             30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
        );
        // RFC 4493 §4: the subkeys, then examples 1..4 (0, 16, 40, 64 bytes).
        let l = encrypt(&Aes128::new(&key.into()), 0);
        assert_eq!(dbl(l), 0xfbeed618357133667c85e08f7236a8de);
        assert_eq!(dbl(dbl(l)), 0xf7ddac306ae266ccf90bc11ee46d513b);
        for (len, tag) in [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ] {
            assert_eq!(aes128_cmac(&key, &msg[..len]).to_vec(), unhex(tag), "{len}");
        }
    }

    proptest! {
        #[test]
        fn matches_the_cmac_crate(
            key in any::<[u8; 16]>(),
            msg in proptest::collection::vec(any::<u8>(), 0..200),
        ) {
            use ::cmac::Mac;
            let mut m = <::cmac::Cmac<Aes128> as Mac>::new(&key.into());
            m.update(&msg);
            let want: [u8; 16] = m.finalize().into_bytes().into();
            prop_assert_eq!(aes128_cmac(&key, &msg), want);
        }
    }
}
