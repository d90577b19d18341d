//! The sending side of an association: [`Association::poll_transmit`] builds
//! the next packet for whichever mode this is (client request, symmetric
//! packet, broadcast packet), signs it, and remembers what it sent.

use crate::auth::KeyTable;
use crate::time::{NtpShort, NtpTime, NtpTimestamp};
use crate::wire::{HEADER_LEN, HeaderRepr, LeapIndicator, Mode, Packet, RefId};

use super::config::AssociationMode;
use super::machine::{Association, DEFAULT_BROADCAST_DELAY, Pending};
use super::peer::AssociationState;
use super::snapshot::SystemSnapshot;

/// A second, independent 64-bit value from the caller's entropy (splitmix64
/// step), so one `u64` can feed both the cookie and the poll spacing.
/// Out of line on 32-bit targets: ~100 bytes of 64-bit multiplies, used in
/// three places.
#[cfg_attr(target_pointer_width = "32", inline(never))]
pub(crate) fn mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// `ts` with the bits of its fraction below 2^`precision` s replaced by
/// bits of `entropy` (all 32 fraction bits for a precision of 0 s or more).
pub(crate) fn fuzz_below_precision(ts: NtpTimestamp, precision: i8, entropy: u64) -> NtpTimestamp {
    let bits = (32 + i32::from(precision)).clamp(0, 32);
    let mask = (1u64 << bits) - 1;
    NtpTimestamp::from_bits((ts.to_bits() & !mask) | (entropy & mask))
}

impl Association {
    /// If a packet is due at local time `now`, writes it into `buf` and returns
    /// its length in bytes (send it to [`config().remote`](Self::config)).
    ///
    /// `entropy` must be fresh random bits (the client cookie and the poll
    /// spacing come from it); `sys` supplies what our packets say about us;
    /// `keys` signs the packet if the association has a key. Returns `None` if
    /// nothing is due, the association is stopped or listen-only, the key is
    /// missing or untrusted, or `buf` is too small (48 bytes, plus 24 for a MAC).
    pub fn poll_transmit<const K: usize>(
        &mut self,
        now: NtpTime,
        entropy: u64,
        sys: &SystemSnapshot,
        keys: &KeyTable<K>,
        buf: &mut [u8],
    ) -> Option<usize> {
        if matches!(
            self.state,
            AssociationState::Denied | AssociationState::Demobilize
        ) {
            return None;
        }
        if !self.timer.is_due(now) {
            return None;
        }
        if self.config.mode == AssociationMode::BroadcastServer {
            self.timer.poll_broadcast(now, sys.poll, mix(entropy));
            return self.send(now, now.to_timestamp(), sys, keys, buf);
        }
        let fit = self.is_fit(now, sys);
        let event = self
            .timer
            .poll(now, &mut self.reach, sys.poll, fit, mix(entropy));
        if event.shift_dummy {
            let _ = self.filter.add(
                crate::sample::Sample::dummy(now),
                now,
                super::onwire::precision_duration(sys.precision),
                self.timer.effective_poll(),
            );
        }
        if event.unreachable && self.config.ephemeral {
            self.state = AssociationState::Demobilize;
            return None;
        }
        if self.state == AssociationState::Active
            && self.config.mode == AssociationMode::BroadcastClient
        {
            // Listen-only: the poll only ages reach and the filter.
            return None;
        }
        if self.state == AssociationState::Calibrating {
            if self.calibration_left == 0 {
                self.finish_calibration();
                return None;
            }
            self.calibration_left -= 1;
        }
        let cookie = match self.wire_mode() {
            // A random transmit timestamp: an off-path attacker cannot guess
            // what a reply must echo. Zero means "unset", so never use it.
            Mode::Client => NtpTimestamp::from_bits(entropy.max(1)),
            // A symmetric peer uses our transmit timestamp as its t3, so it
            // must be the clock; the bits below our precision carry no time
            // and are random, so someone who knows our clock still cannot
            // predict the origin our peer will echo (CVE-2020-13817).
            // Never before the receive timestamp sent with it (t3 ≥ t2).
            _ => {
                let fuzzed = fuzz_below_precision(now.to_timestamp(), sys.precision, entropy);
                if !self.org.is_zero() && fuzzed.resolve(now) < self.rec {
                    self.rec.to_timestamp()
                } else {
                    fuzzed
                }
            }
        };
        self.send(now, cookie, sys, keys, buf)
    }

    /// Builds, signs and records one packet with transmit timestamp `cookie`.
    fn send<const K: usize>(
        &mut self,
        now: NtpTime,
        cookie: NtpTimestamp,
        sys: &SystemSnapshot,
        keys: &KeyTable<K>,
        buf: &mut [u8],
    ) -> Option<usize> {
        let header = self.build_header(cookie, sys);
        let len = match emit(&header, buf).and_then(|n| self.sign(keys, buf, n)) {
            Some(n) => n,
            None => {
                self.counters.send_failed = self.counters.send_failed.saturating_add(1);
                return None;
            }
        };
        let interleaved_origin =
            if header.mode == Mode::Client && !header.origin_timestamp.is_zero() {
                Some(header.receive_timestamp)
            } else {
                None
            };
        self.pending = Some(Pending {
            cookie,
            sent: now,
            interleaved_origin,
            answered: false,
        });
        self.counters.sent = self.counters.sent.saturating_add(1);
        Some(len)
    }

    /// The mode our packets carry.
    pub(crate) fn wire_mode(&self) -> Mode {
        match self.config.mode {
            AssociationMode::Client | AssociationMode::BroadcastClient => Mode::Client,
            AssociationMode::SymmetricActive => Mode::SymmetricActive,
            AssociationMode::SymmetricPassive => Mode::SymmetricPassive,
            AssociationMode::BroadcastServer => Mode::Broadcast,
        }
    }

    /// Whether the remote currently looks usable (for `burst`): reachable,
    /// stratum below the limit, root distance below the limit.
    fn is_fit(&self, now: NtpTime, sys: &SystemSnapshot) -> bool {
        self.reach.is_reachable()
            && self.remote.stratum < sys.max_stratum
            && self.root_distance(now) < sys.max_distance
    }

    fn build_header(&self, cookie: NtpTimestamp, sys: &SystemSnapshot) -> HeaderRepr {
        let mode = self.wire_mode();
        let poll = self.timer.hpoll();
        if mode == Mode::Client {
            // Client requests say nothing about us (as chrony's): only the
            // cookie, and in interleaved mode the two timestamps the server
            // needs to recognise the previous exchange.
            let (origin, receive) = match (self.config.interleaved, self.previous) {
                (true, Some(p)) => (p.remote_rx, p.t4.to_timestamp()),
                _ => (NtpTimestamp::ZERO, NtpTimestamp::ZERO),
            };
            return HeaderRepr {
                leap: LeapIndicator::NoWarning,
                version: self.config.version,
                mode,
                stratum: 0,
                poll,
                precision: 0,
                root_delay: NtpShort::ZERO,
                root_dispersion: NtpShort::ZERO,
                ref_id: RefId::ZERO,
                reference_timestamp: NtpTimestamp::ZERO,
                origin_timestamp: origin,
                receive_timestamp: receive,
                transmit_timestamp: cookie,
            };
        }
        // Symmetric and broadcast packets carry our system variables; stratum
        // 16 goes on the wire as 0 (RFC 5905 §7.3).
        let stratum = if sys.stratum >= 16 { 0 } else { sys.stratum };
        let (origin, receive) = match mode {
            Mode::Broadcast => (NtpTimestamp::ZERO, NtpTimestamp::ZERO),
            _ if self.org.is_zero() => (NtpTimestamp::ZERO, NtpTimestamp::ZERO),
            _ => (self.org, self.rec.to_timestamp()),
        };
        HeaderRepr {
            leap: sys.leap,
            version: self.config.version,
            mode,
            stratum,
            poll,
            precision: sys.precision,
            root_delay: NtpShort::from_duration_saturating(sys.root_delay),
            root_dispersion: NtpShort::from_duration_saturating(sys.root_dispersion),
            ref_id: sys.reference_id,
            reference_timestamp: sys.reference_time,
            origin_timestamp: origin,
            receive_timestamp: receive,
            transmit_timestamp: cookie,
        }
    }

    /// Appends our MAC if the association has a key; `None` if the key is not
    /// in the table, not trusted, or does not fit.
    fn sign<const K: usize>(
        &self,
        keys: &KeyTable<K>,
        buf: &mut [u8],
        len: usize,
    ) -> Option<usize> {
        match self.config.key {
            None => Some(len),
            Some(id) => keys.trusted(id)?.sign(buf, len),
        }
    }

    /// Ends a broadcast client's volley: one-way delay = half the filter's
    /// round-trip delay, or [`DEFAULT_BROADCAST_DELAY`] if the server never
    /// answered; then listen only.
    pub(crate) fn finish_calibration(&mut self) {
        self.one_way = Some(
            self.filter
                .output()
                .map_or(DEFAULT_BROADCAST_DELAY, |out| out.delay.shift(-1)),
        );
        self.state = AssociationState::Active;
    }
}

fn emit(header: &HeaderRepr, buf: &mut [u8]) -> Option<usize> {
    let head = buf.get_mut(..HEADER_LEN)?;
    header.emit(&mut Packet::new_unchecked(head));
    Some(HEADER_LEN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_replaces_only_the_bits_below_the_precision() {
        let ts = NtpTimestamp::from_bits(0x1234_5678_9abc_def0);
        // 2^-20 s: the low 12 fraction bits.
        let f = fuzz_below_precision(ts, -20, 0xffff_ffff_ffff_f123);
        assert_eq!(f.to_bits(), 0x1234_5678_9abc_d123);
        assert_eq!(fuzz_below_precision(ts, -32, u64::MAX), ts);
        assert_eq!(fuzz_below_precision(ts, -40, u64::MAX), ts);
        // 1 s or coarser: the whole fraction.
        assert_eq!(
            fuzz_below_precision(ts, 3, 0x42).to_bits(),
            0x1234_5678_0000_0042
        );
    }

    #[test]
    fn mix_spreads_bits() {
        assert_ne!(mix(0), 0);
        assert_ne!(mix(1), mix(2));
    }
}
