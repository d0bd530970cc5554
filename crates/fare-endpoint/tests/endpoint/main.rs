//! The endpoint client's and server's integration tests, one binary: real HTTP on loopback.

mod fuzz;
mod http_client;
mod serve_model;
mod support;
