//! What every binding shares: the host context, the reporter, the parameters.

use std::cell::{Cell, OnceCell, RefCell};
use std::rc::Rc;

use rhai::Map;

use crate::host::aws::{Aws, AwsSettings};
use crate::host::{Cancel, Ctx, ErrorKind, HostError, HostResult, Outcome};
use crate::report::{OpEvent, Reporter};

pub struct Env {
    pub ctx: Ctx,
    pub reporter: Rc<Reporter>,
    /// Resolved parameters, by name; `()` for an optional one left unset.
    pub params: RefCell<Map>,
    /// False when the playbook has no header (eval, REPL): any name may be asked for.
    pub params_declared: Cell<bool>,
    /// A TTY is attached, so the script may ask questions.
    pub interactive: bool,
    /// `--yes`: consent given in advance to what `confirm` would ask.
    pub yes: bool,
    /// Identity and region for IAM and STS: `--aws-profile`/`--aws-region`,
    /// `aws::configure` in scripts; unset parts fall back to the standard chain
    /// (`AWS_PROFILE`, `AWS_REGION`, the shared config files).
    pub aws: RefCell<AwsSettings>,
    /// AWS clients, built once per (profile, region).
    pub aws_clients: Aws,
    /// One current-thread runtime for the process, built on first use (AWS, Docker).
    tokio: OnceCell<tokio::runtime::Runtime>,
}

impl Env {
    pub fn new(ctx: Ctx, reporter: Rc<Reporter>, interactive: bool, yes: bool) -> Self {
        Env {
            ctx,
            reporter,
            params: RefCell::new(Map::new()),
            params_declared: Cell::new(false),
            interactive,
            yes,
            aws: RefCell::new(AwsSettings::default()),
            aws_clients: Aws::new(),
            tokio: OnceCell::new(),
        }
    }

    /// Sets the AWS identity and region for IAM and STS (the CLI's `--aws-profile`/`--aws-region`).
    pub fn set_aws(&self, settings: AwsSettings) {
        *self.aws.borrow_mut() = settings;
    }

    /// Runs a host future on the process's single runtime, racing Ctrl-C: a
    /// call blocked on a stalled endpoint is dropped within 100 ms of the
    /// signal and gives the `cancelled` error, so the run ends with exit 130.
    pub fn block_on<T, F>(&self, fut: F) -> HostResult<T>
    where
        F: std::future::Future<Output = HostResult<T>>,
    {
        let rt = self.tokio.get_or_init(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("cannot start the async runtime")
        });
        let cancel = self.ctx.cancel.clone();
        rt.block_on(async move {
            tokio::select! {
                biased;
                () = cancelled(&cancel) => Err(HostError::new(ErrorKind::Cancelled, "interrupted")),
                r = fut => r,
            }
        })
    }

    /// Reports an operation and returns the map a state-changing function gives
    /// back: `status`, `changed`, `summary`, plus the resource's own fields.
    pub fn report(
        &self,
        module: &str,
        action: &str,
        target: &str,
        outcome: &Outcome,
        fields: Map,
    ) -> Map {
        self.reporter.op(OpEvent {
            module: module.into(),
            action: action.into(),
            target: target.into(),
            status: outcome.status,
            summary: outcome.summary.clone(),
            diff: if self.ctx.diff {
                outcome.diff.clone()
            } else {
                None
            },
        });
        let mut map = fields;
        map.insert("status".into(), outcome.status.as_str().into());
        map.insert("changed".into(), outcome.changed().into());
        map.insert("summary".into(), outcome.summary.clone().into());
        map
    }
}

/// Resolves once the run is cancelled (checked every 100 ms).
async fn cancelled(cancel: &Cancel) {
    while !cancel.is_cancelled() {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}
