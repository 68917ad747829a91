use super::*;
use std::os::unix::fs::PermissionsExt;

fn take(path: &Path) -> Result<HostLock, LockError> {
    acquire(path.to_path_buf(), false, &Cancel::new(), |_| {})
}

fn why(r: Result<HostLock, LockError>) -> String {
    match r {
        Err(e @ LockError::Unsafe { .. }) => e.to_string(),
        Err(e) => panic!("not refused as unsafe: {e}"),
        Ok(_) => panic!("an unsafe lock was taken"),
    }
}

#[test]
fn a_link_at_the_lock_path_is_refused_and_its_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target");
    std::fs::write(&target, "keep").unwrap();
    let link = dir.path().join("runbook.lock");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert!(why(take(&link)).contains("symbolic link"));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
}

#[test]
fn a_folder_others_can_write_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(why(take(&open.join("runbook.lock"))).contains("others can write"));
}

#[test]
fn runbooks_own_folder_is_made_0700_and_a_wider_one_refused() {
    let dir = tempfile::tempdir().unwrap();
    let own = dir.path().join("runbook");
    secure_dir(&own, true).unwrap();
    let mode = std::fs::metadata(&own).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o700);
    std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(why(secure_dir(&own, true).map(|_| unreachable!())).contains("not 0700"));
}

#[test]
fn a_lock_file_another_user_made_is_refused() {
    if !nix::unistd::geteuid().is_root() {
        // Only root can give a file away; as another user the owner check is
        // covered by the folder test (no one else can create files there).
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("runbook.lock");
    std::fs::write(&lock, "").unwrap();
    std::os::unix::fs::chown(&lock, Some(65534), Some(65534)).unwrap();
    assert!(why(take(&lock)).contains("belongs to uid 65534"));
}

#[test]
fn a_safe_lock_is_taken_and_made_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("runbook.lock");
    let held = take(&lock).unwrap();
    let mode = std::fs::metadata(&lock).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(matches!(take(&lock), Err(LockError::Busy(_))));
    drop(held);
}

#[test]
fn root_keeps_its_lock_in_a_root_only_folder() {
    if std::env::var_os("RUNBOOK_LOCK_FILE").is_some() || !nix::unistd::geteuid().is_root() {
        return;
    }
    assert_eq!(default_path(), Path::new("/run/runbook/runbook.lock"));
}
