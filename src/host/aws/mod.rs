//! AWS primitives through the official SDK: STS, IAM, Secrets Manager, the
//! EC2 instance-profile association, and the instance metadata service.
//!
//! Async functions run on the process's single current-thread runtime (the
//! bindings call them through `Env::block_on`).

pub mod config;
pub mod ec2;
pub mod error;
pub mod iam;
pub mod imds;
pub mod net;
pub mod net_error;
pub mod policy;
pub mod proxy;
pub mod secrets;
pub mod sts;

pub use config::{Aws, AwsSettings, Clients};
