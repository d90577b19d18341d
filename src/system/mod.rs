//! [`Ntp`]: the value users hold. It owns the associations, the key table,
//! selection, the clock discipline, the server and the system variables, and
//! offers the sans-IO API the drivers (daemon, firmware, simulator) pump:
//!
//! ```text
//! ntp.handle_packet(now, from, &bytes, rx_time);     // a datagram arrived
//! ntp.handle_timeout(now);                           // the wake-up time passed
//! while let Some(tx) = ntp.poll_transmit(now, &mut buf) { send(tx.to, &buf[..tx.len]) }
//! if let Some(adj) = ntp.poll_adjustment() { clock.apply(adj); ntp.adjustment_applied(adj, now) }
//! let wake = ntp.poll_timeout();                     // sleep until then or until input
//! ```
//!
//! The path of a packet: `receive.rs` (demultiplex by mode and remote) →
//! `association` (on-wire tests, clock filter) → `clock.rs` (selection,
//! discipline, system variables) → a [`ClockAdjustment`] to poll. Requests
//! from clients go `receive.rs` → `access` → `server` and leave through
//! `transmit.rs`.
//!
//! Time: every `now` is the local clock (the one this core disciplines), as
//! an era-aware [`NtpTime`]. After the caller applies a step, it calls
//! [`Ntp::adjustment_applied`]; the core then shifts its own timers and drops
//! the measurements made in the old timescale, so nothing fires early or late.

#[cfg(feature = "control")]
mod budget;
mod clock;
mod config;
mod from_config;
mod kernel_pll;
#[cfg(feature = "control")]
mod peers;
mod receive;
mod refclock_source;
mod slot;
mod stability;
mod transmit;

pub use config::SystemConfig;
pub use from_config::{ApplyError, ApplyReport, NTP_PORT, StartOptions, system_config};
pub use kernel_pll::{KernelPllUpdate, MAX_PHASE, MAX_TIME_CONSTANT};
pub use refclock_source::RefclockSource;
pub use slot::{AssociationView, Source};
pub use transmit::{Transmit, TransmitKind};

use core::net::SocketAddr;

use crate::access::Access;
use crate::adjust::ClockAdjustment;
use crate::association::{Association, AssociationConfig, PollConfig, SystemSnapshot};
use crate::auth::KeyTable;
#[cfg(feature = "control")]
use crate::control::ControlReply;
use crate::control::SystemEvent;
use crate::discipline::Discipline;
use crate::event::{AssociationId, Event, EventQueue};
use crate::refclock::{Refclock, RefclockId};
use crate::rng::Rng;
use crate::select::CandidateFlags;
use crate::server::{Server, SystemVariables};
use crate::time::{Frequency, NtpTime};

#[cfg(feature = "control")]
use budget::AmplificationBudget;
use slot::Slot;

/// The largest datagram the core writes (a full mode 6 fragment with a
/// MAC); buffers passed to `handle_packet` / `poll_transmit` should have
/// at least this many bytes.
pub const MAX_PACKET_LEN: usize = 512;
/// Capacity of the event queue.
pub const EVENT_QUEUE: usize = 16;
/// Entries of the interleaved-server table.
pub const INTERLEAVE_ENTRIES: usize = 64;
/// Entries of the rate limiter's client table.
pub const RATE_LIMIT_ENTRIES: usize = 256;
/// Oversize mode 6 replies to unauthenticated queriers: at once …
pub const AMPLIFICATION_BURST: u32 = 32;
/// … and per second on average, all queriers together.
pub const AMPLIFICATION_PER_SECOND: u32 = 8;
/// Entries of the `restrict` list.
pub const RESTRICT_ENTRIES: usize = 16;

/// Why a configuration call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SystemError {
    /// All association slots are in use (`A` of `Ntp<A, K, R>`).
    TooManyAssociations,
    /// All reference clock driver slots are in use (`R` of `Ntp<A, K, R>`).
    TooManyRefclocks,
    /// An association for this remote and mode exists already.
    Duplicate,
    /// The association id is not known.
    NoSuchAssociation,
}

impl core::fmt::Display for SystemError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            SystemError::TooManyAssociations => "too many associations",
            SystemError::TooManyRefclocks => "too many reference clocks",
            SystemError::Duplicate => "an association for this remote exists already",
            SystemError::NoSuchAssociation => "no such association",
        })
    }
}

/// Counters of what the system (not one association) did with packets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SystemCounters {
    /// Datagrams handed to [`Ntp::handle_packet`].
    pub received: u64,
    /// Datagrams that did not parse.
    pub malformed: u64,
    /// Datagrams for which no association exists and none was mobilised.
    pub no_association: u64,
    /// Requests dropped by access control or rate limiting, and packets
    /// claiming a reference clock pseudo address (127.127.0.0/16) as source.
    pub restricted: u64,
    /// Kiss-o'-death packets sent.
    pub kod_sent: u64,
    /// Server replies queued.
    pub replies: u64,
    /// Mode 6 requests answered.
    pub control: u64,
    /// Mode 7 (ntpdc) requests, always ignored.
    pub mode7: u64,
}

/// The NTP core: `A` associations at most (network sources and reference
/// clocks together), `K` keys at most, `R` reference clock drivers at most,
/// `C` clients tracked by the rate limiter (a multiple of 8; 16 bytes each:
/// the daemon's 256 are 4 KB, a board serving a LAN can take 64).
///
/// Memory is fixed at compile time; nothing allocates. A reference clock's
/// driver (its sentence assembler and offset accumulators, ~1.2 KB) lives
/// in one of the `R` driver slots, the rest of it (filter, reach, poll timer)
/// in an association slot like a network source's, so a server with only
/// network sources pays nothing for refclocks with `R = 0`. x86-64:
/// `Ntp<8, 8, 0>` ~19.5 KB, `Ntp<8, 8>` (R = 1) ~20.7 KB.
pub struct Ntp<
    const A: usize = 8,
    const K: usize = 8,
    const R: usize = 1,
    const C: usize = RATE_LIMIT_ENTRIES,
> {
    config: SystemConfig,
    slots: heapless::Vec<Slot, A>,
    /// The reference clock drivers, one per refclock slot.
    drivers: heapless::Vec<Refclock, R>,
    next_id: u16,
    keys: KeyTable<K>,
    discipline: Discipline,
    sys: SystemVariables,
    system_peer: Option<AssociationId>,
    /// Whether the clock was ever synchronised (ends the startup quorum).
    synchronized_once: bool,
    /// Root dispersion at the last system-peer update (2^-32 s); free-running,
    /// the advertised value grows from it at PHI.
    held_dispersion: crate::time::NtpDuration,
    /// Local time of the system peer's sample behind the system variables
    /// (ntpd's `sys_epoch`): a filter output no newer than this is not
    /// used again. Cleared by a step (new timescale).
    sys_epoch: Option<NtpTime>,
    /// RMS frequency change per clock update (`clk_wander`).
    stability: stability::Stability,
    server: Server<INTERLEAVE_ENTRIES>,
    access: Access<RESTRICT_ENTRIES, C>,
    /// The mode 6 reply being sent, fragment by fragment, and to whom.
    #[cfg(feature = "control")]
    control: Option<(SocketAddr, ControlReply)>,
    #[cfg(feature = "control")]
    amplification: AmplificationBudget,
    adjustment: Option<ClockAdjustment>,
    /// An adjustment handed out and not yet confirmed.
    adjustment_outstanding: bool,
    events: EventQueue<EVENT_QUEUE>,
    counters: SystemCounters,
    rng: Rng,
    /// The kernel PLL update not handed out yet (`poll_kernel_update`).
    kernel_update: Option<kernel_pll::KernelPllUpdate>,
    /// Sample time of the last kernel PLL update offered.
    kernel_sample: Option<NtpTime>,
    /// The host hands the clock to a kernel PLL (`set_kernel_pll`).
    kernel_pll: bool,
}

impl<const A: usize, const K: usize, const R: usize, const C: usize> Ntp<A, K, R, C> {
    /// A core at local time `now`, with `config`, keyed by 16 bytes of caller
    /// entropy (request cookies and poll spacing come from it).
    ///
    /// If `config.saved_frequency` holds a drift value, the first adjustment
    /// (ready at once from [`poll_adjustment`](Self::poll_adjustment)) sets it.
    #[inline(never)]
    pub fn new(config: SystemConfig, now: NtpTime, seed: [u8; 16]) -> Self {
        // Built in place: the value is one struct expression at the end,
        // written straight into the caller's destination (out of line, so
        // that is the caller's variable), its big parts by constructors that
        // are out of line too; what must happen at start (the discipline's
        // first timeout, its events, the system variables that follow it)
        // happens beforehand on the parts involved. A `let mut ntp = Ntp {..}`
        // finished through `&mut ntp` would be a whole second `Ntp` on the
        // stack (~15 KB on a Cortex-M), copied out on return.
        let mut discipline = Discipline::new(config.discipline, config.saved_frequency);
        let mut rng = Rng::new(seed);
        let limiter_key = rng.next_u64();
        let mut sys = SystemVariables::UNSYNCHRONIZED;
        sys.precision = config.precision;
        sys.events.record(SystemEvent::Restart as u8);
        if config.saved_frequency.is_none() {
            sys.events.record(SystemEvent::FreqNotSet as u8);
        }
        // The discipline hands out the restored drift, if any, at once.
        let adjustment = discipline.handle_timeout(now);
        let mut events = EventQueue::default();
        while let Some(event) = discipline.poll_event() {
            record(&mut sys, &mut events, event);
        }
        // Not synchronised yet: only the variables that follow the discipline.
        follow_discipline(&mut sys, &discipline);
        Ntp {
            slots: heapless::Vec::new(),
            drivers: heapless::Vec::new(),
            next_id: 0,
            keys: KeyTable::new(),
            discipline,
            sys,
            held_dispersion: crate::time::NtpDuration::ZERO,
            sys_epoch: None,
            stability: stability::Stability::default(),
            system_peer: None,
            synchronized_once: false,
            server: Server::new(),
            access: Access::new(config.rate_limit, limiter_key),
            #[cfg(feature = "control")]
            control: None,
            #[cfg(feature = "control")]
            amplification: AmplificationBudget::new(AMPLIFICATION_BURST, AMPLIFICATION_PER_SECOND),
            adjustment,
            adjustment_outstanding: false,
            kernel_update: None,
            kernel_sample: None,
            kernel_pll: false,
            events,
            counters: SystemCounters::default(),
            rng,
            config,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &SystemConfig {
        &self.config
    }

    /// Access control: the `restrict` list and the rate limiter (configure
    /// restrictions through it).
    pub fn access_mut(&mut self) -> &mut Access<RESTRICT_ENTRIES, C> {
        &mut self.access
    }

    /// The key table (add keys with [`keys_mut`](Self::keys_mut)).
    pub fn keys(&self) -> &KeyTable<K> {
        &self.keys
    }

    /// The key table, to add or trust keys.
    pub fn keys_mut(&mut self) -> &mut KeyTable<K> {
        &mut self.keys
    }

    /// Adds an association (a `server`, `peer`, `broadcast` or
    /// `broadcastclient` line) at local time `now`, with selection flags
    /// (`prefer`, `noselect`, `true`).
    pub fn add_association(
        &mut self,
        config: AssociationConfig,
        flags: CandidateFlags,
        now: NtpTime,
    ) -> Result<AssociationId, SystemError> {
        if self
            .slots
            .iter()
            .filter_map(Slot::network)
            .any(|a| a.config().remote == config.remote && a.config().mode == config.mode)
        {
            return Err(SystemError::Duplicate);
        }
        if self.slots.is_full() {
            return Err(SystemError::TooManyAssociations);
        }
        let entropy = self.rng.next_u64();
        let source = Source::Network(Association::new(config, now, entropy));
        self.mobilize(source, flags, config.remote)
    }

    /// Adds a reference clock (`server 127.127.T.U mode M` with its `fudge`)
    /// at local time `now`, with selection flags (`prefer`, `noselect`,
    /// `true`). Polled every 16 s by default (`poll` overrides).
    // Out of line: inlined into a caller that keeps `Ntp` in a static, the
    // driver (~1.2 KB) is stored field by field at absolute addresses.
    #[inline(never)]
    pub fn add_refclock(
        &mut self,
        driver: Refclock,
        poll: Option<PollConfig>,
        flags: CandidateFlags,
        now: NtpTime,
    ) -> Result<AssociationId, SystemError> {
        let clock = driver.id();
        if self.slots.iter().any(|s| match &s.source {
            Source::Refclock(r) => r.id() == clock,
            Source::Network(_) => false,
        }) {
            return Err(SystemError::Duplicate);
        }
        if self.slots.is_full() {
            return Err(SystemError::TooManyAssociations);
        }
        if self.drivers.is_full() {
            return Err(SystemError::TooManyRefclocks);
        }
        let entropy = self.rng.next_u64();
        let source = RefclockSource::new(
            clock,
            poll.unwrap_or(refclock_source::REFCLOCK_POLL),
            now,
            entropy,
        );
        self.drivers
            .push(driver)
            .map_err(|_| SystemError::TooManyRefclocks)?;
        let remote = SocketAddr::new(core::net::IpAddr::V4(clock.to_ipv4()), 123);
        self.mobilize(Source::Refclock(source), flags, remote)
            .inspect_err(|_| {
                let _ = self.drivers.pop();
            })
    }

    /// Puts `source` (whose remote is `remote`) into a free slot under a new
    /// id and announces it. Shared by the `add_*` calls; out of line so a
    /// slot (800 bytes on a Cortex-M) is built in one place: inlined into a
    /// caller that holds `Ntp` in a static, it is stored field by field at
    /// absolute addresses, ~0.4 KB of code per caller.
    #[inline(never)]
    fn mobilize(
        &mut self,
        source: Source,
        flags: CandidateFlags,
        remote: SocketAddr,
    ) -> Result<AssociationId, SystemError> {
        let id = self.allocate_id();
        self.slots
            .push(Slot::new(id, source, flags))
            .map_err(|_| SystemError::TooManyAssociations)?;
        self.emit(Event::AssociationMobilized { id, remote });
        Ok(id)
    }

    /// Serial bytes from reference clock `clock` arrived; `rx_time` is the
    /// local time the last of them was received.
    pub fn handle_serial(&mut self, clock: RefclockId, bytes: &[u8], rx_time: NtpTime) {
        if let Some(d) = self.driver_mut(clock) {
            d.handle_serial(bytes, rx_time);
        }
    }

    /// A PPS edge for reference clock `clock` was captured at local time
    /// `edge`. A type 22 PPS is numbered by the `prefer` source's offset.
    pub fn handle_pps(&mut self, clock: RefclockId, edge: NtpTime) {
        let numbering = self
            .slots
            .iter()
            .filter(|s| s.flags.contains(CandidateFlags::PREFER))
            .filter(|s| !matches!(&s.source, Source::Refclock(r) if r.id() == clock))
            .find_map(|s| s.update.map(|u| u.filter.offset));
        if let Some(d) = self.driver_mut(clock) {
            d.handle_pps(edge, numbering);
        }
    }

    /// The driver of reference clock `clock` (`127.127.T.U`), if configured.
    pub fn refclock_driver(&self, clock: RefclockId) -> Option<&Refclock> {
        self.drivers.iter().find(|d| d.id() == clock)
    }

    #[cfg_attr(target_pointer_width = "32", inline(never))]
    fn driver_mut(&mut self, clock: RefclockId) -> Option<&mut Refclock> {
        self.drivers.iter_mut().find(|d| d.id() == clock)
    }

    /// Removes an association.
    pub fn remove_association(&mut self, id: AssociationId) -> Result<(), SystemError> {
        let index = self
            .slots
            .iter()
            .position(|s| s.id == id)
            .ok_or(SystemError::NoSuchAssociation)?;
        let removed = self.slots.swap_remove(index);
        if let Source::Refclock(r) = &removed.source {
            if let Some(i) = self.drivers.iter().position(|d| d.id() == r.id()) {
                self.drivers.swap_remove(i);
            }
        }
        if self.system_peer == Some(id) {
            self.system_peer = None;
        }
        self.emit(Event::AssociationDemobilized { id });
        Ok(())
    }

    fn allocate_id(&mut self) -> AssociationId {
        // ntpd numbers associations from an arbitrary start; any non-zero
        // value not in use will do.
        loop {
            self.next_id = self.next_id.wrapping_add(1);
            if self.next_id == 0 {
                continue;
            }
            let candidate = AssociationId(self.next_id);
            if !self.slots.iter().any(|s| s.id == candidate) {
                return candidate;
            }
        }
    }

    /// Stirs fresh entropy into the generator (call it now and then if the
    /// platform has a random source).
    pub fn add_entropy(&mut self, entropy: [u8; 16]) {
        self.rng.reseed(entropy);
    }

    /// Names this host in mode 6 (`ntpq -c rv`: `processor`, `system`),
    /// e.g. `"x86_64"` and `"Linux/6.1.0"`, or `"cortex-m4"` and `"bare metal"`.
    pub fn set_identity(&mut self, processor: &'static str, system: &'static str) {
        self.sys.processor = processor;
        self.sys.system = system;
    }

    /// The system variables (what our replies and `ntpq rv` show).
    pub fn system_variables(&self) -> &SystemVariables {
        &self.sys
    }

    /// The associations, in slot order.
    pub fn associations(&self) -> impl Iterator<Item = AssociationView<'_>> {
        self.slots.iter().map(Slot::view)
    }

    /// One association by id.
    pub fn association(&self, id: AssociationId) -> Option<AssociationView<'_>> {
        self.slots.iter().find(|s| s.id == id).map(Slot::view)
    }

    /// The current system peer, if any.
    pub fn system_peer(&self) -> Option<AssociationId> {
        self.system_peer
    }

    /// The frequency correction to persist in a drift file (ppm).
    pub fn frequency(&self) -> Frequency {
        self.discipline.frequency()
    }

    /// Packet counters of the system.
    pub fn counters(&self) -> &SystemCounters {
        &self.counters
    }

    /// The oldest queued event (log it), if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    /// The adjustment to apply to the clock, if one is ready. Apply it, then
    /// call [`adjustment_applied`](Self::adjustment_applied).
    pub fn poll_adjustment(&mut self) -> Option<ClockAdjustment> {
        let adj = self.adjustment.take()?;
        self.adjustment_outstanding = true;
        Some(adj)
    }

    /// The caller applied `adj` at local time `now` (read *after* the step).
    /// Shifts the core's timers by the step so nothing fires early or late,
    /// and drops measurements taken in the old timescale.
    pub fn adjustment_applied(&mut self, adj: ClockAdjustment, now: NtpTime) {
        self.adjustment_outstanding = false;
        if adj.is_step() {
            for slot in self.slots.iter_mut() {
                slot.clock_stepped(adj.step);
            }
            for driver in self.drivers.iter_mut() {
                driver.clock_stepped();
            }
            // As ntpd: after a step the system is unsynchronised (refid
            // STEP) until the next update; no system peer until then.
            self.system_peer = None;
            self.sys_epoch = None;
            self.sys.leap = crate::wire::LeapIndicator::Unsynchronized;
            self.sys.stratum = crate::server::STRATUM_UNSYNCHRONIZED;
            self.sys.refid = crate::wire::KissCode::Step.to_ref_id();
        }
        self.discipline.adjustment_applied(&adj, now);
        self.drain_discipline_events();
        self.refresh_system_variables(now);
    }

    /// The local time at which [`handle_timeout`](Self::handle_timeout)
    /// should next be called (earlier input is fine): the next poll, the
    /// discipline's next step, or the end of the system peer's trust time.
    pub fn poll_timeout(&self) -> NtpTime {
        let mut wake = self.discipline.next_timeout().unwrap_or(NtpTime::MAX);
        for slot in &self.slots {
            wake = wake.min(slot.next_timeout());
        }
        // Synchronised to a reference clock: wake when its trust time runs
        // out, so the loss is announced then and not at the next poll.
        if self.sys.is_synchronized()
            && let Some(expires) = self.slots.iter().find_map(|s| match &s.source {
                Source::Refclock(r) if s.id.0 == self.sys.peer => {
                    self.refclock_driver(r.id())?.sync_expires()
                }
                _ => None,
            })
        {
            wake = wake.min(expires + crate::time::NtpDuration::RESOLUTION);
        }
        #[cfg(feature = "control")]
        if self.control.is_some() {
            wake = NtpTime::MIN;
        }
        wake
    }

    /// Runs the timers due at local time `now`: the discipline's own updates
    /// (end of a slew, leap second) and reaping of dead associations. Polls
    /// that are due are sent from [`poll_transmit`](Self::poll_transmit).
    pub fn handle_timeout(&mut self, now: NtpTime) {
        if self.discipline.next_timeout().is_some_and(|t| t <= now) {
            if let Some(adj) = self.discipline.handle_timeout(now) {
                self.set_adjustment(adj);
            }
            self.drain_discipline_events();
        }
        self.reap(now);
        self.refresh_system_variables(now);
    }

    fn drain_discipline_events(&mut self) {
        while let Some(event) = self.discipline.poll_event() {
            self.emit(event);
        }
    }

    /// Queues `event` for the caller and, for system events, records it in
    /// the system status word's event counter (what `ntpq -c rv` shows).
    fn emit(&mut self, event: Event) {
        record(&mut self.sys, &mut self.events, event);
    }

    fn set_adjustment(&mut self, adj: ClockAdjustment) {
        // A later adjustment replaces an unpolled one: frequencies are
        // absolute, and a pending step is carried over.
        match self.adjustment.as_mut() {
            Some(prev) if prev.is_step() && !adj.is_step() => {
                prev.frequency = adj.frequency;
                prev.slew_until = adj.slew_until;
                prev.leap = adj.leap;
            }
            _ => self.adjustment = Some(adj),
        }
    }

    /// Demobilises ephemeral associations that went unreachable or were denied.
    fn reap(&mut self, _now: NtpTime) {
        let mut i = 0;
        while let Some(slot) = self.slots.get(i) {
            if slot.network().is_some_and(Association::should_demobilize) {
                let id = slot.id;
                // swap_remove without its bounds assertion: the last slot
                // takes the place of slot i (or slot i was the last).
                if let Some(last) = self.slots.pop()
                    && let Some(hole) = self.slots.get_mut(i)
                {
                    *hole = last;
                }
                if self.system_peer == Some(id) {
                    self.system_peer = None;
                }
                self.emit(Event::AssociationDemobilized { id });
            } else {
                i += 1;
            }
        }
    }

    /// What associations need to know about us.
    fn snapshot(&self) -> SystemSnapshot {
        SystemSnapshot {
            leap: self.sys.leap,
            stratum: self.sys.stratum,
            precision: self.sys.precision,
            root_delay: self.sys.root_delay,
            root_dispersion: self.sys.root_dispersion,
            reference_id: self.sys.refid,
            reference_time: self
                .sys
                .reference_time
                .map_or(crate::time::NtpTimestamp::ZERO, NtpTime::to_timestamp),
            poll: self.sys.poll,
            max_distance: self.config.select.maxdist,
            max_stratum: 16,
        }
    }
}

/// Queues `event` in `events` and, for system events, records it in `sys`'s
/// status word event counter (what `ntpq -c rv` shows).
fn record<const N: usize>(sys: &mut SystemVariables, events: &mut EventQueue<N>, event: Event) {
    let code = match event {
        Event::ClockStepped { .. } => Some(SystemEvent::ClockStep),
        Event::PanicThresholdExceeded { .. } => Some(SystemEvent::PanicStop),
        Event::FrequencySet { .. } => Some(SystemEvent::FreqSet),
        Event::Synchronized { .. } => Some(SystemEvent::ClockSync),
        Event::SyncLost => Some(SystemEvent::NoSystemPeer),
        Event::LeapArmed { .. } => Some(SystemEvent::LeapArmed),
        Event::LeapApplied { .. } => Some(SystemEvent::LeapEvent),
        _ => None,
    };
    if let Some(code) = code {
        sys.events.record(code as u8);
    }
    events.push(event);
}

/// The system variables that follow the discipline whether or not we are
/// synchronised: poll interval, frequency, clock jitter, time constant.
fn follow_discipline(sys: &mut SystemVariables, discipline: &Discipline) {
    sys.poll = discipline.poll_interval();
    sys.frequency = discipline.frequency();
    sys.clock_jitter = discipline
        .phase_uncertainty()
        .unwrap_or(crate::time::NtpDuration::ZERO);
    sys.time_constant = sys.poll.log2();
}
