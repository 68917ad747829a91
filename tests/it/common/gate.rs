//! Skip or fail: the one rule for a test that needs a service.
//!
//! A test that needs moto or the Agent-host sandbox and cannot find it
//! fails, saying how to start it. Outside CI a developer may skip such tests
//! on purpose: `RUNBOOK_SKIP_AWS=1` for moto, `RUNBOOK_SKIP_SANDBOX=1` for
//! the sandbox; each skip prints a `SKIPPED` line past the test harness's
//! output capture, so it is seen even though the test then returns. Under CI
//! (`CI=true` or `CI=1`, as `scripts/test.sh` sets) a skip is refused: CI
//! never passes by skipping.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::ops::BitOr;
use std::path::Path;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// The AWS emulator, at `AWS_ENDPOINT_URL` (`scripts/moto.sh`).
    Moto,
    /// Inside the Agent-host sandbox: systemd as PID 1, `/etc/hydra`, the
    /// machine's Docker daemon (`scripts/sandbox.sh`).
    Sandbox,
}

/// One or more services: `Service::Sandbox | Service::Moto`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Services(u8);

impl Service {
    const ALL: [Service; 2] = [Service::Sandbox, Service::Moto];

    fn bit(self) -> u8 {
        match self {
            Service::Moto => 1,
            Service::Sandbox => 2,
        }
    }

    fn skip_var(self) -> &'static str {
        match self {
            Service::Moto => "RUNBOOK_SKIP_AWS",
            Service::Sandbox => "RUNBOOK_SKIP_SANDBOX",
        }
    }

    fn how_to_start(self) -> &'static str {
        match self {
            Service::Moto => {
                "start moto with `scripts/moto.sh start && . .build/moto.env`, or run the tests with scripts/test.sh"
            }
            Service::Sandbox => {
                "run the tests with scripts/test.sh, which starts the sandbox and runs the test binary inside it (e.g. `scripts/test.sh sandbox::`)"
            }
        }
    }

    /// Why the service is not there, or `None` when it is.
    fn missing(self) -> Option<String> {
        match self {
            Service::Moto => {
                let url = std::env::var("AWS_ENDPOINT_URL").unwrap_or_default();
                if url.is_empty() {
                    return Some("AWS_ENDPOINT_URL (moto) is not set".into());
                }
                let host = url
                    .trim_start_matches("http://")
                    .trim_end_matches('/')
                    .to_string();
                let answers = host
                    .to_socket_addrs()
                    .ok()
                    .and_then(|mut a| a.next())
                    .is_some_and(|addr| {
                        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
                    });
                (!answers).then(|| format!("moto does not answer at {url} (AWS_ENDPOINT_URL)"))
            }
            Service::Sandbox => {
                // Tests that need it change systemd state: never where systemd
                // does not run (a developer's host), only in the sandbox that
                // marks itself.
                let systemd = Path::new("/run/systemd/system").is_dir();
                let marked = Path::new("/etc/hydra/sandbox.env").is_file();
                (!(systemd && marked)).then(|| {
                    format!(
                        "not inside the Agent-host sandbox (/run/systemd/system: {systemd}, /etc/hydra/sandbox.env: {marked})"
                    )
                })
            }
        }
    }
}

impl Services {
    fn has(self, s: Service) -> bool {
        self.0 & s.bit() != 0
    }
}

impl From<Service> for Services {
    fn from(s: Service) -> Self {
        Services(s.bit())
    }
}

impl BitOr for Service {
    type Output = Services;
    fn bitor(self, other: Service) -> Services {
        Services(self.bit() | other.bit())
    }
}

impl BitOr<Service> for Services {
    type Output = Services;
    fn bitor(self, other: Service) -> Services {
        Services(self.0 | other.bit())
    }
}

/// `CI=true` or `CI=1`.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// `true` when every service is there. `false` when the test is to return:
/// outside CI, a missing service is skipped knowingly by its variable (the
/// test cannot run without it, whatever else is missing); the skip has been
/// printed. Otherwise a missing service is a panic that says how to start it.
#[must_use]
pub fn require(services: impl Into<Services>) -> bool {
    let services = services.into();
    let missing: Vec<(Service, String)> = Service::ALL
        .into_iter()
        .filter(|s| services.has(*s))
        .filter_map(|s| s.missing().map(|why| (s, why)))
        .collect();
    if missing.is_empty() {
        return true;
    }
    let asked = |s: Service| std::env::var(s.skip_var()).is_ok_and(|v| v == "1");
    let skipped: Vec<&str> = missing
        .iter()
        .filter(|(s, _)| asked(*s))
        .map(|(s, _)| s.skip_var())
        .collect();
    if in_ci() || skipped.is_empty() {
        let (s, why) = &missing[0];
        let var = s.skip_var();
        if in_ci() {
            let refused = if skipped.is_empty() {
                String::new()
            } else {
                format!(
                    "; {}=1 is refused under CI, which never passes by skipping",
                    skipped.join("=1, ")
                )
            };
            panic!("{why}: {}{refused}", s.how_to_start());
        }
        panic!(
            "{why}: {} (or set {var}=1 to skip these tests knowingly outside CI)",
            s.how_to_start()
        );
    }
    // The harness names each test's thread after the test.
    let test = std::thread::current()
        .name()
        .unwrap_or("a test")
        .to_string();
    let why: Vec<&str> = missing.iter().map(|(_, why)| why.as_str()).collect();
    // Past libtest's capture (which only takes print!/eprint!), so it shows.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED {test} ({}=1): {}",
        skipped.join("=1, "),
        why.join("; ")
    );
    count_skip();
    false
}

static SKIPPED: AtomicUsize = AtomicUsize::new(0);

/// libtest has no runtime skip: a skipped test returns and is counted as
/// passed. The count of skips is printed again after libtest's own summary.
fn count_skip() {
    static AT_EXIT: Once = Once::new();
    extern "C" fn summary() {
        let n = SKIPPED.load(Ordering::SeqCst);
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {n} test(s) knowingly (RUNBOOK_SKIP_*): the \"passed\" count above includes them"
        );
    }
    SKIPPED.fetch_add(1, Ordering::SeqCst);
    // SAFETY: registers a plain function that only writes to stderr.
    AT_EXIT.call_once(|| unsafe {
        nix::libc::atexit(summary);
    });
}
