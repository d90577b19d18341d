//! Fuzz the mode 6 responder: arbitrary datagrams through
//! `ControlRequest::parse` and every fragment of the reply. Nothing may
//! panic, fragments parse back as mode 6 responses with consistent offsets
//! and M bits, and an unauthorised querier never gets more bytes than it sent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sundial::NtpTime;
use sundial::control::{
    ControlContext, ControlPolicy, ControlReply, ControlRequest, MAX_REPLY_LEN, PeerVariables,
};
use sundial::server::SystemVariables;
use sundial::wire::ControlRepr;

fuzz_target!(|data: &[u8]| {
    let Ok(req) = ControlRequest::parse(data, None) else {
        return;
    };
    let sys = SystemVariables::default();
    let peers: [PeerVariables<'_>; 0] = [];
    let ctx = ControlContext {
        system: &sys,
        peers: &peers[..],
        now: NtpTime::from_parts(0xeeac_0000, 0),
        control_key: None,
    };
    for may_amplify in [false, true] {
        let Some(mut reply) = ControlReply::new(
            req.clone(),
            ControlPolicy {
                noquery: false,
                may_amplify,
            },
        ) else {
            return;
        };
        let mut buf = [0u8; MAX_REPLY_LEN];
        let (mut sent, mut offset, mut fragments) = (0usize, 0usize, 0usize);
        while let Some(n) = reply.next_fragment(&ctx, &mut buf) {
            let r = ControlRepr::parse(&buf[..n]).expect("fragment parses");
            assert!(r.response);
            assert_eq!(usize::from(r.offset), offset);
            offset += r.data.len();
            sent += n;
            fragments += 1;
            assert!(fragments < 200);
            if !r.more {
                break;
            }
        }
        if !may_amplify {
            assert!(sent <= data.len());
        }
    }
});
