//! What the server's test binaries share: a server on a free loopback port (its client is the
//! test kit's [`Api`]).

#![allow(
    dead_code,
    reason = "each test binary uses its own part of this module"
)]

use fare_app::api::OpenProject;
use fare_server::{ServeOptions, router, serve};
pub use fare_testkit::api::Api;

/// Starts the server on a free loopback port; returns its base address.
pub fn start(project: OpenProject, options: &ServeOptions) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let app = router(project, options, addr);
    std::thread::spawn(move || runtime.block_on(serve(listener, app)));
    format!("http://{addr}")
}

/// [`start`], and the API there called with `token`.
pub fn serve_api(project: OpenProject, options: &ServeOptions, token: &str) -> Api {
    Api::new(&start(project, options), token)
}
