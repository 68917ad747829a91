//! `docker::` — containers and images through the Docker Engine API.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Duration;

use bollard::Docker;
use rhai::{Array, Dynamic, FuncRegistration, Map, Module};

use super::Env;
use super::convert::{RhaiResult, check_opts, host_error, invalid, opt_bool, opt_int};
use super::local::{path_arg, unknown_report, unknown_wait_report};
use super::systemd::opt_timeout;
use crate::host::docker::{self, ContainerInfo, ImageInfo};

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

fn opt_dynamic(v: Option<String>) -> Dynamic {
    v.map(Dynamic::from).unwrap_or(Dynamic::UNIT)
}

fn container_map(c: &ContainerInfo) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), c.id.clone().into());
    m.insert("name".into(), c.name.clone().into());
    m.insert("image".into(), c.image.clone().into());
    m.insert("image_id".into(), c.image_id.clone().into());
    m.insert("state".into(), c.state.clone().into());
    m.insert("status".into(), c.status.clone().into());
    m.insert("health".into(), opt_dynamic(c.health.clone()));
    let ports: Array = c.ports.iter().map(|p| p.clone().into()).collect();
    m.insert("ports".into(), ports.into());
    m.insert("restart_count".into(), c.restart_count.into());
    m.insert(
        "exit_code".into(),
        c.exit_code.map(Dynamic::from).unwrap_or(Dynamic::UNIT),
    );
    m.insert("started_at".into(), opt_dynamic(c.started_at.clone()));
    m
}

fn image_map(i: &ImageInfo) -> Map {
    let mut m = Map::new();
    m.insert("id".into(), i.id.clone().into());
    let tags: Array = i.tags.iter().map(|t| t.clone().into()).collect();
    m.insert("tags".into(), tags.into());
    m.insert("created".into(), opt_dynamic(i.created.clone()));
    m.insert("size".into(), i.size.into());
    m
}

pub fn module(env: &Rc<Env>) -> Module {
    let mut m = Module::new();
    let conn = Rc::new(Conn {
        env: env.clone(),
        docker: RefCell::new(None),
    });

    let ps = {
        let (e, c) = (env.clone(), conn.clone());
        move |all: bool| -> RhaiResult<Array> {
            let d = c.get()?;
            let list = e.block_on(docker::ps(&d, all)).map_err(host_error)?;
            Ok(list
                .iter()
                .map(|c| Dynamic::from_map(container_map(c)))
                .collect())
        }
    };
    let ps2 = ps.clone();
    FuncRegistration::new("ps")
        .with_comments([
            "/// Running containers: `[#{id, name, image, state, status, health, ports}]`.",
        ])
        .with_params_info(["Array"])
        .set_into_module(&mut m, move || ps(false));
    FuncRegistration::new("ps")
        .with_comments([
            "/// Containers: `[#{id, name, image, state, status, health, ports}]`.",
            "///",
            "/// opts: `all` (bool) includes stopped ones, like `docker ps -a`.",
        ])
        .with_params_info(["opts: Map", "Array"])
        .set_into_module(&mut m, move |opts: Map| -> RhaiResult<Array> {
            check_opts(&opts, "docker::ps", &["all"])?;
            ps2(opt_bool(&opts, "all")?.unwrap_or(false))
        });

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("container")
        .with_comments([
            "/// A container by name (with or without leading `/`) or id: `#{id, name, image, image_id,",
            "/// state, status, health, ports, restart_count, exit_code, started_at}`, or `()` when absent.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let d = c.get()?;
            Ok(e.block_on(docker::container(&d, name))
                .map_err(host_error)?
                .map(|c| Dynamic::from_map(container_map(&c)))
                .unwrap_or(Dynamic::UNIT))
        });

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("image")
        .with_comments([
            "/// An image by name or id: `#{id, tags, created, size}`, or `()` when absent.",
        ])
        .with_params_info(["name: &str", "Dynamic"])
        .set_into_module(&mut m, move |name: &str| -> RhaiResult<Dynamic> {
            let d = c.get()?;
            Ok(e.block_on(docker::image(&d, name))
                .map_err(host_error)?
                .map(|i| Dynamic::from_map(image_map(&i)))
                .unwrap_or(Dynamic::UNIT))
        });

    FuncRegistration::new("archive")
        .with_comments([
            "/// What an image archive (`docker save` output, `.tar` or `.tar.gz`) holds, read from its",
            "/// `manifest.json` without loading it: `#{id, tags, gzipped}`. Compare `id` with a",
            "/// container's `image_id` to tell whether that image is the one running.",
        ])
        .with_params_info(["path: &str", "Map"])
        .set_into_module(&mut m, |path: &str| -> RhaiResult<Map> {
            let info = docker::inspect_archive(Path::new(path)).map_err(host_error)?;
            let mut map = Map::new();
            map.insert("id".into(), info.id.into());
            map.insert("tags".into(), info.tags.into_iter().map(Dynamic::from).collect::<Array>().into());
            map.insert("gzipped".into(), info.gzipped.into());
            Ok(map)
        });

    let (e, c) = (env.clone(), conn.clone());
    FuncRegistration::new("load")
        .with_comments([
            "/// Loads a `docker save` archive (`.tar` or `.tar.gz`); `ok` when the image it holds",
            "/// (by id, from its manifest.json) is already present. Returns `#{status, changed, id, tags, path}`.",
        ])
        .with_params_info(["path: Dynamic", "Map"])
        .set_into_module(&mut m, move |path: Dynamic| -> RhaiResult<Map> {
            let Some(path) = path_arg(&path, "docker::load: path")? else {
                return unknown_report(&e, "docker", "load", None, Map::new());
            };
            let d = c.get()?;
            let (o, info) = e
                .block_on(docker::load(&e.ctx, &d, Path::new(&path)))
                .map_err(host_error)?;
            let mut fields = Map::new();
            fields.insert("id".into(), info.id.into());
            let tags: Array = info.tags.into_iter().map(Dynamic::from).collect();
            fields.insert("tags".into(), tags.into());
            fields.insert("path".into(), path.clone().into());
            Ok(e.report("docker", "load", &path, &o, fields))
        });

    let logs = {
        let (e, c) = (env.clone(), conn.clone());
        move |name: &str, tail: Option<u32>| -> RhaiResult<String> {
            let d = c.get()?;
            e.block_on(docker::logs(&e.ctx, &d, name, tail))
                .map_err(host_error)
        }
    };
    let logs2 = logs.clone();
    FuncRegistration::new("logs")
        .with_comments(["/// A container's whole output (stdout and stderr)."])
        .with_params_info(["name: &str", "String"])
        .set_into_module(&mut m, move |name: &str| logs(name, None));
    FuncRegistration::new("logs")
        .with_comments(["/// A container's output; opts: `tail` (int) keeps only the last lines."])
        .with_params_info(["name: &str", "opts: Map", "String"])
        .set_into_module(&mut m, move |name: &str, opts: Map| -> RhaiResult<String> {
            check_opts(&opts, "docker::logs", &["tail"])?;
            let tail =
                match opt_int(&opts, "tail")? {
                    None => None,
                    Some(t) => Some(u32::try_from(t).map_err(|_| {
                        invalid(format!("option 'tail' must be 0 or more, got {t}"))
                    })?),
                };
            logs2(name, tail)
        });

    let wait = {
        let (e, c) = (env.clone(), conn.clone());
        move |name: Dynamic, timeout: Duration, healthy: bool| -> RhaiResult<Map> {
            let Some(name) = path_arg(&name, "docker::wait_running: name")? else {
                return unknown_wait_report(&e, "docker", "wait_running", "a container");
            };
            let d = c.get()?;
            let (o, info) = e
                .block_on(docker::wait_running(&e.ctx, &d, &name, timeout, healthy))
                .map_err(host_error)?;
            let fields = info.as_ref().map(container_map).unwrap_or_default();
            Ok(e.report("docker", "wait_running", &name, &o, fields))
        }
    };
    let wait2 = wait.clone();
    FuncRegistration::new("wait_running")
        .with_comments([
            "/// Waits (up to 5 minutes) until the container is running; skipped in check mode.",
        ])
        .with_params_info(["name: Dynamic", "Map"])
        .set_into_module(&mut m, move |name: Dynamic| wait(name, DEFAULT_WAIT, false));
    FuncRegistration::new("wait_running")
        .with_comments([
            "/// Waits until the container is running, showing progress; skipped in check mode.",
            "/// Fails at once when it exits (exit code and logs), or after `timeout` with its state,",
            "/// restart count and last log lines.",
            "///",
            "/// opts: `timeout` (default `\"5m\"`), `healthy` (bool: also wait for a health check to pass).",
            "///",
            "/// `docker::wait_running(\"auth\", #{timeout: \"5m\", healthy: true});`",
        ])
        .with_params_info(["name: Dynamic", "opts: Map", "Map"])
        .set_into_module(&mut m, move |name: Dynamic, opts: Map| -> RhaiResult<Map> {
            check_opts(&opts, "docker::wait_running", &["timeout", "healthy"])?;
            let timeout = opt_timeout(&opts, DEFAULT_WAIT)?;
            let healthy = opt_bool(&opts, "healthy")?.unwrap_or(false);
            wait2(name, timeout, healthy)
        });
    m
}
