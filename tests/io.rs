//! `io::pump` drives two cores through the `Clock` and `Network` traits over
//! an in-memory network: the same loop a firmware main would run.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::rc::Rc;

use sundial::adjust::ClockAdjustment;
use sundial::association::AssociationConfig;
use sundial::io::{Clock, Network, Received, pump};
use sundial::refclock::{Fudge, Refclock, RefclockId};
use sundial::select::CandidateFlags;
use sundial::system::{Ntp, SystemConfig};
use sundial::{NtpDuration, NtpTime};

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 123);
const CLIENT: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 123);

/// Simulated true time, ns since the start.
type World = Rc<RefCell<f64>>;

struct VirtualClock {
    world: World,
    offset_ns: f64,
    /// Frequency correction, s/s.
    frequency: f64,
    adjustments: usize,
}

impl Clock for VirtualClock {
    type Error = ();
    fn now(&mut self) -> NtpTime {
        let ns = *self.world.borrow() + self.offset_ns;
        NtpTime::from_parts(3_990_000_000, 0) + NtpDuration::from_nanos(ns as i64)
    }
    fn apply(&mut self, adj: &ClockAdjustment) -> Result<(), ()> {
        self.offset_ns += adj.step.as_nanos() as f64;
        self.frequency = adj.frequency.as_ppb() as f64 * 1e-9;
        self.adjustments += 1;
        Ok(())
    }
}

type Wire = Rc<RefCell<VecDeque<(SocketAddr, SocketAddr, Vec<u8>)>>>;

struct Net {
    me: SocketAddr,
    wire: Wire,
    clock_offset_ns: f64,
    world: World,
}

impl Network for Net {
    type Error = ();
    fn receive(&mut self, buf: &mut [u8]) -> nb::Result<Received, ()> {
        let mut wire = self.wire.borrow_mut();
        let Some(pos) = wire.iter().position(|(to, _, _)| *to == self.me) else {
            return Err(nb::Error::WouldBlock);
        };
        let (_, from, bytes) = wire.remove(pos).expect("present");
        buf[..bytes.len()].copy_from_slice(&bytes);
        let ns = *self.world.borrow() + self.clock_offset_ns;
        Ok(Received {
            len: bytes.len(),
            from,
            rx_time: NtpTime::from_parts(3_990_000_000, 0) + NtpDuration::from_nanos(ns as i64),
        })
    }
    fn send(&mut self, to: SocketAddr, bytes: &[u8]) -> nb::Result<(), ()> {
        self.wire
            .borrow_mut()
            .push_back((to, self.me, bytes.to_vec()));
        Ok(())
    }
}

#[test]
fn pump_synchronises_a_client_to_a_server() {
    let world: World = Rc::new(RefCell::new(0.0));
    let wire: Wire = Rc::new(RefCell::new(VecDeque::new()));
    let mut server_clock = VirtualClock {
        world: world.clone(),
        offset_ns: 0.0,
        frequency: 0.0,
        adjustments: 0,
    };
    let mut client_clock = VirtualClock {
        world: world.clone(),
        offset_ns: 0.3e9,
        frequency: 0.0,
        adjustments: 0,
    };
    let t0 = server_clock.now();
    let mut server: Ntp<4, 4> = Ntp::new(SystemConfig::default(), t0, [7; 16]);
    let id = RefclockId::new(1, 0);
    let fudge = Fudge {
        stratum: Some(3),
        ..Fudge::NONE
    };
    server
        .add_refclock(
            Refclock::new(id, 0, fudge).expect("local"),
            None,
            CandidateFlags::empty(),
            t0,
        )
        .expect("slot");
    let mut client: Ntp<4, 4> = Ntp::new(SystemConfig::default(), client_clock.now(), [8; 16]);
    let mut assoc = AssociationConfig::client(SERVER);
    assoc.poll.iburst = true;
    client
        .add_association(assoc, CandidateFlags::empty(), client_clock.now())
        .expect("slot");
    let mut server_net = Net {
        me: SERVER,
        wire: wire.clone(),
        clock_offset_ns: 0.0,
        world: world.clone(),
    };
    let mut client_net = Net {
        me: CLIENT,
        wire: wire.clone(),
        clock_offset_ns: 0.3e9,
        world: world.clone(),
    };
    // Ten simulated minutes in 100 ms steps; a request and its reply cross
    // the wire within one step (zero delay both ways).
    for _ in 0..6000 {
        for _ in 0..2 {
            client_net.clock_offset_ns = client_clock.offset_ns;
            pump(&mut client, &mut client_clock, &mut client_net).expect("client");
            pump(&mut server, &mut server_clock, &mut server_net).expect("server");
        }
        *world.borrow_mut() += 1e8;
        client_clock.offset_ns += 1e8 * client_clock.frequency;
        server_clock.offset_ns += 1e8 * server_clock.frequency;
    }
    assert_eq!(
        client.system_variables().stratum,
        5,
        "refclock 3 → server 4 → client 5"
    );
    assert!(client_clock.adjustments > 0);
    assert!(
        client_clock.offset_ns.abs() < 1e6,
        "client stepped to within 1 ms: {} ns",
        client_clock.offset_ns
    );
}
