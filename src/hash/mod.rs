//! The hash functions of NTP's MACs: MD5 (RFC 1321; also IPv6 reference ids)
//! and SHA-1 (FIPS 180-4, feature `sha1`), our own.
//!
//! Owns: [`Stream`], the Merkle–Damgård framing both share (64-byte blocks,
//! a 1 bit, zeros, the message length in bits), and each function's
//! compression loop. Both are written as their specification's loop of steps
//! over a constant table rather than unrolled, and without the `digest` crate's
//! generic buffering: a firmware links a fraction of the code, and no
//! compiler-inserted index checks (the wrapper's became panic sites at
//! opt-level "z"). Only 32-bit wrapping adds, rotates and bit logic: the same
//! digest on every target, and no branch or table index depends on the data.
//! The tests check the specifications' test suites and compare with the
//! `md-5` / `sha1` crates on random inputs.

pub(crate) mod md5;
#[cfg(feature = "sha1")]
pub(crate) mod sha1;

/// A compression function over 64-byte blocks and the state it folds them into.
pub(crate) trait Compress {
    /// Whether the padding's length field is big-endian (SHA-1) or
    /// little-endian (MD5).
    const BIG_ENDIAN: bool;
    /// Folds one block into the state.
    fn compress(&mut self, block: &[u8; 64]);
}

/// A running hash: the state, the partial block, the message length.
#[derive(Clone)]
pub(crate) struct Stream<H> {
    state: H,
    block: [u8; 64],
    /// Bytes in `block` (0..64).
    fill: usize,
    /// Message length so far, bytes (modulo 2^64).
    len: u64,
}

impl<H: Compress> Stream<H> {
    /// A message starting from the initial `state`.
    pub(crate) const fn new(state: H) -> Stream<H> {
        Stream {
            state,
            block: [0; 64],
            fill: 0,
            len: 0,
        }
    }

    /// Appends `data` to the message.
    pub(crate) fn update(&mut self, mut data: &[u8]) {
        self.len = self.len.wrapping_add(data.len() as u64);
        while !data.is_empty() {
            let free = self.block.get_mut(self.fill..).unwrap_or_default();
            let n = free.len().min(data.len());
            let (now, rest) = data.split_at_checked(n).unwrap_or((data, &[]));
            for (d, s) in free.iter_mut().zip(now) {
                *d = *s;
            }
            self.fill += n;
            data = rest;
            if self.fill >= 64 {
                self.state.compress(&self.block);
                self.fill = 0;
            }
        }
    }

    /// Pads the message (a 1 bit, zeros to 56 mod 64 bytes, the length in
    /// bits as 64 bits) and returns the final state.
    pub(crate) fn finish(mut self) -> H {
        let bits = self.len.wrapping_mul(8);
        self.update(&[0x80]);
        let zeros = (120 - self.fill) % 64;
        self.update([0; 64].get(..zeros).unwrap_or_default());
        self.update(&if H::BIG_ENDIAN {
            bits.to_be_bytes()
        } else {
            bits.to_le_bytes()
        });
        self.state
    }
}

/// The 32-bit words of a block, little- or big-endian.
fn words(block: &[u8; 64], big_endian: bool) -> [u32; 16] {
    let mut x = [0u32; 16];
    for (w, b) in x.iter_mut().zip(block.chunks_exact(4)) {
        let b = <[u8; 4]>::try_from(b).unwrap_or([0; 4]);
        *w = if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        };
    }
    x
}

/// Message lengths for the tests that compare with the reference crates: every
/// length 0..200 (one to four blocks, each way the padding can fall); in the
/// interpreter (miri) only those around the block and padding boundaries.
#[cfg(test)]
fn test_lengths() -> std::vec::Vec<usize> {
    if cfg!(miri) {
        std::vec![
            0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 121, 127, 128, 129, 199
        ]
    } else {
        (0..200).collect()
    }
}
