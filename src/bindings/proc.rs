//! `proc::` — child processes, by argument vector (never a shell string).

use std::rc::Rc;

use rhai::{Dynamic, FuncRegistration, ImmutableString, Map, Module};
use zeroize::Zeroizing;

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, invalid, opt_bool, opt_str};
use super::register::opts2;
use crate::host::parse_duration;
use crate::host::process::{self, RunOpts};
use crate::secret::Secret;

const RUN_OPTS: [&str; 6] = ["timeout", "env", "cwd", "stdin", "check", "read_only"];

fn args(v: &Dynamic) -> RhaiResult<Vec<String>> {
    let arr = v.clone().try_cast::<rhai::Array>().ok_or_else(|| {
        invalid("proc::run: args must be an array of strings, e.g. [\"addons\", \"install\"]")
    })?;
    arr.into_iter()
        .map(|a| {
            if a.is::<Secret>() {
                return Err(invalid(
                    "proc::run: a Secret cannot be a command argument (the process list shows arguments); pass it as stdin",
                ));
            }
            if a.is_int() || a.is_bool() {
                return Ok(a.to_string());
            }
            a.into_string()
                .map_err(|t| invalid(format!("proc::run: argument is a {t}, not a string")))
        })
        .collect()
}

fn run_opts(opts: &Map) -> RhaiResult<RunOpts> {
    check_opts(opts, "proc::run", &RUN_OPTS)?;
    let mut o = RunOpts::new();
    if let Some(t) = opt_str(opts, "timeout")? {
        o.timeout = Some(parse_duration(&t).map_err(host_error)?);
    }
    if let Some(env) = opts.get("env").filter(|v| !v.is_unit()) {
        let map = env
            .clone()
            .try_cast::<Map>()
            .ok_or_else(|| invalid("proc::run: option 'env' must be a map of names to strings"))?;
        for (k, v) in map {
            if v.is::<Secret>() {
                return Err(invalid(format!(
                    "proc::run: env '{k}' is a Secret; secrets never go into a child's environment, pass it as stdin"
                )));
            }
            o.env.push((k.to_string(), v.to_string()));
        }
    }
    o.cwd = opt_str(opts, "cwd")?;
    if let Some(s) = opts.get("stdin").filter(|v| !v.is_unit()) {
        let bytes = if let Some(sec) = s.clone().try_cast::<Secret>() {
            sec.expose().as_bytes().to_vec()
        } else {
            s.clone()
                .into_string()
                .map_err(|t| {
                    invalid(format!(
                        "proc::run: option 'stdin' must be a string or a Secret, not {t}"
                    ))
                })?
                .into_bytes()
        };
        o.stdin = Some(Zeroizing::new(bytes));
    }
    o.check = opt_bool(opts, "check")?.unwrap_or(true);
    o.read_only = opt_bool(opts, "read_only")?.unwrap_or(false);
    Ok(o)
}

fn run(env: &Env, cmd: &str, a: &Dynamic, opts: &Map) -> RhaiResult<Map> {
    let argv = args(a)?;
    let secret_stdin = opts.get("stdin").is_some_and(|v| v.is::<Secret>());
    let out = process::run(&env.ctx, cmd, &argv, run_opts(opts)?).map_err(host_error)?;
    if secret_stdin && !out.stdout.trim().is_empty() {
        // The redactor masks the secret and its common encodings, not whatever
        // else a child may make of it (reversed, cut, re-encoded).
        env.reporter.message(
            crate::report::Level::Warn,
            &format!(
                "{} got a secret on stdin and wrote to stdout: runbook masks the secret and its common encodings there, not other transformations of it; print that output only if the command cannot echo the secret",
                process::display(cmd, &argv)
            ),
        );
    }
    let mut m = Map::new();
    m.insert(
        "code".into(),
        out.code
            .map(|c| Dynamic::from(c as i64))
            .unwrap_or(Dynamic::UNIT),
    );
    m.insert("stdout".into(), out.stdout.clone().into());
    m.insert("stderr".into(), out.stderr.clone().into());
    Ok(match out.outcome(env.ctx.mode) {
        Some(o) => env.report("proc", "run", &process::display(cmd, &argv), &o, m),
        None => m,
    })
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let e = env.clone();
    opts2(
        &mut m,
        "run",
        &[
            "/// Runs `cmd` with the argument array `args` (no shell) and returns `#{code, stdout, stderr}`",
            "/// (output redacted). Options: `timeout` (`\"2m\"`), `env` (map), `cwd`, `stdin` (string",
            "/// or Secret), `check` (default true: a non-zero exit is an error), `read_only` (true:",
            "/// also runs in check mode; otherwise check mode skips the call and `code` is `()`).",
            "///",
            "/// `proc::run(\"kratos\", [\"--version\"], #{read_only: true}).stdout`",
        ],
        &["cmd: &str", "args: Array", "opts: Map", "Map"],
        move |cmd: ImmutableString, a: Dynamic, opts: &Map| run(&e, &cmd, &a, opts),
    );
    FuncRegistration::new("which")
        .with_comments(["/// The full path of `cmd` on PATH, or `()` when it is not there."])
        .with_params_info(["cmd: &str", "String"])
        .set_into_module(&mut m, |cmd: &str| -> Dynamic {
            process::which(cmd)
                .map(|p| Dynamic::from(p.display().to_string()))
                .unwrap_or(Dynamic::UNIT)
        });
    m
}
