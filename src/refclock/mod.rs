//! Reference clocks: local clock, NMEA GPS, Meinberg time strings, PPS.
pub mod calendar;
pub mod id;
pub mod meinberg;
pub mod nmea;
pub mod sentence;
