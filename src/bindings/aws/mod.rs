//! `aws::`, `sts::`, `iam::`, `secrets::`, `ec2::`, `imds::` — the AWS primitives for scripts, a
//! file per service as in `host/aws/`.

mod config;
mod ec2;
mod iam;
mod imds;
mod retire;
mod roles;
mod secrets;
mod sts;

use std::rc::Rc;

use rhai::Dynamic;

pub use config::module as aws_module;
pub use ec2::module as ec2_module;
pub use iam::module as iam_module;
pub use imds::module as imds_module;
pub use secrets::module as secrets_module;
pub use sts::module as sts_module;

use super::Env;
use super::convert::{RhaiResult, host_error};
use crate::host::aws::Clients;
use crate::host::aws::sts::with_identity;
use crate::host::{HostResult, Unknown};
use crate::report::Level;

/// The clients of the identity and region the session is configured for.
fn clients(env: &Env) -> RhaiResult<Rc<Clients>> {
    let settings = env.aws.borrow().clone();
    env.block_on(env.aws_clients.clients(&settings))
        .map_err(host_error)
}

/// Runs an AWS call made with `c`; an `access_denied` error names the caller.
fn call<T>(
    env: &Env,
    c: &Clients,
    fut: impl std::future::Future<Output = HostResult<T>>,
) -> RhaiResult<T> {
    env.block_on(async { with_identity(c, fut.await).await })
        .map_err(host_error)
}

fn warn_all(env: &Env, warnings: &[String]) {
    for w in warnings {
        env.reporter.message(Level::Warn, w);
    }
}

/// A verification skipped in check mode: reported, and an `Unknown` returned.
fn skip_verification(env: &Env, what: &str) -> Dynamic {
    env.reporter.message(
        Level::Info,
        &format!("{what}: skipped (check mode): the credentials may not exist yet"),
    );
    Dynamic::from(Unknown)
}
