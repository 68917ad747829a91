//! Every fault kind in the first call of every AWS action of every step of
//! the setup playbook (`secrets-manager-iam-user`) and of the rotation
//! (`rotate-access-key`), as a fault-free run through the proxy shows them
//! (so the matrix follows the playbooks). Per case: the run either succeeds
//! (the SDK or runbook retried) or fails naming the service, the action and
//! the cause; no more than 2 keys, every key the run left outside the file
//! named by id in its output; after deleting those (the advice the output
//! gives) a clean rerun converges to the end state of a fault-free run, with
//! exactly one key, and the setup playbook run after that changes nothing.
//!
//! CI count: every fault kind for the calls that change something, two kinds
//! (in turn) for each read; `RUNBOOK_SOAK=1` (`scripts/test.sh --soak`):
//! every kind everywhere.

use std::sync::Mutex;

use super::*;
use crate::common::agent::{host_with_moto, recap};
use crate::common::counters;
use crate::common::faults::{Fault, FaultProxy};
use crate::common::net::moto_addr;

/// One cell of the matrix.
#[derive(Clone, Debug)]
struct Case {
    playbook: &'static str,
    call: Call,
    fault: Fault,
}

impl Case {
    fn label(&self) -> String {
        let short = if self.playbook == SETUP {
            "setup"
        } else {
            "rotate"
        };
        format!(
            "{short} / {} / {}#{} / {:?}",
            self.call.step, self.call.action, self.call.nth, self.fault
        )
    }
}

/// What one case found.
struct Found {
    label: String,
    retried: bool,
    converged: bool,
    orphans_named: usize,
    problems: Vec<String>,
    /// Every output, for the leak scan on the thread that holds moto.
    outputs: Vec<(String, String)>,
}

/// Calls that change something: every fault kind is tried on them in CI.
fn is_write(action: &str) -> bool {
    ["Create", "Delete", "Update", "Attach", "Tag", "Put", "Set"]
        .iter()
        .any(|p| action.starts_with(p))
}

fn run_case(case: &Case, index: usize, base: &str) -> Found {
    let label = case.label();
    let names = Names::new(&format!("{index}"));
    let mut f = Found {
        label: label.clone(),
        retried: false,
        converged: false,
        orphans_named: 0,
        problems: vec![],
        outputs: vec![],
    };
    let keep = |f: &mut Found, what: &str, out: &Output| {
        f.outputs
            .push((format!("{label}: {what} stdout"), out.stdout.clone()));
        f.outputs
            .push((format!("{label}: {what} stderr"), out.stderr.clone()));
    };
    // The rotation starts from a converged host.
    if case.playbook == ROTATE {
        let setup = run(&names.args(SETUP), None);
        keep(&mut f, "setup", &setup);
        if setup.code != 0 {
            f.problems
                .push(format!("the setup run failed: {}", setup.all()));
            return f;
        }
    }
    let before = keys(&names.user);

    let fp = FaultProxy::start(&moto_addr());
    fp.on(
        Some(&case.call.action),
        Some(case.call.nth),
        case.fault.clone(),
    );
    let faulty = run(&names.args(case.playbook), Some(&fp.url()));
    keep(&mut f, "faulty run", &faulty);
    if fp.calls(&case.call.action) < case.call.nth {
        f.problems.push(format!(
            "the fault was never injected: the run made {} {} calls ({:?})",
            fp.calls(&case.call.action),
            case.call.action,
            fp.seen()
        ));
    }
    if faulty.code == 0 {
        f.retried = true;
    } else {
        let text = faulty.all();
        let lower = text.to_ascii_lowercase();
        let action = format!("{}:{}", service_of(&case.call.action), case.call.action);
        if faulty.code != 1 {
            f.problems
                .push(format!("exit {} instead of 1: {text}", faulty.code));
        }
        if !text.contains(&action) {
            f.problems
                .push(format!("the failure does not name {action}: {text}"));
        }
        let words = cause_words(&case.fault);
        if !words
            .iter()
            .any(|w| lower.contains(&w.to_ascii_lowercase()))
        {
            f.problems.push(format!(
                "the failure does not name the cause ({words:?}): {text}"
            ));
        }
    }

    // Keys: at most 2; a key the run made and left outside the file is named.
    let after = keys(&names.user);
    if after.len() > 2 {
        f.problems.push(format!("{} keys: {after:?}", after.len()));
    }
    let in_file = names.key_in_file();
    let orphans: Vec<String> = after
        .iter()
        .map(|k| k.split(':').next().unwrap().to_string())
        .filter(|id| {
            Some(id) != in_file.as_ref() && !before.iter().any(|b| b.starts_with(id.as_str()))
        })
        .collect();
    for (id, said) in named(&faulty, &orphans) {
        if said {
            f.orphans_named += 1;
        } else {
            f.problems.push(format!(
                "the key {id} is in neither the file nor IAM's list before the run, and the run does not name it: {}",
                faulty.all()
            ));
        }
        // The advice the run gives: delete it, then run again.
        value(&format!(
            "iam::delete_access_key(\"{}\", \"{id}\"); ()",
            names.user
        ));
    }

    // A clean rerun converges to a fault-free run's end state.
    let rerun = run(&names.args(case.playbook), None);
    keep(&mut f, "rerun", &rerun);
    if rerun.code != 0 {
        f.problems
            .push(format!("the clean rerun failed: {}", rerun.all()));
        return f;
    }
    let state = end_state(&names);
    if state != base {
        f.problems.push(format!(
            "end state after the rerun differs from a fault-free run's:\n  got  {state}\n  want {base}"
        ));
    }
    let mut json = names.args(SETUP);
    json.extend(["--output".into(), "json".into()]);
    let again = run(&json, None);
    keep(&mut f, "the run after", &again);
    if again.code != 0 || recap(&again)["changed"] != 0 {
        f.problems.push(format!(
            "the setup run after the rerun changed something: {}",
            again.all()
        ));
    }
    let left = keys(&names.user);
    if left.len() != 1 {
        f.problems.push(format!("keys after converging: {left:?}"));
    }
    f.converged = f.problems.is_empty();
    f
}

#[test]
fn every_fault_in_every_aws_step_of_setup_and_rotation_converges() {
    let Some(_g) = host_with_moto() else { return };
    make_test_secret();
    let fp = FaultProxy::start(&moto_addr());

    // The fault-free runs, through the proxy: which calls each step makes.
    let base = Names::new("base");
    let (setup_calls, _) = discover(&fp, &base.args(SETUP));
    let mut again = base.args(SETUP);
    again.extend(["--output".into(), "json".into()]);
    let r = run(&again, None);
    assert_eq!(recap(&r)["changed"], 0, "{}", r.all());
    let base_state = end_state(&base);
    // A proxy of its own: a case counts the rotation's calls from its first,
    // as a fresh proxy in front of the rotation alone does.
    let rotate_fp = FaultProxy::start(&moto_addr());
    let (rotate_calls, _) = discover(&rotate_fp, &base.args(ROTATE));
    assert_eq!(
        end_state(&base),
        base_state,
        "a rotation ends where the setup did"
    );

    let setup_first = first_calls(&setup_calls);
    let rotate_first = first_calls(&rotate_calls);
    let has = |calls: &[Call], step: &str, action: &str| {
        calls
            .iter()
            .any(|c| c.step.contains(step) && c.action == action)
    };
    for (step, action) in [
        ("Check prerequisites", "GetCallerIdentity"),
        ("Check prerequisites", "GetUser"),
        ("IAM policy", "GetPolicy"),
        ("IAM policy", "CreatePolicy"),
        ("IAM user", "CreateUser"),
        ("IAM user", "AttachUserPolicy"),
        ("Access key", "ListAccessKeys"),
        ("Access key", "CreateAccessKey"),
        ("Verify", "GetCallerIdentity"),
        ("Verify", "GetSecretValue"),
    ] {
        assert!(
            has(&setup_first, step, action),
            "the setup run has no {action} in a step '{step}…': {setup_first:#?}"
        );
    }
    for (step, action) in [
        ("Check prerequisites", "GetUser"),
        ("Check prerequisites", "ListAccessKeys"),
        ("Check prerequisites", "GetCallerIdentity"),
        ("Create a new key", "CreateAccessKey"),
        ("Verify the new key", "GetCallerIdentity"),
        ("Verify the new key", "GetSecretValue"),
        ("Retire the old key", "UpdateAccessKey"),
        ("Retire the old key", "DeleteAccessKey"),
    ] {
        assert!(
            has(&rotate_first, step, action),
            "the rotation has no {action} in a step '{step}…': {rotate_first:#?}"
        );
    }

    let kinds = fault_kinds();
    let mut cases = Vec::new();
    let mut reads = 0;
    for (playbook, calls) in [(SETUP, &setup_first), (ROTATE, &rotate_first)] {
        for call in calls.iter() {
            let chosen: Vec<Fault> = if counters::soak() || is_write(&call.action) {
                kinds.clone()
            } else {
                reads += 1;
                (0..2)
                    .map(|i| kinds[(2 * reads + i) % kinds.len()].clone())
                    .collect()
            };
            for fault in chosen {
                cases.push(Case {
                    playbook,
                    call: call.clone(),
                    fault,
                });
            }
        }
    }
    eprintln!(
        "AWS fault matrix: {} setup calls, {} rotation calls, {} cases",
        setup_first.len(),
        rotate_first.len(),
        cases.len()
    );

    let queue = Mutex::new(cases.iter().enumerate().collect::<Vec<_>>());
    let results = Mutex::new(Vec::new());
    let workers = 3;
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let Some((i, case)) = queue.lock().unwrap().pop() else {
                        break;
                    };
                    let found = run_case(case, i, &base_state);
                    eprintln!(
                        "{}: {} {}",
                        found.label,
                        if found.retried {
                            "succeeded"
                        } else {
                            "failed clearly"
                        },
                        if found.converged {
                            "and converged"
                        } else {
                            "— PROBLEMS"
                        }
                    );
                    results.lock().unwrap().push((case.clone(), found));
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

    // The leak scan, on this thread: it knows every secret moto holds.
    for (_, f) in &results {
        for (place, text) in &f.outputs {
            crate::common::leak::output(place, text);
        }
    }
    let (mut retried, mut converged, mut named) = (0, 0, 0);
    let mut problems = Vec::new();
    for (case, f) in &results {
        retried += f.retried as usize;
        converged += f.converged as usize;
        named += f.orphans_named;
        counters::record(
            "aws_fault",
            serde_json::json!({
                "playbook": case.playbook,
                "step": case.call.step,
                "action": case.call.action,
                "nth": case.call.nth,
                "fault": format!("{:?}", case.fault),
                "outcome": if f.retried { "succeeded" } else { "failed clearly" },
                "orphans_named": f.orphans_named,
                "converged": f.converged,
            }),
        );
        for p in &f.problems {
            problems.push(format!("{}: {p}", f.label));
        }
    }
    eprintln!(
        "AWS fault matrix: {} cases, {retried} succeeded through retries, {} failed naming the call and cause, {converged} converged, {named} orphan keys named",
        results.len(),
        results.len() - retried
    );
    assert_eq!(results.len(), cases.len());
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
