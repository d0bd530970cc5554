//! Panics turned into errors at the edges where one call or one job runs: a bug in one
//! project call must not leave the server's or the window's shared project locked for good,
//! nor a job "running" forever so that no other can start.
//!
//! Whoever held state the panicking code was changing treats it as suspect and rebuilds it
//! ([`crate::api::OpenProject::guarded`] opens the project anew; SQLite has already rolled
//! back whatever transaction the call left open).

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs `f`; a panic in it comes back as `Err` with the panic's message.
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| message(payload.as_ref()))
}

/// A panic payload's text: the `&str` or `String` that `panic!` was given.
pub fn message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_comes_back_with_its_message() {
        assert_eq!(catch(|| 7), Ok(7));
        assert_eq!(
            catch(|| -> u8 { panic!("static text") }),
            Err("static text".to_owned())
        );
        let n = 3;
        assert_eq!(
            catch(|| -> u8 { panic!("formatted {n}") }),
            Err("formatted 3".to_owned())
        );
        assert_eq!(
            catch(|| std::panic::panic_any(5_u32)),
            Err("a panic without a message".to_owned())
        );
    }
}
