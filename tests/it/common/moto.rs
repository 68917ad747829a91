//! moto (`scripts/moto.sh`, at `AWS_ENDPOINT_URL`) is one server for the
//! whole test binary: a test that resets, reads or changes its state holds
//! its one lock.

use std::sync::{Mutex, MutexGuard, PoisonError};

static LOCK: Mutex<()> = Mutex::new(());

/// The lock of moto's state. A test that panicked while holding it poisons
/// it; the next test resets moto anyway, so that is no reason to fail.
pub fn lock() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}
