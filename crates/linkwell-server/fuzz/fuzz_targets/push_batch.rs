//! Fuzzes the server's batch decoding and validation (`rules::decode_and_check`): any bytes
//! must give an answer, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uuid::Uuid;

fuzz_target!(|data: &[u8]| {
    let device = Uuid::from_u128(1);
    let worker = Uuid::from_u128(2);
    let _ = linkwell_server::rules::decode_and_check(data, device, worker);
});
