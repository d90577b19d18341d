//! SIGTERM / SIGINT handling: the handler only sets a flag; the event loop checks it after
//! every `poll(2)` return (the handler is installed without `SA_RESTART`, so `poll` wakes up).

use std::io;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static STOP: AtomicBool = AtomicBool::new(false);
static SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    SIGNAL.store(sig, Ordering::SeqCst);
    STOP.store(true, Ordering::SeqCst);
}

/// Installs the handler for SIGTERM and SIGINT.
pub fn install() -> io::Result<()> {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: sigaction is a plain C struct; zero is a valid start. The handler only
        // touches atomics, which is async-signal-safe.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            libc::sigemptyset(&mut sa.sa_mask);
            sa.sa_flags = 0;
            if libc::sigaction(sig, &sa, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(())
}

/// The signal that asked us to stop, if one did.
pub fn stop_requested() -> Option<i32> {
    if STOP.load(Ordering::SeqCst) {
        Some(SIGNAL.load(Ordering::SeqCst))
    } else {
        None
    }
}
