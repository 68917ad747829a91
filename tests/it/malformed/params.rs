//! Parameters of every header type, bad, through `--set`, a `--vars` file
//! and `RUNBOOK_<NAME>`: exit 2 before the script starts (it would write
//! `{dir}/ran`), naming the parameter, its source and the rule.

use std::os::unix::ffi::OsStringExt;

use super::{Row, row, run};

/// A playbook declaring one parameter of each header type; it writes
/// `{dir}/ran` with the values it was given, so a run that starts shows.
const PLAYBOOK: &str = r#"//! summary = "one parameter of each type"
//! [params.s]
//! type = "string"
//! default = "x"
//! [params.n]
//! type = "int"
//! default = 1
//! [params.b]
//! type = "bool"
//! default = false
//! [params.l]
//! type = "list"
//! default = []
//! [params.arns]
//! type = "list"
//! items = "iam_resource"
//! default = ["*"]
//! [params.token]
//! type = "secret"
//! required = true
//! [params.region]
//! type = "region"
//! default = "us-east-1"
//! [params.mode]
//! type = "mode"
//! default = "600"
//! [params.smode]
//! type = "mode"
//! special_bits = true
//! default = "4755"
//! [params.timeout]
//! type = "duration"
//! default = "5m"
//! [params.arn]
//! type = "arn"
//! default = "arn:aws:iam::123456789012:user/a"
//! [params.resource]
//! type = "iam_resource"
//! default = "*"
//! [params.profile]
//! type = "profile_name"
//! default = "alation_auth"
//! [params.user]
//! type = "iam_user_name"
//! default = "agent"
//! [params.policy]
//! type = "iam_policy_name"
//! default = "read_secrets_policy"
//! [params.key_id]
//! type = "access_key_id"
//! default = "AKIAIOSFODNN7EXAMPLE"
//! [params.secret]
//! type = "secret_id"
//! default = "prod/db"
//! [params.group]
//! type = "group_name"
//! default = "alationdocker"
//! [params.container]
//! type = "container_name"
//! default = "auth"
//! [params.unit]
//! type = "unit_name"
//! default = "hydra"
//! [params.file]
//! type = "path"
//! default = "a.txt"
//! [params.abs]
//! type = "absolute_path"
//! default = "/tmp/a"
let names = ["s", "n", "b", "l", "arns", "region", "mode", "smode", "timeout", "arn", "resource",
    "profile", "user", "policy", "key_id", "secret", "group", "container", "unit", "file", "abs"];
let text = "";
for n in names {
    text += `${n}=${param(n)}` + "\n";
}
fs::write("{dir}/ran", text);
"#;

/// (parameter, a bad value as text, a fragment of the rule it breaks).
const BAD: &[(&str, &str, &str)] = &[
    ("n", "many", "'many' is not an integer"),
    ("n", "99999999999999999999", "is out of range"),
    ("b", "maybe", "'maybe' is not a boolean"),
    ("arns", "*, nope", "list item: 'nope' is not an ARN"),
    ("region", "us-east", "is not an AWS region"),
    ("mode", "0o600", "is not a file mode"),
    ("mode", "4755", "sets the setuid, setgid or sticky bit"),
    ("smode", "77777", "is not a file mode"),
    ("timeout", "5", "use a number with a unit"),
    ("timeout", "99999999999999999999h", "at most 24h"),
    ("arn", "arn:aws:iam", "six ':'-separated fields"),
    ("resource", "secret", "use * for every resource"),
    ("profile", "a]b", "holds '[' or ']'"),
    ("user", "a b", "is not an IAM user name"),
    ("policy", "p/q", "is not an IAM policy name"),
    ("key_id", "akia123", "is not an access key id"),
    ("secret", "a b", "is not a secret name or ARN"),
    ("group", "Alation Docker", "is not a group name"),
    ("container", "-auth", "is not a container name"),
    ("unit", "-hydra", "is not a systemd unit name"),
    ("file", "", "the path is empty"),
    ("abs", "relative/x", "is not an absolute path"),
];

/// The rows that need no `token`: every bad value from each source.
fn bad_values() -> Vec<Row> {
    let mut rows = Vec::new();
    for (name, bad, rule) in BAD {
        let set = row(format!("--set {name}={bad}"))
            .file("p.rhai", PLAYBOOK)
            .args(["run", "{dir}/p.rhai", "--set", "token=t0k3n-value"])
            .args(["--set", &format!("{name}={bad}")])
            .says(format!("parameter '{name}' from --set"))
            .says(*rule);
        rows.push(set);
        let toml_value = toml::Value::String(bad.to_string()).to_string();
        let vars = row(format!("--vars {name} = {toml_value}"))
            .file("p.rhai", PLAYBOOK)
            .file(
                "vars.toml",
                format!("token = \"t0k3n-value\"\n{name} = {toml_value}\n"),
            )
            .args(["run", "{dir}/p.rhai", "--vars", "{dir}/vars.toml"])
            .says(format!("parameter '{name}' from --vars"))
            .says("vars.toml")
            .says(match *name {
                // A TOML string is not an int or a bool, whatever it holds.
                "n" => "the value is a string, expected int",
                "b" => "the value is a string, expected bool",
                _ => *rule,
            });
        rows.push(vars);
        let var = format!("RUNBOOK_{}", name.to_ascii_uppercase());
        let env = row(format!("{var}={bad}"))
            .file("p.rhai", PLAYBOOK)
            .args(["run", "{dir}/p.rhai"])
            .env("RUNBOOK_TOKEN", "t0k3n-value")
            .env(&var, bad)
            .says(format!("parameter '{name}' from {var}"))
            .says(*rule);
        rows.push(env);
    }
    rows
}

/// The wrong TOML type in a `--vars` file, and what a `--set` may hold.
fn other_rows() -> Vec<Row> {
    let base = |name: &str| {
        row(name)
            .file("p.rhai", PLAYBOOK)
            .args(["run", "{dir}/p.rhai"])
            .env("RUNBOOK_TOKEN", "t0k3n-value")
    };
    let vars = |name: &str, body: &str| {
        base(name)
            .file("vars.toml", body)
            .args(["--vars", "{dir}/vars.toml"])
    };
    vec![
        vars("--vars an int as a string", "n = \"3\"\n")
            .says("parameter 'n' from --vars")
            .says("is a string, expected int"),
        vars("--vars a bool as an int", "b = 1\n").says("is an integer, expected bool"),
        vars("--vars a list as a string of a number", "l = 5\n").says("expected list"),
        vars(
            "--vars a list item that is not a string",
            "l = [\"a\", 2]\n",
        )
        .says("list item 2 is not a string"),
        vars("--vars a mode as an integer", "mode = 540\n").says("mode = \"540\""),
        vars(
            "--vars a region as a table",
            "region = { name = \"us-east-1\" }\n",
        )
        .says("expected region"),
        vars("--vars a duration as a float", "timeout = 1.5\n").says("expected duration"),
        vars("--vars a date", "s = 1979-05-27\n").says("expected string"),
        vars("--vars an unknown key", "whom = \"x\"\n")
            .says("unknown parameter 'whom' given with --vars")
            .says("declares: s, n, b"),
        vars("--vars a table of tables", "[params]\ns = \"x\"\n")
            .says("unknown parameter 'params'"),
        vars("--vars broken TOML", "s = \"x\"\nn = = 3\n").says("vars.toml: line 2"),
        vars("--vars an unterminated string", "s = \"x\n").says("vars.toml: line 1"),
        vars("--vars a duplicate key", "s = \"x\"\ns = \"y\"\n")
            .says("vars.toml: line 2")
            .says("duplicate key"),
        vars(
            "--vars in INI, not TOML",
            "[default]\nregion=us-east-1\nn : 3\n",
        )
        .says("vars.toml: line 3"),
        vars("--vars in JSON, not TOML", "{\"s\": \"x\"}\n").says("vars.toml: line 1"),
        vars("--vars binary garbage", "")
            .setup(|d| {
                std::fs::write(d.dir.join("vars.toml"), b"\x7fELF\x02\x01\x00\xff\xfe").unwrap()
            })
            .says("vars.toml")
            .says("not UTF-8"),
        // TOML allows a byte-order mark at the start.
        vars("--vars a BOM", "\u{feff}s = \"bom\"\n").leaves_with("ran", "s=bom\n"),
        vars("--vars 0 bytes", "").leaves_with("ran", "s=x\n"),
        vars("--vars CRLF and no final newline", "s = \"crlf\"\r\nn = 7")
            .leaves_with("ran", "s=crlf\nn=7\n"),
        base("--vars a missing file")
            .args(["--vars", "{dir}/nope.toml"])
            .says("nope.toml does not exist"),
        base("--vars a directory")
            .setup(|d| std::fs::create_dir(d.dir.join("vars.d")).unwrap())
            .args(["--vars", "{dir}/vars.d"])
            .says("vars.d")
            .says("directory"),
        base("--vars a FIFO")
            .setup(|d| super::mkfifo(&d.dir.join("vars.fifo")))
            .args(["--vars", "{dir}/vars.fifo"])
            .says("vars.fifo is a named pipe (FIFO), not a regular file"),
        base("--set without =")
            .args(["--set", "s"])
            .says("--set 's' is not of the form name=value"),
        base("--set with an empty name")
            .args(["--set", "=x"])
            .says("is not of the form name=value"),
        base("--set an unknown name")
            .args(["--set", "S=x"])
            .says("unknown parameter 'S' given with --set"),
        base("--set @ a missing file")
            .args(["--set", "s=@{dir}/nope"])
            .says("parameter 's' from --set: cannot read {dir}/nope"),
        base("--set @ a directory")
            .args(["--set", "s=@{dir}"])
            .says("parameter 's' from --set: cannot read"),
        base("--set @ a binary file")
            .setup(|d| std::fs::write(d.dir.join("bin"), b"\xff\xfe\x00").unwrap())
            .args(["--set", "n=@{dir}/bin"])
            .says("not UTF-8"),
        base("--set @ a file with a bad int")
            .file("n.txt", "12\n13\n")
            .args(["--set", "n=@{dir}/n.txt"])
            .says("parameter 'n' from --set")
            .says("is not an integer"),
        base("--set a list as broken TOML")
            .args(["--set", "l=[\"a\", "])
            .says("is not a TOML array of strings"),
        base("--set a string with a newline is taken as it is")
            .args(["--set", "s=two\nlines"])
            .leaves_with("ran", "s=two\nlines\nn=1\n"),
        base("a bool spelled yes is taken")
            .args(["--set", "b=YES"])
            .leaves_with("ran", "b=true\n"),
        base("an env value that is not UTF-8")
            .env(
                "RUNBOOK_REGION",
                std::ffi::OsString::from_vec(b"us-east-\xff".to_vec()),
            )
            .says("RUNBOOK_REGION (parameter 'region') is not valid UTF-8"),
        // A secret of the wrong type: named, never shown.
        row("--vars a secret as an integer")
            .file("p.rhai", PLAYBOOK)
            .file("vars.toml", "token = 86420975\n")
            .args(["run", "{dir}/p.rhai", "--vars", "{dir}/vars.toml"])
            .says("parameter 'token' from --vars")
            .says("expected a secret")
            .never("86420975"),
        row("--vars a secret as a list")
            .file("p.rhai", PLAYBOOK)
            .file("vars.toml", "token = [\"86420975xyz\"]\n")
            .args(["run", "{dir}/p.rhai", "--vars", "{dir}/vars.toml"])
            .says("expected a secret")
            .never("86420975xyz"),
        row("--vars a secret as a table")
            .file("p.rhai", PLAYBOOK)
            .file("vars.toml", "[token]\nvalue = \"86420975xyz\"\n")
            .args(["run", "{dir}/p.rhai", "--vars", "{dir}/vars.toml"])
            .says("expected a secret")
            .never("86420975xyz"),
        row("a secret given nowhere, without a terminal")
            .file("p.rhai", PLAYBOOK)
            .args(["run", "{dir}/p.rhai"])
            .says("parameter 'token' is required")
            .says("--set token=@FILE"),
        row("a secret env value that is not UTF-8")
            .file("p.rhai", PLAYBOOK)
            .args(["run", "{dir}/p.rhai"])
            .env(
                "RUNBOOK_TOKEN",
                std::ffi::OsString::from_vec(b"8642097\xff5".to_vec()),
            )
            .says("RUNBOOK_TOKEN")
            .says("its value is not shown")
            .never("8642097"),
    ]
}

#[test]
fn bad_parameters_of_every_type_exit_2_before_the_script_starts() {
    let mut rows = bad_values();
    rows.extend(other_rows());
    run("params", rows, false);
}
