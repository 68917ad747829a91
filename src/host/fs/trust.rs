//! The folders a file holding a secret may be written into.
//!
//! Whoever may write to a folder on the way to a file can rename what is below
//! it, put a link in its place, or swap the whole subtree between two calls, and
//! so choose where the secret ends up. So for a secret, every folder from `/` to
//! the file's own folder, as the path resolves (symbolic links higher up are
//! followed, and the folder holding each link is checked as well), must be:
//!
//! - owned by root, by the user runbook runs as, or by the file's future owner;
//! - writable by nobody but that owner: no group or other write bit, unless
//!   the sticky bit is set (as on `/tmp`, where others cannot rename or remove
//!   what is not theirs).
//!
//! The file's own folder must not itself be a symbolic link (unless the call
//! passes `follow_symlinks: true`). Access control lists are not looked at.
//! Folders that do not exist yet are created by runbook and trusted.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

use nix::unistd::geteuid;

use super::open::{link_text, symlink_refused};
use super::{Kind, Stat, lstat};
use crate::host::{ErrorKind, HostError, HostResult, users};

/// Links followed at most, like the kernel's limit.
const MAX_HOPS: usize = 40;

/// Why `st` (a folder) is not safe for a secret below it, or `None` when it is.
/// `owner` is the uid the file will have, when the call sets one.
pub fn distrust(st: &Stat, owner: Option<u32>, me: u32) -> Option<(String, String)> {
    if st.uid != 0 && st.uid != me && Some(st.uid) != owner {
        return Some((
            format!(
                "belongs to {} (uid {}), not to root",
                users::user_name(st.uid),
                st.uid
            ),
            "chown root".into(),
        ));
    }
    let m = st.mode.bits();
    if m & 0o1000 != 0 {
        return None;
    }
    if m & 0o002 != 0 {
        return Some((
            format!("is writable by others (mode {})", st.mode),
            "chmod go-w".into(),
        ));
    }
    if m & 0o020 != 0 {
        return Some((
            format!(
                "is writable by its group {} (mode {})",
                users::group_name(st.gid),
                st.mode
            ),
            "chmod g-w".into(),
        ));
    }
    None
}

/// Refuses `dir` for a file holding a secret unless every folder of its chain
/// is trusted (see the module comment). `allow_link` lets `dir` itself be a link.
pub fn check_secret_dir(dir: &Path, owner: Option<u32>, allow_link: bool) -> HostResult<()> {
    if !allow_link && lstat(dir)?.is_some_and(|s| s.kind == Kind::Symlink) {
        return Err(symlink_refused(dir, &link_text(dir), "write a secret"));
    }
    let me = geteuid().as_raw();
    walk(dir, &|folder: &Path, st: &Stat| {
        match distrust(st, owner, me) {
        None => Ok(()),
        Some((why, fix)) => Err(HostError::new(
            ErrorKind::Conflict,
            format!(
                "{} {why}: someone else could swap the file or the folders below it, so runbook does not write a secret there",
                folder.display()
            ),
        )
        .with_hint(format!(
            "{fix} {} (only its owner may change what is in it), or keep the file in another folder",
            folder.display()
        ))),
    }
    })
}

fn parts(p: &Path) -> VecDeque<OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

/// Resolves `dir` one component at a time, calling `check` on every folder
/// entered (from `/` down); stops quietly at the first one that does not exist.
fn walk(dir: &Path, check: &dyn Fn(&Path, &Stat) -> HostResult<()>) -> HostResult<()> {
    let mut cur = PathBuf::from("/");
    let root = lstat(&cur)?.ok_or_else(|| HostError::failed("/ cannot be read"))?;
    check(&cur, &root)?;
    let mut todo = parts(dir);
    let mut hops = 0;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            // Every prefix of `cur` was checked on the way down.
            cur.pop();
            continue;
        }
        let next = cur.join(&c);
        let Some(st) = lstat(&next)? else {
            return Ok(());
        };
        match st.kind {
            Kind::Dir => {
                check(&next, &st)?;
                cur = next;
            }
            Kind::Symlink => {
                // The link lives in `cur`, which is checked: follow it.
                hops += 1;
                if hops > MAX_HOPS {
                    return Err(HostError::invalid(format!(
                        "{} has too many levels of symbolic links",
                        dir.display()
                    )));
                }
                let target = std::fs::read_link(&next)
                    .map_err(|e| HostError::io("cannot read link", &next, e))?;
                if target.is_absolute() {
                    cur = PathBuf::from("/");
                }
                for (i, p) in parts(&target).into_iter().enumerate() {
                    todo.insert(i, p);
                }
            }
            _ => {
                return Err(HostError::new(
                    ErrorKind::Conflict,
                    format!("{} is a {}, not a directory", next.display(), st.what),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::fs::FileMode;

    fn folder(mode: u32, uid: u32) -> Stat {
        Stat {
            kind: Kind::Dir,
            size: 0,
            mode: FileMode::from_bits(mode),
            uid,
            gid: 0,
            dev: 0,
            ino: 0,
            what: "directory",
        }
    }

    #[test]
    fn who_may_change_a_folder_decides() {
        let me = 1000;
        assert!(distrust(&folder(0o755, 0), None, me).is_none());
        assert!(distrust(&folder(0o700, me), None, me).is_none());
        assert!(
            distrust(&folder(0o1777, 0), None, me).is_none(),
            "sticky /tmp"
        );
        assert!(
            distrust(&folder(0o750, 33), Some(33), me).is_none(),
            "the file's owner"
        );
        let (why, fix) = distrust(&folder(0o777, 0), None, me).unwrap();
        assert!(
            why.contains("writable by others") && fix == "chmod go-w",
            "{why}"
        );
        let (why, _) = distrust(&folder(0o775, 0), None, me).unwrap();
        assert!(why.contains("writable by its group"), "{why}");
        let (why, fix) = distrust(&folder(0o755, 33), None, me).unwrap();
        assert!(why.contains("uid 33") && fix == "chown root", "{why}");
    }
}
