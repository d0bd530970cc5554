//! The application layer's integration tests, one binary (the TypeScript bindings check,
//! `ts_bindings`, stays its own, as `FARE_UPDATE_BINDINGS=1` runs it alone): the analysis,
//! the API, the demo and judging, on real project files.

mod analysis;
mod api;
mod demo;
mod judge;
