//! A site engineer's ejected `iam-user` with a receipt step (issue 16): the
//! check-mode plan shows the receipt's planned JSON with `(known after apply)`
//! where the key id goes; the apply writes real JSON that `parse_json` reads.

use crate::common::moto::Moto;
use crate::common::{Output, Test};

/// Ejects `iam-user` into `site` and adds the receipt step.
fn site_playbook(t: &Test) -> std::path::PathBuf {
    let site = t.path().join("site");
    let out = Test::new()
        .args(["eject", "alation-agent/iam-user", site.to_str().unwrap()])
        .run();
    assert_eq!(out.code, 0, "{}", out.all());
    let path = site.join("iam-user.rhai");
    let text = std::fs::read_to_string(&path).unwrap();
    let receipt = t.path().join("receipt.json");
    // The key step hands its id to the receipt step through a captured variable.
    let text = text
        .replacen(
            "step(\"Access key and hand-over\", || {",
            "let key_id = ();\nstep(\"Access key and hand-over\", || {",
            1,
        )
        .replacen(
            "        let id = create_and_hand_over(user, handover, profile, region, show);\n",
            "        let id = create_and_hand_over(user, handover, profile, region, show);\n        key_id = id;\n",
            1,
        )
        .replacen(
            "step(\"Next, on the Agent host\"",
            &format!(
                "step(\"Receipt\", || {{\n    \
                 let receipt = #{{user: user, access_key_id: key_id, policy: policy.arn, at: time::now()}};\n    \
                 fs::write(\"{}\", receipt.to_json() + \"\\n\", #{{mode: \"600\"}});\n}});\n\n\
                 step(\"Next, on the Agent host\"",
                receipt.display()
            ),
            1,
        );
    assert!(text.contains("key_id = id;") && text.contains("step(\"Receipt\""));
    std::fs::write(&path, text).unwrap();
    path
}

fn run(t: &Test, playbook: &std::path::Path, extra: &[&str]) -> Output {
    let handover = format!("handover_file={}", t.path().join("key.ini").display());
    let mut args = vec![
        "run",
        playbook.to_str().unwrap(),
        "--set",
        "user_name=receipt-user",
        "--set",
        &handover,
    ];
    args.extend_from_slice(extra);
    Test::new().args(args).run()
}

#[test]
fn an_ejected_playbook_plans_and_writes_a_json_receipt() {
    let Some(_moto) = Moto::fresh() else { return };
    let t = Test::new();
    // The hand-over file in this folder is where the key is meant to go.
    let key_file = t.path().join("key.ini");
    let t = t.destination(key_file);
    let playbook = site_playbook(&t);
    let check = Test::new()
        .args(["check", playbook.to_str().unwrap()])
        .run();
    assert_eq!(check.code, 0, "{}", check.all());

    let plan = run(&t, &playbook, &["--check", "--diff"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert_contains!(plan.stdout, "would_change fs::write");
    assert_contains!(plan.stdout, "\"access_key_id\":\"(known after apply)\"");
    assert_contains!(plan.stdout, "\"user\":\"receipt-user\"");
    let receipt = t.path().join("receipt.json");
    assert!(!receipt.exists(), "check mode wrote the receipt");

    let apply = run(&t, &playbook, &[]);
    assert_eq!(apply.code, 0, "{}", apply.all());
    let handover = std::fs::read_to_string(t.path().join("key.ini")).unwrap();
    let code = format!(
        "let r = parse_json(fs::read(\"{}\")); `${{r.user}} ${{r.access_key_id}} ${{time::since(r.at) >= 0}}`",
        receipt.display()
    );
    let read = Test::new().args(["eval", &code]).run();
    assert_eq!(read.code, 0, "{}", read.all());
    let fields: Vec<&str> = read.stdout.split_whitespace().collect();
    assert_eq!(fields[0], "receipt-user");
    assert!(fields[1].starts_with("AKIA"), "{}", read.stdout);
    assert!(
        handover.contains(fields[1]),
        "the receipt's key is the handed-over key"
    );
    assert_eq!(fields[2], "true");
    assert!(
        !std::fs::read_to_string(&receipt)
            .unwrap()
            .contains("known after apply")
    );
}
