//! AWS primitives through the official SDK: STS, IAM, Secrets Manager.
//!
//! Async functions run on the process's single current-thread runtime (the
//! bindings call them through `Env::block_on`).

pub mod config;
pub mod error;
pub mod iam;
pub mod net;
pub mod net_error;
pub mod policy;
pub mod proxy;
pub mod secrets;
pub mod sts;

pub use config::{Aws, AwsSettings, Clients};
