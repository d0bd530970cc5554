//! Downloads from a Hugging Face hub on loopback ([`fare_testkit::hub`]): in full, cut off and
//! resumed, cancelled and resumed by a new download, bytes that do not match the hub's hash, a
//! download larger than the free space, a full disk, a cache that cannot be written, a gated
//! model without its token, a repository that is not there.

#![allow(clippy::unwrap_used, reason = "tests")]

mod downloads;
