//! Times steps 1–2 of the procedure (policy, user, attachment, access key)
//! against a moto server, all in one process through the SDK: the first run
//! on an empty account, then a converged rerun. Run through
//! `benches/aws_steps.sh`, which starts moto and compares with the `aws` CLI.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use runbook::host::aws::{Aws, AwsSettings, iam, policy, sts};
use runbook::host::{Ctx, Mode};

fn reset(endpoint: &str) {
    let host = endpoint.trim_start_matches("http://").trim_end_matches('/');
    let mut s = TcpStream::connect(host).expect("moto is not reachable");
    write!(
        s,
        "POST /moto-api/reset HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut r = String::new();
    s.read_to_string(&mut r).unwrap();
}

async fn steps(ctx: &Ctx, aws: &Aws, create_key: bool) {
    let c = aws.clients(&AwsSettings::default()).await.unwrap();
    sts::whoami(&c).await.unwrap();
    let doc = policy::document(&["secretsmanager:GetSecretValue".into()], &["*".into()]).unwrap();
    let p = iam::ensure_policy(ctx, &c, "read_secrets_policy", &doc, "/", None)
        .await
        .unwrap();
    iam::ensure_user(ctx, &c, "alation-agent-bench", None, &[])
        .await
        .unwrap();
    iam::ensure_user_policy(ctx, &c, "alation-agent-bench", &p.arn)
        .await
        .unwrap();
    iam::access_keys(ctx, &c, "alation-agent-bench")
        .await
        .unwrap();
    if create_key {
        iam::create_access_key(ctx, &c, "alation-agent-bench")
            .await
            .unwrap();
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let Ok(endpoint) = std::env::var("AWS_ENDPOINT_URL") else {
        eprintln!("AWS_ENDPOINT_URL is not set: run benches/aws_steps.sh, which starts moto");
        std::process::exit(2);
    };
    let n: usize = std::env::var("BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ctx = Ctx::plain(Mode::Apply);
    let (mut fresh, mut converged) = (vec![], vec![]);
    for _ in 0..n {
        reset(&endpoint);
        // A new cache each run, so client construction is part of the time.
        let aws = Aws::new();
        let t = Instant::now();
        rt.block_on(steps(&ctx, &aws, true));
        fresh.push(t.elapsed());
        let t = Instant::now();
        rt.block_on(steps(&ctx, &aws, false));
        converged.push(t.elapsed());
    }
    println!(
        "runbook (one process, {n} runs): steps 1-2 on an empty account {:?} median; converged rerun {:?} median",
        median(fresh),
        median(converged)
    );
}
