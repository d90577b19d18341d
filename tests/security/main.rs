//! ntpd's vulnerability history as a regression suite. Each CVE is either
//! re-enacted against the real core (`Ntp`, its associations, server, mode 6
//! responder, reference clock drivers and configuration parsers) with an
//! assertion on the specific protective behaviour, or marked not applicable
//! with the reason. Tests in other files are named with theirs.
//!
//! | CVE | attack | covered by |
//! | --- | --- | --- |
//! | **Off-path spoofing** | | |
//! | 2015-7704, 2015-7705 | spoofed kiss-o'-death stops or slows a client | `spoofing::cve_2015_7704_7705_spoofed_kiss_o_death_is_ignored`, `spoofing::one_shot_sntp_query_refuses_the_same_forgeries` (the `sntp` module); `association_attacks::forged_kisses_change_nothing` |
//! | 2015-8138, 2016-7431 | reply with a zero origin timestamp accepted | `spoofing::cve_2015_8138_2016_7431_zero_origin_is_rejected`, `spoofing::one_shot_sntp_query_refuses_the_same_forgeries`; `association_attacks::forged_replies_are_bogus` |
//! | 2016-9042 | packets with a bad origin make the real reply look bogus | `spoofing::cve_2016_9042_bogus_origins_do_not_block_the_real_reply` |
//! | 2016-4954 | spoofed server packet partially updates peer state | `spoofing::cve_2016_4954_spoofed_server_packet_updates_no_peer_state`, `spoofing::off_path_packets_never_change_a_client` (property) |
//! | 2020-11868 | unauthenticated packet reschedules polls, blocking sync | `spoofing::cve_2020_11868_spoofed_reply_does_not_reschedule_polls` |
//! | 2020-13817 | predictable transmit timestamps let replies be forged | `spoofing::cve_2020_13817_transmit_timestamps_are_unpredictable`; `association_attacks::request_cookie_is_random_and_not_our_clock` |
//! | **Authentication** | | |
//! | 2015-1798 | packet with a missing or short MAC accepted | `auth::cve_2015_1798_missing_or_short_mac_is_never_accepted`; `association_attacks::truncated_packets_never_reach_the_association` |
//! | 2015-7871 | crypto-NAK accepted as authentic (passive peer mobilised) | `auth::cve_2015_7871_crypto_nak_is_never_accepted`; `association_attacks::keyed_association_rejects_bad_macs_and_crypto_naks` |
//! | 2016-1547, 2016-4953 | crypto-NAK or bad MAC demobilises an ephemeral association | `auth::cve_2016_1547_4953_bad_packets_do_not_demobilize_ephemeral_associations` |
//! | 2016-1550 | MAC compared with an early-exit compare (timing oracle) | `auth::cve_2016_1550_mac_compare_is_constant_time`, `auth::constant_time_compare_is_correct` |
//! | 2015-1799, 2018-7170 | unauthenticated / Sybil ephemeral symmetric associations | `auth::cve_2015_1799_2018_7170_ephemeral_peers_need_authentication`, `spoofing::unauthenticated_packets_never_change_a_keyed_peer` (property); `association::passive_peer_is_mobilized_only_when_authenticated` |
//! | 2015-1799 (replay) | a recorded authentic symmetric packet, replayed, keeps the peer from ever taking a sample | `auth::cve_2015_1799_replayed_authentic_packets_cannot_starve_a_keyed_peer`, `auth::replay_window_reopens_for_a_peer_that_stepped_back` |
//! | 2018-7185, 2016-1548 | unauthenticated packet resets an association or switches it to interleaved mode | `auth::cve_2018_7185_2016_1548_unauthenticated_packets_cannot_reset_or_switch_interleave` |
//! | 2018-7184 | interleaved symmetric association cannot recover from a bad packet | we have no interleaved symmetric mode (interleaving is client/server only); the basic symmetric recovery: `auth::cve_2018_7184_symmetric_association_recovers_from_a_bad_packet` |
//! | **Broadcast** | | |
//! | 2016-7427 | broadcast replay protection turned against real broadcasts | `broadcast::cve_2016_7427_broadcast_replays_are_rejected_and_cannot_be_poisoned` |
//! | 2016-7428 | broadcast poll-interval check poisoned | `broadcast::cve_2016_7428_broadcast_poll_cannot_be_poisoned` |
//! | 2016-4956 | broadcast client switched to interleaved mode | `broadcast::cve_2016_4956_broadcast_clients_never_switch_to_interleaved` |
//! | **Server and management** | | |
//! | 2013-5211 | mode 7 `monlist` amplification | `management::cve_2013_5211_mode_7_monlist_is_ignored`; `amplification::*` (no mode 7 implementation exists) |
//! | 2016-9310 | mode 6 information disclosure and amplification | `management::cve_2016_9310_mode_6_replies_are_bounded_and_disclose_no_clients`; `amplification::*` |
//! | 2016-7426 | rate limiting turned against a victim with spoofed sources | `management::cve_2016_7426_rate_limits_cannot_be_turned_against_others` |
//! | 2015-7703 | remote configuration (`:config`, `setvar`) | no remote configuration exists; every mode 6 write refused: `management::cve_2015_7703_no_remote_configuration` |
//! | 2016-1551 | packets from 127.127.0.0/16 impersonate a reference clock | `spoofing::cve_2016_1551_packets_from_refclock_addresses_are_refused` |
//! | **Parsers** (each also a fuzz target under `fuzz/`) | | |
//! | 2014-9295, 2017-6458, 2018-7182 | control message buffer overruns (`ctl_putdata`, `ctl_put*`, `ctl_getitem`) | `parsers::cve_2014_9295_2017_6458_2018_7182_control_message_buffers`; fuzz `control`, `control_responder` |
//! | 2015-7855 | long mode 6/7 data asserts in `decodenetnum` | `parsers::cve_2015_7855_long_mode_6_data_is_refused`; fuzz `control`, `system` |
//! | 2016-7434 | malformed `mrulist` query crashes ntpd | `parsers::cve_2016_7434_malformed_mrulist_requests` (there is no MRU list: bad opcode) |
//! | 2015-7852 | ntpq reads past a hostile reply (`atoascii`) | `parsers::cve_2015_7852_hostile_mode_6_replies_are_refused_by_the_reply_parser` (wire parser, `control::client` reassembler and value readers), unit test `control::client::tests::refusals_keep_what_is_held`; fuzz `control_client` |
//! | 2015-7853, 2017-6462, 2023-26555 | reference clock data overruns (datalen, Datum, Praecis) | `parsers::cve_2015_7853_2017_6462_2023_26555_refclock_input_is_bounded` (we have no Datum or Praecis driver; NMEA and Meinberg take the same inputs); fuzz `nmea`, `meinberg`, `refclock_stream` |
//! | 2015-7854 | over-long password in the keys file | `parsers::cve_2015_7854_long_keys_are_refused`; fuzz `config_keys` |
//! | 2023-26551..26554 | number parsing (`mstolfp`) overruns | `parsers::cve_2023_26551_to_26554_number_parsing`; fuzz `decimal`, `config_ntpconf` |
//! | **Root distance** | | |
//! | 2016-7433 | root distance without the peer dispersion (and jitter) at the initial sync | `spoofing::cve_2016_7433_root_distance_includes_dispersion_and_jitter` |
//! | **Also checked** (not in the list) | | |
//! | 2009-3563 | two servers answer each other's error replies forever (a spoofed mode 7 packet) | `management::cve_2009_3563_no_reply_loops_between_two_servers` (every mode, mode 6 requests and replies, kisses) |
//! | 2016-9311 | mode 6 trap registration crashes or reflects | `management::cve_2016_9310_mode_6_replies_are_bounded_and_disclose_no_clients` (traps refused, nothing sent to the requester later) |
//! | 2016-9312, 2017-6464 | oversized datagrams; out-of-range reference clock `mode` | `parsers::cve_2016_9312_2017_6464_oversized_datagrams_and_refclock_modes` |
//!
//! Not applicable at all: Autokey (CVE-2015-7691, 2015-7692, 2015-7701,
//! 2015-7702) — sundial has no Autokey; `ntpdc` / mode 7 (CVE-2015-7848,
//! 2015-7849) — mode 7 packets are dropped before any parsing; remote
//! configuration and `saveconfig` (CVE-2015-5146, 2015-7850, 2015-7851,
//! 2016-2516, 2016-2517, 2016-2518) — no such code path exists, and every
//! mode 6 write is refused (see 2015-7703).

mod auth;
mod broadcast;
mod harness;
mod management;
mod parsers;
mod spoofing;
