#![no_main]
//! Any bytes as a push body: decoded, validated and stored by the real server store.

use libfuzzer_sys::fuzz_target;
use linkwell_server::fuzzing::FuzzServer;
use std::sync::OnceLock;

fn server() -> &'static FuzzServer {
    static S: OnceLock<(tempfile::TempDir, FuzzServer)> = OnceLock::new();
    &S.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temporary folder");
        let server = FuzzServer::new(dir.path());
        (dir, server)
    })
    .1
}

fuzz_target!(|body: &[u8]| {
    server().push(body);
});
