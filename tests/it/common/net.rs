//! Real network parts on loopback for the proxy and TLS tests: a throwaway
//! CA and a server certificate made with `openssl`, `stunnel4` serving moto
//! over TLS with it, and `tinyproxy` in the configurations an Agent host
//! meets (open, wanting credentials, refusing CONNECT). The tools come with
//! the Agent-host sandbox image (`scripts/sandbox.sh`), so these tests gate
//! on the sandbox and moto.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::gate::{self, Service};
use super::moto::Moto;

/// Moto and the sandbox's tools, or `None` when the test is skipped knowingly.
pub fn fresh() -> Option<Moto> {
    if !gate::require(Service::Sandbox | Service::Moto) {
        return None;
    }
    require_tools();
    Moto::fresh()
}

/// Panics unless openssl, stunnel4 and tinyproxy are on PATH.
pub fn require_tools() {
    for tool in ["openssl", "stunnel4", "tinyproxy"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            found,
            "{tool} is missing from the sandbox: scripts/sandbox.sh installs it (PACKAGES)"
        );
    }
}

/// A loopback port nothing listens on (bound, then closed).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// moto's `host:port`, from `AWS_ENDPOINT_URL`.
pub fn moto_addr() -> String {
    std::env::var("AWS_ENDPOINT_URL")
        .expect("AWS_ENDPOINT_URL")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

fn wait_listening(port: u16, what: &str, child: &mut Child, log: &Path) {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "{what} exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} does not listen on {port}");
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run a tool");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throwaway CA and a server certificate for 127.0.0.1 and localhost.
pub struct Ca {
    pub dir: PathBuf,
    /// The CA's certificate: what `AWS_CA_BUNDLE` points at.
    pub bundle: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Ca {
    pub fn new(dir: &Path) -> Ca {
        let p = |n: &str| dir.join(n);
        run(Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes"])
            .arg("-keyout")
            .arg(p("ca.key"))
            .arg("-out")
            .arg(p("ca.pem"))
            .args(["-days", "2", "-subj", "/CN=runbook throwaway test CA"]));
        run(Command::new("openssl")
            .args(["req", "-newkey", "rsa:2048", "-nodes"])
            .arg("-keyout")
            .arg(p("server.key"))
            .arg("-out")
            .arg(p("server.csr"))
            .args(["-subj", "/CN=127.0.0.1"]));
        std::fs::write(
            p("ext"),
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:moto.runbook.test\n",
        )
        .unwrap();
        run(Command::new("openssl")
            .args(["x509", "-req", "-days", "2", "-CAcreateserial"])
            .arg("-in")
            .arg(p("server.csr"))
            .arg("-CA")
            .arg(p("ca.pem"))
            .arg("-CAkey")
            .arg(p("ca.key"))
            .arg("-out")
            .arg(p("server.pem"))
            .arg("-extfile")
            .arg(p("ext")));
        Ca {
            dir: dir.to_path_buf(),
            bundle: p("ca.pem"),
            cert: p("server.pem"),
            key: p("server.key"),
        }
    }
}

/// A child process that is killed when dropped.
pub struct Daemon {
    child: Child,
    pub port: u16,
    pub log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// stunnel4 serving `backend` (`host:port`) over TLS with `ca`'s server certificate.
pub fn tls_front(ca: &Ca, backend: &str) -> Daemon {
    let port = free_port();
    let conf = ca.dir.join(format!("stunnel-{port}.conf"));
    let log = ca.dir.join(format!("stunnel-{port}.log"));
    std::fs::write(
        &conf,
        format!(
            "foreground = yes\npid =\noutput = {}\n[moto]\naccept = 127.0.0.1:{port}\nconnect = {backend}\ncert = {}\nkey = {}\n",
            log.display(),
            ca.cert.display(),
            ca.key.display()
        ),
    )
    .unwrap();
    let mut child = Command::new("stunnel4")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start stunnel4");
    wait_listening(port, "stunnel4", &mut child, &log);
    Daemon { child, port, log }
}

/// How a tinyproxy is set up.
pub enum ProxyKind {
    /// Forwards, and tunnels CONNECT to these ports.
    Open(Vec<u16>),
    /// The same, and wants `user:password` (Basic).
    Auth(Vec<u16>, &'static str, &'static str),
    /// Refuses every CONNECT (403).
    RefusesConnect,
}

/// A tinyproxy on a loopback port, logging each connection.
pub fn tinyproxy(dir: &Path, kind: ProxyKind) -> Daemon {
    let port = free_port();
    let conf = dir.join(format!("tinyproxy-{port}.conf"));
    let log = dir.join(format!("tinyproxy-{port}.log"));
    let mut text = format!(
        "Port {port}\nListen 127.0.0.1\nLogFile \"{}\"\nLogLevel Connect\nMaxClients 50\n",
        log.display()
    );
    let allow =
        |ports: &[u16]| -> String { ports.iter().map(|p| format!("ConnectPort {p}\n")).collect() };
    match kind {
        ProxyKind::Open(ports) => text.push_str(&allow(&ports)),
        ProxyKind::Auth(ports, user, password) => {
            text.push_str(&allow(&ports));
            text.push_str(&format!("BasicAuth {user} {password}\n"));
        }
        // Only a port nothing uses may be tunnelled to.
        ProxyKind::RefusesConnect => text.push_str("ConnectPort 1\n"),
    }
    std::fs::write(&conf, text).unwrap();
    let mut child = Command::new("tinyproxy")
        .arg("-d")
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start tinyproxy");
    wait_listening(port, "tinyproxy", &mut child, &log);
    Daemon { child, port, log }
}
