//! Questions to the operator on the terminal: plain, yes/no, and hidden input.

use std::io::{BufRead, IsTerminal, Write};

use nix::sys::termios::{self, LocalFlags, SetArg};

use crate::secret::Secret;

/// True when both ends are a terminal, so a question can be answered.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

fn read_line() -> std::io::Result<String> {
    let mut line = String::new();
    let n = std::io::stdin().lock().read_line(&mut line)?;
    if n == 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "no answer (end of input)",
        ));
    }
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

pub fn ask(prompt: &str) -> std::io::Result<String> {
    let mut err = std::io::stderr();
    write!(err, "{prompt} ")?;
    err.flush()?;
    read_line()
}

pub fn confirm(question: &str) -> std::io::Result<bool> {
    loop {
        let answer = ask(&format!("{question} [y/N]"))?;
        match answer.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(true),
            "" | "n" | "no" => return Ok(false),
            _ => eprintln!("please answer y or n"),
        }
    }
}

/// Reads a line with echo off; the terminal is restored even on error.
pub fn ask_secret(prompt: &str) -> std::io::Result<Secret> {
    let stdin = std::io::stdin();
    let mut err = std::io::stderr();
    write!(err, "{prompt} ")?;
    err.flush()?;
    let saved = termios::tcgetattr(&stdin).map_err(std::io::Error::from)?;
    let mut silent = saved.clone();
    silent.local_flags.remove(LocalFlags::ECHO);
    silent.local_flags.insert(LocalFlags::ECHONL);
    termios::tcsetattr(&stdin, SetArg::TCSANOW, &silent).map_err(std::io::Error::from)?;
    let line = read_line();
    let _ = termios::tcsetattr(&stdin, SetArg::TCSANOW, &saved);
    line.map(Secret::new)
}

/// Writes `label: secret` straight to the controlling terminal, bypassing
/// stdout, stderr and every printer, so it reaches a person and no log.
pub fn show_on_tty(label: &str, secret: &Secret) -> std::io::Result<()> {
    let mut tty = std::fs::OpenOptions::new().write(true).open("/dev/tty")?;
    writeln!(tty, "{label}: {}", secret.expose())?;
    tty.flush()
}
