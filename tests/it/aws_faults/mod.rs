//! AWS faults in whole playbooks (issue 17): the fault proxy of
//! `common/faults.rs` between runbook and moto, inside the Agent-host
//! sandbox. `matrix` injects every fault kind into the first call of every
//! AWS action of every step of the setup playbook and of the rotation, as a
//! fault-free run shows them; `special` holds the cases that need their own
//! setting (a lost key, the 5-version limit under a concurrent deletion, a
//! throttled secret read, a lost `CreatePolicy` answer).
//!
//! Every case has names of its own (IAM user, policy, credentials folder),
//! so cases are independent without resetting moto between them, and the
//! matrix runs several at once.

mod matrix;
mod special;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use crate::common::agent::{OLD, Output, Test, addon_arg, profile_of};
use crate::common::faults::{Fault, FaultProxy};

pub const SETUP: &str = "alation-agent/secrets-manager-iam-user";
pub const ROTATE: &str = "alation-agent/rotate-access-key";
/// The secret the verification steps read (`test_secret`), made once per test.
pub const TEST_SECRET: &str = "fault-test-secret";
/// The read timeout of the runs through the proxy: low, so a delayed answer costs little.
pub const READ_TIMEOUT: &str = "2s";
/// Longer than [`READ_TIMEOUT`].
pub const DELAY: Duration = Duration::from_secs(3);

/// The fault kinds every step is tried with.
pub fn fault_kinds() -> Vec<Fault> {
    vec![
        Fault::Status(500),
        Fault::Status(503),
        Fault::Throttling,
        Fault::ResetBefore,
        Fault::ResetAfter,
        Fault::Delay(DELAY),
        Fault::Truncate,
    ]
}

/// What a failed run must name as the cause of `fault`.
pub fn cause_words(fault: &Fault) -> &'static [&'static str] {
    match fault {
        Fault::Status(500) => &["InternalFailure", "HTTP 500"],
        Fault::Status(503) => &["ServiceUnavailable", "HTTP 503"],
        Fault::Throttling => &["Throttling", "Rate exceeded"],
        Fault::Delay(_) => &["read timeout"],
        Fault::ResetBefore | Fault::ResetAfter | Fault::Truncate => {
            &["connection", "closed", "reset", "incomplete", "truncated"]
        }
        _ => &[],
    }
}

/// The names one case works on: an IAM user, a policy and a credentials folder.
pub struct Names {
    pub user: String,
    pub policy: String,
    /// Holds the credentials folder.
    _root: tempfile::TempDir,
    pub dir: PathBuf,
}

impl Names {
    pub fn new(label: &str) -> Names {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("aws");
        let label: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Names {
            user: format!("f-{label}"),
            policy: format!("f-{label}-p"),
            _root: root,
            dir,
        }
    }

    pub fn file(&self) -> PathBuf {
        self.dir.join("credentials")
    }

    /// The arguments of `playbook` for these names.
    pub fn args(&self, playbook: &str) -> Vec<String> {
        let mut a: Vec<String> = vec![
            "run".into(),
            playbook.into(),
            "--set".into(),
            format!("user_name={}", self.user),
            "--set".into(),
            format!("credentials_dir={}", self.dir.display()),
            "--set".into(),
            format!("test_secret={TEST_SECRET}"),
        ];
        if playbook == SETUP {
            a.extend([
                "--set".into(),
                format!("policy_name={}", self.policy),
                "--set".into(),
                addon_arg(OLD),
                "--yes".into(),
            ]);
        }
        a
    }

    /// The key id in the credentials file, if any.
    pub fn key_in_file(&self) -> Option<String> {
        let text = std::fs::read_to_string(self.file()).ok()?;
        profile_of(&text, "alation_auth")
            .into_iter()
            .find(|(k, _)| k == "aws_access_key_id")
            .map(|(_, v)| v)
    }
}

/// A run of `args`, through `endpoint` (the proxy) when given, else straight to moto.
pub fn run(args: &[String], endpoint: Option<&str>) -> Output {
    test(args, endpoint).run()
}

fn test(args: &[String], endpoint: Option<&str>) -> Test {
    let mut t = Test::new().args(args);
    if let Some(url) = endpoint {
        t = t
            .env("AWS_ENDPOINT_URL", url)
            .env("RUNBOOK_AWS_READ_TIMEOUT", READ_TIMEOUT);
    }
    t
}

/// `runbook eval CODE` straight to moto; its value (the last line, unquoted).
pub fn value(code: &str) -> String {
    let out = Test::new().args(["eval", code]).run();
    assert_eq!(out.code, 0, "eval {code}: {}", out.all());
    let last = out.stdout.lines().last().unwrap_or_default().trim();
    last.trim_matches('"').to_string()
}

/// The user's live access keys as `id:Status`, oldest first (none without the user).
pub fn keys(user: &str) -> Vec<String> {
    value(&format!(
        "let s = \"\"; if iam::user(\"{user}\") != () {{ for k in iam::access_keys(\"{user}\") {{ s += k.id + \":\" + k.status + \" \"; }} }} s"
    ))
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

/// The end state of a case's names, with the names themselves left out, so
/// two cases compare: the policy (path, default version, document), whether
/// the user has it attached, its keys (how many, status, whether the file
/// holds the one), and the credentials file's mode.
pub fn end_state(n: &Names) -> String {
    let summary = value(&format!(
        r#"let p = iam::policy("{policy}");
           let ks = iam::access_keys("{user}");
           let attached = iam::user_policies("{user}");
           let pol = if p == () {{ "no policy" }} else {{ `${{p.path}} ${{p.default_version}} ${{p.document.Statement}}` }};
           let att = if p == () || attached == () {{ "-" }} else {{ `${{attached.contains(p.arn)}} of ${{attached.len()}}` }};
           let st = ks.map(|k| k.status);
           `policy ${{pol}}; attached ${{att}}; keys ${{ks.len()}} ${{st}}`"#,
        policy = n.policy,
        user = n.user
    ));
    let in_file = n.key_in_file();
    let file_key_live = in_file
        .as_ref()
        .is_some_and(|id| keys(&n.user).iter().any(|k| k.starts_with(id.as_str())));
    let mode = std::fs::metadata(n.file())
        .map(|m| {
            format!(
                "{:o}",
                std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777
            )
        })
        .unwrap_or_else(|_| "none".into());
    format!("{summary}; the file's key is live: {file_key_live}; mode {mode}")
}

/// Every AWS call of a run, labelled with the step it was made in.
#[derive(Clone, Debug)]
pub struct Call {
    pub step: String,
    pub action: String,
    /// Which call of the action in the whole run (1-based).
    pub nth: usize,
}

/// Runs `args` through `fp` without faults, with the JSON output read as
/// it comes so each call is labelled with its step; the calls, and the run.
pub fn discover(fp: &FaultProxy, args: &[String]) -> (Vec<Call>, String) {
    let before = fp.log().len();
    fp.pace(Duration::from_millis(60));
    let mut all = args.to_vec();
    all.extend(["--output".into(), "json".into()]);
    let t = test(&all, Some(&fp.url()));
    let mut child = t
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn runbook");
    let mut stderr = child.stderr.take().unwrap();
    let errs = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let mut stdout = String::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        let line = line.unwrap();
        if let Ok(ev) = serde_json::from_str::<serde_json::Value>(&line)
            && ev["event"] == "step_start"
        {
            fp.tag(ev["title"].as_str().unwrap_or("?"));
        }
        stdout.push_str(&line);
        stdout.push('\n');
    }
    let status = child.wait().unwrap();
    let stderr = errs.join().unwrap();
    drop(t);
    fp.pace(Duration::ZERO);
    fp.tag("");
    crate::common::leak::output("the stdout of a discovery run", &stdout);
    crate::common::leak::output("the stderr of a discovery run", &stderr);
    assert!(
        status.success(),
        "the fault-free run failed: {stdout}\n{stderr}"
    );
    let calls = fp.log()[before..]
        .iter()
        .map(|s| Call {
            step: s.tag.clone(),
            action: s.action.clone(),
            nth: s.nth,
        })
        .collect();
    (calls, stdout)
}

/// The first call of each action in each step: where the matrix injects.
pub fn first_calls(calls: &[Call]) -> Vec<Call> {
    let mut out: Vec<Call> = Vec::new();
    for c in calls {
        if !out.iter().any(|o| o.step == c.step && o.action == c.action) {
            out.push(c.clone());
        }
    }
    out
}

/// The AWS service an action belongs to, as runbook's messages name it.
pub fn service_of(action: &str) -> &'static str {
    match action {
        "GetCallerIdentity" | "AssumeRole" => "sts",
        "GetSecretValue" | "DescribeSecret" | "CreateSecret" => "secretsmanager",
        _ => "iam",
    }
}

/// The ids a failed run's output names as orphan keys (`access key ID`).
pub fn named(out: &Output, ids: &[String]) -> BTreeMap<String, bool> {
    ids.iter()
        .map(|id| (id.clone(), out.all().contains(id.as_str())))
        .collect()
}

/// Makes `TEST_SECRET` in moto (once per moto state).
pub fn make_test_secret() {
    crate::common::moto::create_secret(TEST_SECRET, "fault-test-value-0123456789");
}
