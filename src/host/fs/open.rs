//! Opening what a path names without being led elsewhere.
//!
//! A file is looked at with `fstatat(AT_SYMLINK_NOFOLLOW)` relative to a
//! descriptor of its folder, refused when it is a symbolic link or not a
//! regular file, opened with `O_NOFOLLOW | O_NONBLOCK` (a FIFO or a link that
//! appears in between can neither redirect nor block the open), and checked
//! again with `fstat` on the descriptor: every later read, `fchmod` and
//! `fchown` acts on what was checked, not on whatever the path names by then.

use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use nix::errno::Errno;
use nix::fcntl::{AT_FDCWD, AtFlags, OFlag, openat, readlinkat};
use nix::sys::stat::{FchmodatFlags, Mode, fchmod, fchmodat, fstat, fstatat};
use nix::unistd::{Gid, Uid, fchown, fchownat};

use super::stat::from_raw;
use super::{FileMode, Kind, Stat};
use crate::host::{ErrorKind, HostError, HostResult};

fn io(what: &str, path: &Path, e: Errno) -> HostError {
    HostError::io(what, path, std::io::Error::from(e))
}

/// "a link to X" refused: names the path, the target and the two ways out.
pub fn symlink_refused(path: &Path, target: &str, verb: &str) -> HostError {
    let p = path.display();
    HostError::new(
        ErrorKind::Conflict,
        format!(
            "{p} is a symbolic link to {target}: runbook does not {verb} through a symbolic link, since whoever can change the link chooses the file"
        ),
    )
    .with_hint(format!(
        "check who made the link and why; remove it (rm {p}) so runbook puts a regular file there, or, if the link is meant and only root can change it, pass follow_symlinks: true"
    ))
}

/// Anything but a regular file (a FIFO, a socket, a device) where one is expected.
pub fn not_regular(path: &Path, st: &Stat, verb: &str) -> HostError {
    if st.kind == Kind::Dir {
        return HostError::new(
            ErrorKind::Conflict,
            format!("{} exists but is a directory, not a file", path.display()),
        )
        .with_hint("remove or rename it first, or choose another path");
    }
    HostError::new(
        ErrorKind::Conflict,
        format!(
            "{} is a {}, not a regular file: runbook does not {verb} it (a pipe or a device could block the run or behave unlike a file)",
            path.display(),
            st.what
        ),
    )
    .with_hint(format!(
        "remove it (rm {}) or choose another path",
        path.display()
    ))
}

/// The text of a link, for messages; `?` when it cannot be read.
pub fn link_text(path: &Path) -> String {
    std::fs::read_link(path)
        .map(|t| t.display().to_string())
        .unwrap_or_else(|_| "?".into())
}

/// An open folder: files in it are found relative to this descriptor.
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

impl Dir {
    /// Opens the folder `path`; `None` when it does not exist. With
    /// `nofollow`, a folder that is itself a symbolic link is refused.
    pub fn open(path: &Path, nofollow: bool) -> HostResult<Option<Dir>> {
        let mut flags = OFlag::O_RDONLY | OFlag::O_DIRECTORY | OFlag::O_CLOEXEC;
        if nofollow {
            flags |= OFlag::O_NOFOLLOW;
        }
        match nix::fcntl::open(path, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: path.to_path_buf(),
            })),
            Err(Errno::ENOENT) => Ok(None),
            Err(Errno::ELOOP) if nofollow => {
                Err(symlink_refused(path, &link_text(path), "write a secret"))
            }
            Err(Errno::ENOTDIR) => Err(HostError::new(
                ErrorKind::Conflict,
                format!("{} exists but is not a directory", path.display()),
            )),
            Err(e) => Err(io("cannot open directory", path, e)),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn try_clone(&self) -> HostResult<Dir> {
        Ok(Dir {
            fd: self
                .fd
                .try_clone()
                .map_err(|e| HostError::io("cannot duplicate", &self.path, e))?,
            path: self.path.clone(),
        })
    }

    /// `lstat` of `name` in this folder; `None` when nothing is there.
    pub fn entry(&self, name: &str) -> HostResult<Option<Stat>> {
        match fstatat(self.fd(), name, AtFlags::AT_SYMLINK_NOFOLLOW) {
            Ok(st) => Ok(Some(from_raw(&st))),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(io("cannot read", &self.join(name), e)),
        }
    }

    fn link_target(&self, name: &str) -> String {
        readlinkat(self.fd(), name)
            .map(|t| t.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "?".into())
    }

    /// The regular file `name`, opened for reading; `None` when absent.
    /// A symbolic link or any other kind of file is refused before it is opened.
    pub fn open_file(&self, name: &str, verb: &str) -> HostResult<Option<Handle>> {
        let path = self.join(name);
        let Some(st) = self.entry(name)? else {
            return Ok(None);
        };
        if st.kind == Kind::Symlink {
            return Err(symlink_refused(&path, &self.link_target(name), verb));
        }
        if st.kind != Kind::File {
            return Err(not_regular(&path, &st, verb));
        }
        self.open_checked(name, &st, verb, OFlag::O_RDONLY)
    }

    /// Whatever `name` is (file, folder, FIFO, socket…) except a symbolic
    /// link, held for `fchmod`/`fchown`; `None` when absent. Only regular
    /// files and folders are really opened: a device is never opened.
    pub fn open_any(&self, name: &str, verb: &str) -> HostResult<Option<Handle>> {
        let path = self.join(name);
        let Some(st) = self.entry(name)? else {
            return Ok(None);
        };
        if st.kind == Kind::Symlink {
            return Err(symlink_refused(&path, &self.link_target(name), verb));
        }
        let flags = match st.kind {
            Kind::Dir => OFlag::O_RDONLY | OFlag::O_DIRECTORY,
            Kind::File => OFlag::O_RDONLY,
            _ => OFlag::O_PATH,
        };
        match self.open_checked(name, &st, verb, flags) {
            // Not readable by this user (its own file, mode 0200): a path-only
            // descriptor still allows changing mode and owner.
            Err(e) if e.kind == ErrorKind::AccessDenied && !flags.contains(OFlag::O_PATH) => {
                self.open_checked(name, &st, verb, OFlag::O_PATH)
            }
            r => r,
        }
    }

    fn open_checked(
        &self,
        name: &str,
        seen: &Stat,
        verb: &str,
        flags: OFlag,
    ) -> HostResult<Option<Handle>> {
        let path = self.join(name);
        let flags =
            flags | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
        let fd = match openat(self.fd(), name, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::ENOENT) => return Ok(None),
            // Replaced by a link since the look: the same refusal.
            Err(Errno::ELOOP) => {
                return Err(symlink_refused(&path, &self.link_target(name), verb));
            }
            Err(e) => return Err(io("cannot open", &path, e)),
        };
        let st = from_raw(&fstat(&fd).map_err(|e| io("cannot read", &path, e))?);
        if st.kind == Kind::Symlink {
            return Err(symlink_refused(&path, &self.link_target(name), verb));
        }
        if st.kind != seen.kind
            || (seen.kind == Kind::File && (st.dev, st.ino) != (seen.dev, seen.ino))
        {
            return Err(HostError::new(
                ErrorKind::Conflict,
                format!(
                    "{} changed while runbook was looking at it (now a {}); the file was not changed",
                    path.display(),
                    st.what
                ),
            )
            .with_hint("something else is changing this path: find out what, then run again"));
        }
        Ok(Some(Handle {
            fd,
            path_only: flags.contains(OFlag::O_PATH),
            stat: st,
            path,
        }))
    }

    /// Makes new entries and renames in this folder durable.
    pub fn sync(&self) -> HostResult<()> {
        nix::unistd::fsync(self.fd()).map_err(|e| io("cannot sync directory", &self.path, e))
    }
}

/// An open file or folder, checked to be what was looked at.
pub struct Handle {
    fd: OwnedFd,
    /// An `O_PATH` descriptor: no reading; mode and owner go through `/proc`.
    path_only: bool,
    /// `fstat` of the descriptor when it was opened.
    pub stat: Stat,
    path: PathBuf,
}

impl Handle {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The whole content (regular files opened for reading only).
    pub fn read_all(&self) -> HostResult<Vec<u8>> {
        let fd = self
            .fd
            .try_clone()
            .map_err(|e| HostError::io("cannot read", &self.path, e))?;
        let mut out = Vec::with_capacity(self.stat.size as usize);
        File::from(fd)
            .read_to_end(&mut out)
            .map_err(|e| HostError::io("cannot read", &self.path, e))?;
        Ok(out)
    }

    pub fn chmod(&self, mode: FileMode) -> HostResult<()> {
        let m = Mode::from_bits_truncate(mode.bits());
        let r = if self.path_only {
            let proc = format!("/proc/self/fd/{}", self.fd.as_raw_fd());
            fchmodat(AT_FDCWD, proc.as_str(), m, FchmodatFlags::FollowSymlink)
        } else {
            fchmod(&self.fd, m)
        };
        r.map_err(|e| perm_error("change the mode of", &self.path, e))
    }

    pub fn chown(&self, uid: Option<u32>, gid: Option<u32>) -> HostResult<()> {
        let (u, g) = (uid.map(Uid::from_raw), gid.map(Gid::from_raw));
        let r = if self.path_only {
            fchownat(&self.fd, "", u, g, AtFlags::AT_EMPTY_PATH)
        } else {
            fchown(&self.fd, u, g)
        };
        r.map_err(|e| perm_error("change the owner or group of", &self.path, e))
    }
}

pub fn perm_error(what: &str, path: &Path, e: Errno) -> HostError {
    if e == Errno::EPERM || e == Errno::EACCES {
        HostError::new(
            ErrorKind::AccessDenied,
            format!("not allowed to {what} {}: {e}", path.display()),
        )
        .with_hint("run it again with sudo: sudo runbook …")
    } else {
        io(&format!("cannot {what}"), path, e)
    }
}

/// The content of the regular file at `path`, `None` when it does not exist.
/// With `follow`, symbolic links on the way are followed (a read cannot
/// change the file it ends at); without, a link at `path` is refused.
/// Anything but a regular file is refused before it is opened, and the open
/// itself can neither block nor be redirected to one (`O_NONBLOCK`, `fstat`).
pub fn read_regular(path: &Path, follow: bool, verb: &str) -> HostResult<Option<Vec<u8>>> {
    let meta = if follow {
        std::fs::metadata(path)
    } else {
        std::fs::symlink_metadata(path)
    };
    let seen = match meta {
        Ok(m) => super::stat::from_meta(&m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // A dangling link: say so rather than "does not exist".
            if std::fs::symlink_metadata(path).is_ok() && !follow {
                return Err(symlink_refused(path, &link_text(path), verb));
            }
            return Ok(None);
        }
        Err(e) => return Err(HostError::io("cannot read", path, e)),
    };
    if seen.kind == Kind::Symlink {
        return Err(symlink_refused(path, &link_text(path), verb));
    }
    if seen.kind != Kind::File {
        return Err(not_regular(path, &seen, verb));
    }
    let mut flags = OFlag::O_RDONLY | OFlag::O_NONBLOCK | OFlag::O_NOCTTY | OFlag::O_CLOEXEC;
    if !follow {
        flags |= OFlag::O_NOFOLLOW;
    }
    let fd = match nix::fcntl::open(path, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(None),
        Err(Errno::ELOOP) => return Err(symlink_refused(path, &link_text(path), verb)),
        Err(e) => return Err(io("cannot read", path, e)),
    };
    let st = from_raw(&fstat(&fd).map_err(|e| io("cannot read", path, e))?);
    if st.kind != Kind::File {
        return Err(not_regular(path, &st, verb));
    }
    let h = Handle {
        fd,
        path_only: false,
        stat: st,
        path: path.to_path_buf(),
    };
    h.read_all().map(Some)
}
