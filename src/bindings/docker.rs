//! `docker::` — containers and images through the Docker Engine API.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use bollard::Docker;
use rhai::{Array, Dynamic, FuncRegistration, ImmutableString, Map, Module};

use super::Env;
use super::convert::{
    RhaiResult, check_opts, host_error, invalid, opt_bool, opt_int, opt_timeout, planned_str,
    to_map, to_map_or_unit,
};
use super::register::{opts0, opts1};
use super::unknown::{unknown_report, unknown_wait_report};
use crate::host::{Planned, docker};

/// The wait a playbook's `wait_timeout` defaults to: the add-on can take minutes.
const DEFAULT_WAIT: Duration = Duration::from_secs(300);

/// The daemon connection, made on first use (a script without Docker calls
/// never needs a daemon) and kept for the run.
struct Conn {
    env: Rc<Env>,
    docker: RefCell<Option<Docker>>,
}

impl Conn {
    fn get(&self) -> RhaiResult<Docker> {
        if let Some(d) = self.docker.borrow().as_ref() {
            return Ok(d.clone());
        }
        let d = self.env.block_on(docker::connect()).map_err(host_error)?;
        *self.docker.borrow_mut() = Some(d.clone());
        Ok(d)
    }
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let conn = Rc::new(Conn {
        env: env.clone(),
        docker: RefCell::new(None),
    });

    let (e, c) = (env.clone(), conn.clone());
    opts0(
        &mut m,
        "ps",
        &[
            "/// Containers, as `docker ps` lists them, with the keys of `docker::container`: the list",
            "/// fills `id, name, image, image_id, state, status, health, ports`; `restart_count` is 0",
            "/// and `exit_code, started_at, finished_at, error` are `()` (ask `docker::container`).",
            "///",
            "/// opts: `all` (bool) includes stopped ones, like `docker ps -a`.",
        ],
        &["opts: Map", "Array"],
        move |opts: &Map| -> RhaiResult<Array> {
            check_opts(opts, "docker::ps", &["all"])?;
            let all = opt_bool(opts, "all")?.unwrap_or(false);
            let d = c.get()?;
            let list = e.block_on(docker::ps(&d, all)).map_err(host_error)?;
            list.iter().map(|c| to_map(c).map(Dynamic::from)).collect()
        },
    );

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("container")
        .with_comments([
            "/// A container by name (with or without leading `/`) or id, or `()` when absent:",
            "/// `#{id, name, image, image_id, state, status, health, ports, restart_count, exit_code,",
            "/// started_at, finished_at, error}`.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let d = c.get()?;
            to_map_or_unit(e.block_on(docker::container(&d, name)).map_err(host_error)?.as_ref())
        });

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("image")
        .with_comments([
            "/// An image by name or id: `#{id, tags, created, size}`, or `()` when absent.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let d = c.get()?;
            to_map_or_unit(
                e.block_on(docker::image(&d, name))
                    .map_err(host_error)?
                    .as_ref(),
            )
        });

    FuncRegistration::new("archive")
        .with_comments([
            "/// What an image archive (`docker save` output, `.tar` or `.tar.gz`) holds, read from its",
            "/// `manifest.json` without loading it: `#{id, tags, gzipped}`. Compare `id` with a",
            "/// container's `image_id` to tell whether that image is the one running.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<Map> {
            to_map(&docker::inspect_archive(Path::new(path)).map_err(host_error)?)
        });

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("load")
        .with_comments([
            "/// Loads a `docker save` archive (`.tar` or `.tar.gz`); `ok` when the image it holds",
            "/// (by id, from its manifest.json) is already present. Returns `#{status, changed, id, tags, gzipped, path}`.",
        ])
        .with_params_info(["path: Dynamic", "Map"])
        .set_into_module(&mut m, move |path: Dynamic| -> RhaiResult<Map> {
            let Planned::Known(path) = planned_str(&path, "docker::load: path")? else {
                return unknown_report(&e, "docker", "load", None, Map::new());
            };
            let d = c.get()?;
            let (o, info) = e
                .block_on(docker::load(&e.ctx, &d, Path::new(&path)))
                .map_err(host_error)?;
            let mut fields = to_map(&info)?;
            fields.insert("path".into(), path.clone().into());
            Ok(e.report("docker", "load", &path, &o, fields))
        });

    let (e, c) = (env.clone(), conn.clone());
    opts1(
        &mut m,
        "logs",
        &[
            "/// A container's output (stdout and stderr, redacted).",
            "/// opts: `tail` (int) keeps only the last lines.",
        ],
        &["name: &str", "opts: Map", "String"],
        move |name: ImmutableString, opts: &Map| -> RhaiResult<String> {
            check_opts(opts, "docker::logs", &["tail"])?;
            let tail =
                match opt_int(opts, "tail")? {
                    None => None,
                    Some(t) => Some(u32::try_from(t).map_err(|_| {
                        invalid(format!("option 'tail' must be 0 or more, got {t}"))
                    })?),
                };
            let d = c.get()?;
            e.block_on(docker::logs(&e.ctx, &d, &name, tail))
                .map_err(host_error)
        },
    );

    let (e, c) = (env.clone(), conn.clone());
    opts1(
        &mut m,
        "wait_running",
        &[
            "/// Waits until the container is running, showing progress; skipped in check mode.",
            "/// Fails at once when it exits (exit code and logs), or after `timeout` with its state,",
            "/// restart count and last log lines.",
            "///",
            "/// opts: `timeout` (default `\"5m\"`), `healthy` (bool: also wait for a health check to pass).",
            "///",
            "/// `docker::wait_running(\"auth\", #{timeout: \"5m\", healthy: true});`",
        ],
        &["name: Dynamic", "opts: Map", "Map"],
        move |name: Dynamic, opts: &Map| -> RhaiResult<Map> {
            check_opts(opts, "docker::wait_running", &["timeout", "healthy"])?;
            let timeout = opt_timeout(opts, DEFAULT_WAIT)?;
            let healthy = opt_bool(opts, "healthy")?.unwrap_or(false);
            let Planned::Known(name) = planned_str(&name, "docker::wait_running: name")? else {
                return unknown_wait_report(&e, "docker", "wait_running", "a container");
            };
            let d = c.get()?;
            let (o, info) = e
                .block_on(docker::wait_running(&e.ctx, &d, &name, timeout, healthy))
                .map_err(host_error)?;
            let fields = match &info {
                Some(c) => to_map(c)?,
                None => Map::new(),
            };
            Ok(e.report("docker", "wait_running", &name, &o, fields))
        },
    );
    m
}
