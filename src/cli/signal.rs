//! Ctrl-C and SIGTERM: the first asks the run to stop between operations, the
//! second ends the process at once (except in the REPL).

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

use crate::host::Cancel;

/// Blocks SIGINT/SIGTERM in this thread (and the threads it starts) and waits
/// for them in a dedicated thread. Children get a clean signal mask from std.
pub fn install(cancel: Cancel, exit_on_second: bool) {
    let mut set = SigSet::empty();
    set.add(Signal::SIGINT);
    set.add(Signal::SIGTERM);
    if pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None).is_err() {
        return;
    }
    std::thread::spawn(move || {
        loop {
            let Ok(_sig) = set.wait() else { return };
            if exit_on_second && cancel.is_cancelled() {
                eprintln!("\ninterrupted again: exiting now");
                std::process::exit(130);
            }
            cancel.cancel();
        }
    });
}
