//! AWS calls through a real tinyproxy to moto over TLS (stunnel4), one TLS
//! front per service (`AWS_ENDPOINT_URL_<SERVICE>`), so the proxy's log shows
//! a CONNECT for each service that was used; NO_PROXY and `--no-proxy`
//! bypass it; proxy credentials work and never show; a proxy that is down,
//! refuses CONNECT or wants credentials each get their own error.

use crate::common::net::{self, Ca, Daemon, ProxyKind};
use crate::common::{Output, Test};

const PASSWORD: &str = "pr0xy-s3cret-pw";

/// The TLS fronts (IAM, STS, Secrets Manager) and the CA.
struct Site {
    t: Test,
    ca: Ca,
    fronts: Vec<Daemon>,
}

impl Site {
    fn new() -> Site {
        let t = Test::new();
        t.file(
            "creds.ini",
            "[verify]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        );
        let ca = Ca::new(t.path());
        let fronts = (0..3)
            .map(|_| net::tls_front(&ca, &net::moto_addr()))
            .collect();
        Site { t, ca, fronts }
    }

    fn ports(&self) -> Vec<u16> {
        self.fronts.iter().map(|f| f.port).collect()
    }

    fn proxy(&self, kind: fn(Vec<u16>) -> ProxyKind) -> Daemon {
        net::tinyproxy(self.t.path(), kind(self.ports()))
    }

    /// A run with the site's endpoints and CA; `host` names the endpoints.
    fn run(self, host: &str, env: &[(&str, String)], args: &[&str]) -> Output {
        let p = self.ports();
        let mut t = self
            .t
            .env_remove("AWS_ENDPOINT_URL")
            .env("AWS_ENDPOINT_URL_IAM", format!("https://{host}:{}", p[0]))
            .env("AWS_ENDPOINT_URL_STS", format!("https://{host}:{}", p[1]))
            .env(
                "AWS_ENDPOINT_URL_SECRETS_MANAGER",
                format!("https://{host}:{}", p[2]),
            )
            .env("AWS_CA_BUNDLE", &self.ca.bundle)
            .env("AWS_MAX_ATTEMPTS", "1")
            .args(args);
        for (k, v) in env {
            t = t.env(k, v);
        }
        let out = t.run();
        drop(self.fronts);
        out
    }
}

const ALL_SERVICES: &str = r#"
    let who = sts::whoami();
    // The verification of a profile from a credentials file has clients of its own.
    sts::whoami(#{profile: "verify", credentials_file: "creds.ini", region: "us-east-1"});
    iam::user("nobody");
    try { secrets::describe("nothing-here"); } catch {}
    print(aws::settings());
    who.account
"#;

fn connects(proxy: &Daemon) -> String {
    proxy
        .log_text()
        .lines()
        .filter(|l| l.contains("CONNECT 127.0.0.1:") || l.contains("CONNECT localhost:"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_service_goes_through_https_proxy() {
    let Some(_m) = net::fresh() else { return };
    let site = Site::new();
    let ports = site.ports();
    let proxy = site.proxy(ProxyKind::Open);
    let url = format!("http://127.0.0.1:{}", proxy.port);
    let out = site.run(
        "127.0.0.1",
        &[("HTTPS_PROXY", url)],
        &["eval", ALL_SERVICES],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(out.stdout, "123456789012");
    let log = connects(&proxy);
    for p in ports {
        assert_contains!(
            log,
            &format!("CONNECT 127.0.0.1:{p}"),
            "{}",
            proxy.log_text()
        );
    }
    assert_contains!(
        out.stdout,
        &format!("127.0.0.1:{} (from HTTPS_PROXY)", proxy.port)
    );
}

#[test]
fn a_bundled_playbook_runs_through_the_proxy_over_tls() {
    let Some(_m) = net::fresh() else { return };
    let mut site = Site::new();
    let (iam, sts) = (site.ports()[0], site.ports()[1]);
    let proxy = site.proxy(ProxyKind::Open);
    // The hand-over file is where the new key's secret is meant to go.
    let handover = site.t.path().join("key.ini");
    site.t = site.t.destination(&handover);
    let out = site.run(
        "127.0.0.1",
        &[("https_proxy", format!("http://127.0.0.1:{}", proxy.port))],
        &[
            "run",
            "alation-agent/iam-user",
            "--set",
            "user_name=proxy-agent",
            "--set",
            &format!("handover_file={}", handover.display()),
        ],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    let log = connects(&proxy);
    assert_contains!(log, &format!("CONNECT 127.0.0.1:{iam}"));
    assert_contains!(log, &format!("CONNECT 127.0.0.1:{sts}"));
}

#[test]
fn no_proxy_entries_and_the_no_proxy_flag_connect_directly() {
    let Some(_m) = net::fresh() else { return };
    let cases: [(&str, &str, &[&str]); 5] = [
        ("127.0.0.1", "127.0.0.1", &[]),
        ("127.0.0.1", "10.0.0.0/8, 127.0.0.0/8", &[]),
        ("localhost", "example.com,localhost", &[]),
        ("127.0.0.1", "*", &[]),
        ("127.0.0.1", "", &["--no-proxy"]),
    ];
    for (host, no_proxy, flags) in cases {
        let site = Site::new();
        let proxy = site.proxy(ProxyKind::Open);
        let mut args = vec!["eval"];
        args.extend_from_slice(flags);
        args.push(ALL_SERVICES);
        let out = site.run(
            host,
            &[
                ("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port)),
                ("NO_PROXY", no_proxy.to_string()),
            ],
            &args,
        );
        assert_eq!(out.code, 0, "NO_PROXY={no_proxy} {flags:?}: {}", out.all());
        assert_eq!(
            connects(&proxy),
            "",
            "NO_PROXY={no_proxy} {flags:?} went through the proxy"
        );
    }
}

#[test]
fn proxy_credentials_work_and_appear_in_no_output() {
    let Some(_m) = net::fresh() else { return };
    for extra in [&["--verbose"][..], &["--output", "json"][..]] {
        let site = Site::new();
        let proxy = site.proxy(|p| ProxyKind::Auth(p, "alice", PASSWORD));
        let url = format!("http://alice:{PASSWORD}@127.0.0.1:{}", proxy.port);
        let mut args = vec!["eval"];
        args.extend_from_slice(extra);
        args.push(ALL_SERVICES);
        let out = site.run("127.0.0.1", &[("HTTPS_PROXY", url)], &args);
        assert_eq!(out.code, 0, "{}", out.all());
        assert_not_contains!(out.all(), PASSWORD);
        assert_not_contains!(out.all(), "alice:");
        assert_contains!(
            out.all(),
            &format!(
                "127.0.0.1:{} (from HTTPS_PROXY, with credentials)",
                proxy.port
            )
        );
        assert_contains!(connects(&proxy), "CONNECT 127.0.0.1:");
    }
}

#[test]
fn a_proxy_that_is_down_refuses_or_wants_credentials_gets_its_own_error() {
    let Some(_m) = net::fresh() else { return };
    // Down: nothing listens on the port.
    let site = Site::new();
    let down = net::free_port();
    let out = site.run(
        "127.0.0.1",
        &[("HTTPS_PROXY", format!("http://127.0.0.1:{down}"))],
        &["eval", "sts::whoami()"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains!(
        out.stderr,
        &format!("the proxy 127.0.0.1:{down} (from HTTPS_PROXY) does not answer")
    );

    let site = Site::new();
    let proxy = site.proxy(|_| ProxyKind::RefusesConnect);
    let out = site.run(
        "127.0.0.1",
        &[("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port))],
        &["eval", "sts::whoami()"],
    );
    assert_eq!(out.code, 1, "{}", out.all());
    assert_contains!(
        out.stderr,
        &format!(
            "the proxy 127.0.0.1:{} (from HTTPS_PROXY) refused to connect",
            proxy.port
        )
    );

    // No credentials: 407. Wrong ones: tinyproxy answers 401, which hyper-util
    // does not tell from a 403.
    let cases = [
        (
            "http://127.0.0.1:PORT".to_string(),
            "(from HTTPS_PROXY) requires credentials (HTTP 407",
        ),
        (
            format!("http://alice:wrong-{PASSWORD}@127.0.0.1:PORT"),
            "(from HTTPS_PROXY, with credentials) refused to connect",
        ),
    ];
    for (url, says) in cases {
        let site = Site::new();
        let proxy = site.proxy(|p| ProxyKind::Auth(p, "alice", PASSWORD));
        let url = url.replace("PORT", &proxy.port.to_string());
        let out = site.run(
            "127.0.0.1",
            &[("HTTPS_PROXY", url)],
            &["eval", "sts::whoami()"],
        );
        assert_eq!(out.code, 1, "{}", out.all());
        assert_contains!(
            out.stderr,
            &format!("the proxy 127.0.0.1:{} {says}", proxy.port)
        );
        assert_not_contains!(out.all(), PASSWORD);
    }
}

#[test]
fn http_proxy_carries_calls_to_a_plain_http_endpoint() {
    let Some(_m) = net::fresh() else { return };
    let t = Test::new();
    let proxy = net::tinyproxy(t.path(), ProxyKind::Open(vec![443]));
    let moto = net::moto_addr();
    let out = t
        .env("HTTP_PROXY", format!("http://127.0.0.1:{}", proxy.port))
        .args(["eval", "sts::whoami().account"])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(out.stdout, "123456789012");
    assert_contains!(proxy.log_text(), &format!("POST http://{moto}/"));
}

/// A name under a domain, resolvable only inside the sandbox (its own
/// /etc/hosts; `net::fresh` runs only there).
const SUFFIXED: &str = "moto.runbook.test";

fn resolve_suffixed_name() {
    let hosts = std::fs::read_to_string("/etc/hosts").unwrap();
    if !hosts
        .lines()
        .any(|l| l.split_whitespace().any(|w| w == SUFFIXED))
    {
        std::fs::write("/etc/hosts", format!("{hosts}\n127.0.0.1 {SUFFIXED}\n")).unwrap();
    }
}

#[test]
fn no_proxy_domain_suffixes_connect_directly_and_other_names_do_not() {
    let Some(_m) = net::fresh() else { return };
    resolve_suffixed_name();
    // Control: the name itself goes through the proxy when NO_PROXY does not cover it.
    let site = Site::new();
    let proxy = site.proxy(ProxyKind::Open);
    let out = site.run(
        SUFFIXED,
        &[
            ("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port)),
            ("NO_PROXY", "example.com,.other.test".to_string()),
        ],
        &["eval", ALL_SERVICES],
    );
    assert_eq!(out.code, 0, "{}", out.all());
    assert_contains!(proxy.log_text(), &format!("CONNECT {SUFFIXED}:"));
    // A domain suffix, with and without the leading dot, as curl reads it.
    for no_proxy in [
        "runbook.test",
        ".runbook.test",
        "example.com, .runbook.test",
    ] {
        let site = Site::new();
        let proxy = site.proxy(ProxyKind::Open);
        let out = site.run(
            SUFFIXED,
            &[
                ("HTTPS_PROXY", format!("http://127.0.0.1:{}", proxy.port)),
                ("NO_PROXY", no_proxy.to_string()),
            ],
            &["eval", ALL_SERVICES],
        );
        assert_eq!(out.code, 0, "NO_PROXY={no_proxy}: {}", out.all());
        assert_not_contains!(
            proxy.log_text(),
            &format!("CONNECT {SUFFIXED}:"),
            "NO_PROXY={no_proxy} went through the proxy"
        );
    }
}
