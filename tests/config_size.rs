//! Memory of the no_std configuration types (printed with `--nocapture`, bounded by asserts
//! so growth is noticed).

use core::mem::size_of;

use sundial::auth::KeyTable;
use sundial::config::{
    Association, Config, DefaultConfig, Error, Fudge, Parser, Restrict, SmallConfig,
};

#[test]
fn sizes() {
    let small = size_of::<SmallConfig>();
    let default = size_of::<DefaultConfig>();
    println!("Config<8, 16, 8> (8 servers, 16 restrict, 8 trusted keys): {small} bytes");
    println!("Config<16, 32, 16> (DefaultConfig): {default} bytes");
    println!("Parser<8, 16, 8>: {} bytes", size_of::<Parser<8, 16, 8>>());
    println!(
        "KeyTable<8> (keys file, 8 keys): {} bytes",
        size_of::<KeyTable<8>>()
    );
    println!(
        "per entry: Association {} / Fudge {} / Restrict {} bytes; Error {} bytes",
        size_of::<Association>(),
        size_of::<Fudge>(),
        size_of::<Restrict>(),
        size_of::<Error>()
    );
    // 3656 bytes on 64-bit targets when written; leave some room, catch doubling.
    assert!(small <= 4096, "{small}");
    println!("Config<0, 0, 0>: {} bytes", size_of::<Config<0, 0, 0>>());
    assert!(size_of::<Config<0, 0, 0>>() <= 2048);
    assert!(size_of::<Error>() <= 96);
}
