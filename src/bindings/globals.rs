//! Global functions every script sees: steps, parameters, messages, secrets, questions.

use std::rc::Rc;

use rhai::{Dynamic, Engine, EvalAltResult, FnPtr, FuncRegistration, NativeCallContext};

use super::Env;
use super::convert::{RhaiResult, host_error, invalid};
use crate::host::{ErrorKind, HostError, Unknown};
use crate::report::{Level, prompt};
use crate::secret::{MASK, Secret};

/// The text of an error for one-line reports (a step's failure line).
pub fn error_message(e: &EvalAltResult) -> String {
    match e {
        EvalAltResult::ErrorRuntime(v, _) => runtime_value_message(v),
        EvalAltResult::ErrorInFunctionCall(_, _, inner, _)
        | EvalAltResult::ErrorInModule(_, inner, _) => error_message(inner),
        EvalAltResult::ErrorTerminated(..) => "interrupted".into(),
        other => other
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
    }
}

/// The message inside a thrown value: a host error map, or whatever was thrown.
pub fn runtime_value_message(v: &Dynamic) -> String {
    if let Some(map) = v.read_lock::<rhai::Map>() {
        let message = map
            .get("message")
            .map(|m| m.to_string())
            .unwrap_or_else(|| v.to_string());
        return match map.get("kind").map(|k| k.to_string()) {
            Some(kind) if kind != "failed" => format!("{message} [{kind}]"),
            _ => message,
        };
    }
    // Custom types print as their Rust type path otherwise.
    if v.is::<Secret>() {
        return MASK.to_string();
    }
    if let Some(u) = v.read_lock::<Unknown>() {
        return u.to_string();
    }
    v.to_string()
}

fn no_tty(what: &str, hint: &str) -> Box<EvalAltResult> {
    host_error(
        HostError::new(
            ErrorKind::InvalidInput,
            format!("cannot {what}: no terminal is attached"),
        )
        .with_hint(hint),
    )
}

pub fn register(engine: &mut Engine, env: &Rc<Env>) {
    register_types(engine, env);

    let e = env.clone();
    FuncRegistration::new("step")
        .with_comments([
            "/// Runs `body` as a numbered, timed step of the playbook and reports it.",
            "/// An error inside fails the step with its title and stops the run.",
            "///",
            "/// `step(\"Write the credentials\", || { fs::chmod(path, \"540\"); });`",
        ])
        .with_params_info(["title: &str", "body: FnPtr", "Dynamic"])
        .register_into_engine(
            engine,
            move |ctx: NativeCallContext, title: &str, body: FnPtr| -> RhaiResult<Dynamic> {
                e.reporter.step_start(title);
                match body.call_within_context::<Dynamic>(&ctx, ()) {
                    Ok(v) => {
                        e.reporter.step_end(None);
                        Ok(v)
                    }
                    Err(err) => {
                        e.reporter.step_end(Some(error_message(&err)));
                        Err(err)
                    }
                }
            },
        );

    let e = env.clone();
    FuncRegistration::new("param")
        .with_comments([
            "/// The value of parameter `name` (from `--set`, `--vars`, `RUNBOOK_<NAME>`, a prompt or its default);",
            "/// `()` when an optional parameter was not given. Secret parameters arrive as `Secret`.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .register_into_engine(engine, move |name: &str| -> RhaiResult<Dynamic> {
            let params = e.params.borrow();
            match params.get(name) {
                Some(v) => Ok(v.clone()),
                None if !e.params_declared.get() => Ok(Dynamic::UNIT),
                None => {
                    let mut names: Vec<_> = params.keys().map(|k| k.to_string()).collect();
                    names.sort();
                    Err(invalid(format!(
                        "param(\"{name}\"): this playbook declares no such parameter; declared: {}",
                        if names.is_empty() { "(none)".into() } else { names.join(", ") }
                    )))
                }
            }
        });

    for (name, level, doc) in [
        (
            "info",
            Level::Info,
            "/// Reports an informational message (hidden with `-q`).",
        ),
        (
            "warn",
            Level::Warn,
            "/// Reports a warning; the run goes on.",
        ),
    ] {
        let e = env.clone();
        FuncRegistration::new(name)
            .with_comments([doc])
            .with_params_info(["message: &str", "()"])
            .register_into_engine(engine, move |msg: &str| e.reporter.message(level, msg));
    }

    FuncRegistration::new("fail")
        .with_comments(["/// Stops with an error (catchable with `try`/`catch`): `#{kind: \"failed\", message}`."])
        .with_params_info(["message: &str", "()"])
        .register_into_engine(engine, |msg: &str| -> RhaiResult<()> { Err(host_error(HostError::failed(msg))) });

    FuncRegistration::new("error_text")
        .with_comments([
            "/// The text of a caught error, as a failed step shows it: a host error's `message` with",
            "/// its kind in brackets (`… [access_denied]`; no kind for `failed`), the `message` of an",
            "/// error Rhai raised, a string thrown by `throw` as it is, anything else as it prints.",
            "/// The error's `hint`, when it has one, is not part of it.",
            "///",
            "/// `try { iam::delete_access_key(user, id); } catch (e) { warn(\"not deleted: \" + error_text(e)); }`",
        ])
        .with_params_info(["error: Dynamic", "String"])
        .register_into_engine(engine, |e: Dynamic| runtime_value_message(&e));

    let e = env.clone();
    FuncRegistration::new("sleep")
        .with_comments([
            "/// Waits for a duration such as `\"5s\"`, `\"2m\"` or `\"1h30m\"`: a unit is required (`\"5\"` is",
            "/// an error) and 24h is the most. Ctrl-C ends the wait within 100 ms.",
        ])
        .with_params_info(["duration: &str", "()"])
        .register_into_engine(engine, move |d: &str| -> RhaiResult<()> {
            let d = crate::host::parse_duration(d).map_err(host_error)?;
            crate::host::wait::sleep_blocking(&e.ctx.cancel, d).map_err(host_error)
        });

    let verdict_doc = [
        "/// Reports one diagnosis as a PASS/FAIL row (JSON: a `check` event) and returns `passed`.",
        "/// The run exits 1 when any verdict failed; `fix` tells the operator what to do about it.",
        "///",
        "/// `verdict(\"credentials file mode\", st.mode == \"0540\", st.mode, \"chmod 540 …\");`",
    ];
    let e = env.clone();
    FuncRegistration::new("verdict")
        .with_comments(verdict_doc)
        .with_params_info(["name: &str", "passed: bool", "detail: &str", "bool"])
        .register_into_engine(engine, move |name: &str, passed: bool, detail: &str| {
            e.reporter.check(name, passed, detail, None);
            passed
        });
    let e = env.clone();
    FuncRegistration::new("verdict")
        .with_comments(verdict_doc)
        .with_params_info([
            "name: &str",
            "passed: bool",
            "detail: &str",
            "fix: &str",
            "bool",
        ])
        .register_into_engine(
            engine,
            move |name: &str, passed: bool, detail: &str, fix: &str| {
                e.reporter.check(name, passed, detail, Some(fix));
                passed
            },
        );

    let e = env.clone();
    FuncRegistration::new("show_secret")
        .with_comments([
            "/// Shows a secret once, on the terminal only (written to /dev/tty, never to the output,",
            "/// the log or JSON). Fails without a terminal: hand the secret over in a file instead.",
        ])
        .with_params_info(["label: &str", "secret: Secret", "()"])
        .register_into_engine(engine, move |label: &str, secret: Secret| -> RhaiResult<()> {
            if !e.interactive {
                return Err(no_tty(
                    &format!("show {label}"),
                    "write it to a hand-over file (mode 0600) instead",
                ));
            }
            prompt::show_on_tty(label, &secret).map_err(|err| invalid(format!("cannot write to the terminal: {err}")))?;
            e.reporter.message(Level::Info, &format!("{label} was shown once on the terminal"));
            Ok(())
        });

    let e = env.clone();
    FuncRegistration::new("interactive")
        .with_comments([
            "/// True when a terminal is attached, so `confirm`, `ask`, `ask_secret` and `show_secret` can reach a person.",
        ])
        .with_params_info(["bool"])
        .register_into_engine(engine, move || e.interactive);

    let e = env.clone();
    FuncRegistration::new("check_mode")
        .with_comments(["/// True in check mode (`--check`): nothing will be changed."])
        .with_params_info(["bool"])
        .register_into_engine(engine, move || e.ctx.mode.is_check());

    let e = env.clone();
    FuncRegistration::new("secret")
        .with_comments(["/// Wraps text as a `Secret`: masked in every output from now on."])
        .with_params_info(["text: &str", "Secret"])
        .register_into_engine(engine, move |text: &str| {
            e.ctx.redactor.register(text);
            Secret::new(text)
        });

    let e = env.clone();
    FuncRegistration::new("confirm")
        .with_comments([
            "/// Asks a yes/no question on the terminal; true with `--yes`.",
            "/// Without a terminal and without `--yes` it fails, naming `--yes`.",
        ])
        .with_params_info(["question: &str", "bool"])
        .register_into_engine(engine, move |q: &str| -> RhaiResult<bool> {
            if e.yes {
                return Ok(true);
            }
            if !e.interactive {
                return Err(no_tty(
                    &format!("ask \"{q}\""),
                    "pass --yes to agree in advance",
                ));
            }
            prompt::confirm(q).map_err(|err| invalid(format!("no answer to \"{q}\": {err}")))
        });

    let e = env.clone();
    FuncRegistration::new("ask")
        .with_comments(["/// Asks for a line of text on the terminal."])
        .with_params_info(["prompt: &str", "String"])
        .register_into_engine(engine, move |p: &str| -> RhaiResult<String> {
            if !e.interactive {
                return Err(no_tty(
                    &format!("ask \"{p}\""),
                    "pass the value as a parameter (--set or --vars)",
                ));
            }
            prompt::ask(p).map_err(|err| invalid(format!("no answer to \"{p}\": {err}")))
        });

    let e = env.clone();
    FuncRegistration::new("ask_secret")
        .with_comments([
            "/// Asks for a secret on the terminal with echo off; returns a `Secret`.",
            "/// Without a terminal, pass the value with --vars, RUNBOOK_<NAME> or --set name=@FILE.",
        ])
        .with_params_info(["prompt: &str", "Secret"])
        .register_into_engine(engine, move |p: &str| -> RhaiResult<Secret> {
            if !e.interactive {
                return Err(no_tty(
                    &format!("ask for the secret \"{p}\""),
                    "pass it in a --vars file, in RUNBOOK_<NAME>, or with --set name=@FILE",
                ));
            }
            let s = prompt::ask_secret(p).map_err(|err| invalid(format!("no answer to \"{p}\": {err}")))?;
            e.ctx.redactor.register(s.expose());
            Ok(s)
        });
}

fn register_types(engine: &mut Engine, env: &Rc<Env>) {
    engine.register_type_with_name::<Secret>("Secret");
    engine.register_fn("to_string", |_: &mut Secret| MASK.to_string());
    engine.register_fn("to_debug", |_: &mut Secret| format!("Secret({MASK})"));
    let e = env.clone();
    FuncRegistration::new("expose")
        .with_comments([
            "/// The plain text of a `Secret`. Only for site scripts that truly need it;",
            "/// the run log records the call, and the text stays masked in reports.",
        ])
        .with_params_info(["secret: Secret", "String"])
        .register_into_engine(engine, move |s: &mut Secret| {
            e.reporter
                .message(Level::Info, "a script called expose() on a secret");
            s.expose().to_string()
        });
    engine.register_fn("is_empty", |s: &mut Secret| s.is_empty());

    engine.register_type_with_name::<Unknown>("Unknown");
    engine.register_fn("to_string", |u: &mut Unknown| u.to_string());
    engine.register_fn("to_debug", |u: &mut Unknown| u.to_string());
    FuncRegistration::new("is_unknown")
        .with_comments([
            "/// True for a value that will only be known after apply (check mode placeholders).",
        ])
        .with_params_info(["value: Dynamic", "bool"])
        .register_into_engine(engine, |v: Dynamic| v.is::<Unknown>());
}
