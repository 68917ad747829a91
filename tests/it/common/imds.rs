//! An IMDSv2 stand-in on loopback, for the instance-profile variant: the
//! token `PUT`, `instance-id`, `placement/region`, and
//! `iam/security-credentials/<role>` answering with credentials from moto's
//! `AssumeRole` of the role that the instance's associated instance profile
//! holds (moto's own metadata responder is not tied to the association).
//! Reach it with `AWS_EC2_METADATA_SERVICE_ENDPOINT` = [`Imds::endpoint`].
//!
//! It asks moto on every request, so it is used while the test holds moto.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

const TOKEN: &str = "stand-in-imds-token";

pub struct Imds {
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Imds {
    /// Serves `instance_id` in `region` until dropped.
    pub fn start(instance_id: &str, region: &str) -> Imds {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind IMDS stand-in");
        listener.set_nonblocking(true).unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let stop = Arc::new(AtomicBool::new(false));
        let (s, id, region) = (stop.clone(), instance_id.to_string(), region.to_string());
        // Bounded: it stops with the test, and at the latest after 10 minutes.
        let thread = std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !s.load(Ordering::Relaxed) && started.elapsed() < Duration::from_secs(600) {
                match listener.accept() {
                    Ok((conn, _)) => {
                        let _ = serve(conn, &id, &region);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Imds {
            endpoint,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Imds {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(conn: TcpStream, instance_id: &str, region: &str) -> std::io::Result<()> {
    conn.set_nonblocking(false)?;
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let mut token = None;
    let mut length = 0usize;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        let (k, v) = h.split_once(':').unwrap_or((&h, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "x-aws-ec2-metadata-token" => token = Some(v.trim().to_string()),
            "content-length" => length = v.trim().parse().unwrap_or(0),
            _ => {}
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let (status, text) = answer(method, path, token.as_deref(), instance_id, region);
    // The SDK reads the token's lifetime from this header, as IMDS sends it.
    let ttl = if method == "PUT" {
        "X-aws-ec2-metadata-token-ttl-seconds: 21600\r\n"
    } else {
        ""
    };
    let mut out = conn;
    write!(
        out,
        "HTTP/1.1 {status} X\r\nContent-Type: text/plain\r\n{ttl}Content-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    )?;
    out.flush()
}

fn answer(method: &str, path: &str, token: Option<&str>, id: &str, region: &str) -> (u16, String) {
    if method == "PUT" && path == "/latest/api/token" {
        return (200, TOKEN.into());
    }
    // IMDSv2 only: a request without the session token is refused.
    if token != Some(TOKEN) {
        return (401, String::new());
    }
    let creds = "/latest/meta-data/iam/security-credentials/";
    match path {
        "/latest/meta-data/instance-id" => (200, id.into()),
        "/latest/meta-data/placement/region" => (200, region.into()),
        p if p == creds || p == creds.trim_end_matches('/') => match associated_role(id) {
            Some(role) => (200, role),
            None => (404, String::new()),
        },
        p if p.starts_with(creds) => {
            let asked = &p[creds.len()..];
            match associated_role(id) {
                Some(role) if role == asked => (200, assume(&role, id)),
                _ => (404, String::new()),
            }
        }
        _ => (404, String::new()),
    }
}

/// The text between the first `<tag>` and `</tag>`.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(xml[start..end].to_string())
}

/// A query-protocol call to moto without the moto lock's check: this runs on
/// the stand-in's thread, while the test that started it holds moto.
pub fn query(service: &str, body: &str) -> String {
    let url = std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (moto)");
    let host = url.trim_start_matches("http://").trim_end_matches('/');
    let req = format!(
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    super::http(host, &req)
}

fn associated_role(instance_id: &str) -> Option<String> {
    let out = query(
        "ec2",
        &format!(
            "Action=DescribeIamInstanceProfileAssociations&Version=2016-11-15&Filter.1.Name=instance-id&Filter.1.Value.1={instance_id}"
        ),
    );
    if !out.contains("<state>associated</state>") {
        return None;
    }
    let arn = xml_value(&out, "arn")?;
    let name = arn.rsplit('/').next()?.to_string();
    let profile = query(
        "iam",
        &format!("Action=GetInstanceProfile&Version=2010-05-08&InstanceProfileName={name}"),
    );
    xml_value(&profile, "RoleName")
}

fn assume(role: &str, session: &str) -> String {
    let account = "123456789012";
    let out = query(
        "sts",
        &format!(
            "Action=AssumeRole&Version=2011-06-15&RoleSessionName={session}&RoleArn=arn%3Aaws%3Aiam%3A%3A{account}%3Arole%2F{role}"
        ),
    );
    let get = |t: &str| xml_value(&out, t).unwrap_or_else(|| panic!("AssumeRole: no {t} in {out}"));
    serde_json::json!({
        "Code": "Success",
        "LastUpdated": "2026-01-01T00:00:00Z",
        "Type": "AWS-HMAC",
        "AccessKeyId": get("AccessKeyId"),
        "SecretAccessKey": get("SecretAccessKey"),
        "Token": get("SessionToken"),
        "Expiration": get("Expiration"),
    })
    .to_string()
}

/// A new instance in moto (EC2 `RunInstances`); its id.
pub fn run_instance() -> String {
    let out = query(
        "ec2",
        "Action=RunInstances&Version=2016-11-15&ImageId=ami-12c6146b&MinCount=1&MaxCount=1&InstanceType=t3.micro",
    );
    xml_value(&out, "instanceId").unwrap_or_else(|| panic!("RunInstances: {out}"))
}
