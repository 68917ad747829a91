use super::*;

/// Lays out a small ELF64 executable: header, program headers, then an
/// interpreter string, a string table, version needs and the dynamic
/// section, all inside one PT_LOAD at 0x400000. `needs` is
/// `[(library, [versions])]`; `None` builds a static executable.
fn elf(needs: Option<&[(&str, &[&str])]>) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    let Some(needs) = needs else {
        let mut f = header(0);
        f.resize(128, 0);
        return f;
    };
    let phnum = 3u64;
    let mut body = Vec::new();
    let data_start = 64 + 56 * phnum;
    let at = |body: &Vec<u8>| data_start + body.len() as u64;

    let interp_off = at(&body);
    body.extend_from_slice(b"/lib64/ld-linux-x86-64.so.2\0");

    let str_off = at(&body);
    let mut strings = vec![0u8];
    let mut intern = |s: &str| {
        let pos = strings.len() as u32;
        strings.extend_from_slice(s.as_bytes());
        strings.push(0);
        pos
    };
    let libs: Vec<(u32, Vec<u32>)> = needs
        .iter()
        .map(|(lib, vs)| (intern(lib), vs.iter().map(|v| intern(v)).collect()))
        .collect();
    let strsz = strings.len() as u64;
    body.extend_from_slice(&strings);
    while body.len() % 8 != 0 {
        body.push(0);
    }

    let verneed_off = at(&body);
    for (i, (file, versions)) in libs.iter().enumerate() {
        let last = i + 1 == libs.len();
        let size = 16 + 16 * versions.len() as u32;
        body.extend_from_slice(&1u16.to_le_bytes());
        body.extend_from_slice(&(versions.len() as u16).to_le_bytes());
        body.extend_from_slice(&file.to_le_bytes());
        body.extend_from_slice(&16u32.to_le_bytes());
        body.extend_from_slice(&(if last { 0 } else { size }).to_le_bytes());
        for (j, name) in versions.iter().enumerate() {
            let last = j + 1 == versions.len();
            body.extend_from_slice(&0u32.to_le_bytes()); // hash: not read
            body.extend_from_slice(&0u16.to_le_bytes());
            body.extend_from_slice(&2u16.to_le_bytes());
            body.extend_from_slice(&name.to_le_bytes());
            body.extend_from_slice(&(if last { 0u32 } else { 16 }).to_le_bytes());
        }
    }

    let dyn_off = at(&body);
    let mut dyn_entry = |tag: i64, val: u64| {
        body.extend_from_slice(&tag.to_le_bytes());
        body.extend_from_slice(&val.to_le_bytes());
    };
    for (file, _) in &libs {
        dyn_entry(DT_NEEDED, u64::from(*file));
    }
    dyn_entry(DT_STRTAB, BASE + str_off);
    dyn_entry(DT_STRSZ, strsz);
    dyn_entry(DT_VERNEED, BASE + verneed_off);
    dyn_entry(DT_VERNEEDNUM, libs.len() as u64);
    dyn_entry(DT_NULL, 0);
    let dyn_size = at(&body) - dyn_off;

    let total = at(&body);
    let mut f = header(phnum as u16);
    let mut phdr = |kind: u32, offset: u64, vaddr: u64, size: u64| {
        f.extend_from_slice(&kind.to_le_bytes());
        f.extend_from_slice(&4u32.to_le_bytes());
        for v in [offset, vaddr, vaddr, size, size, 8] {
            f.extend_from_slice(&v.to_le_bytes());
        }
    };
    phdr(PT_INTERP, interp_off, BASE + interp_off, 28);
    phdr(PT_LOAD, 0, BASE, total);
    phdr(PT_DYNAMIC, dyn_off, BASE + dyn_off, dyn_size);
    f.extend_from_slice(&body);
    f
}

fn header(phnum: u16) -> Vec<u8> {
    let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0];
    h.resize(16, 0);
    h.extend_from_slice(&2u16.to_le_bytes()); // ET_EXEC
    h.extend_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    h.extend_from_slice(&1u32.to_le_bytes());
    h.extend_from_slice(&0x40_1000u64.to_le_bytes());
    h.extend_from_slice(&64u64.to_le_bytes()); // e_phoff
    h.extend_from_slice(&0u64.to_le_bytes()); // e_shoff: no sections
    h.extend_from_slice(&0u32.to_le_bytes());
    h.extend_from_slice(&64u16.to_le_bytes());
    h.extend_from_slice(&56u16.to_le_bytes());
    h.extend_from_slice(&phnum.to_le_bytes());
    h.extend_from_slice(&[0; 6]);
    assert_eq!(h.len(), 64);
    h
}

#[test]
fn reads_interpreter_libraries_and_versions() {
    let f = elf(Some(&[
        ("libc.so.6", &["GLIBC_2.2.5", "GLIBC_2.14", "GLIBC_PRIVATE"]),
        ("libm.so.6", &["GLIBC_2.2.5"]),
    ]));
    let needs = read(f.as_slice()).unwrap();
    assert_eq!(
        needs.interpreter.as_deref(),
        Some("/lib64/ld-linux-x86-64.so.2")
    );
    assert_eq!(needs.libraries, ["libc.so.6", "libm.so.6"]);
    assert_eq!(needs.versions.len(), 4);
    assert_eq!(
        needs.versions[1],
        ("libc.so.6".to_string(), "GLIBC_2.14".to_string())
    );
    assert_eq!(needs.libc(), Libc::Glibc(vec![2, 14]));
    assert_eq!(needs.libc().to_string(), "2.14");
}

#[test]
fn the_highest_version_of_any_library_counts() {
    // 2.17 < 2.29 numerically, though not as text.
    let f = elf(Some(&[
        ("libc.so.6", &["GLIBC_2.17", "GLIBC_2.3.4"]),
        ("libm.so.6", &["GLIBC_2.29"]),
    ]));
    assert_eq!(read(f.as_slice()).unwrap().libc().to_string(), "2.29");
    let f = elf(Some(&[("libc.so.6", &["GLIBC_2.9", "GLIBC_2.17"])]));
    assert_eq!(read(f.as_slice()).unwrap().libc().to_string(), "2.17");
}

#[test]
fn static_and_unversioned_binaries() {
    let f = elf(None);
    let needs = read(f.as_slice()).unwrap();
    assert_eq!(needs, Needs::default());
    assert_eq!(needs.libc(), Libc::Static);
    let f = elf(Some(&[("libc.so.6", &["GLIBC_PRIVATE"])]));
    assert_eq!(read(f.as_slice()).unwrap().libc(), Libc::Unversioned);
}

#[test]
fn refuses_what_is_not_an_elf64_le_file() {
    assert!(matches!(
        read(b"#!/bin/sh\necho hi\n".as_slice()),
        Err(ElfError::Malformed(_))
    ));
    let mut f = elf(Some(&[("libc.so.6", &["GLIBC_2.17"])]));
    f[5] = 2; // big-endian
    assert!(matches!(read(f.as_slice()), Err(ElfError::Malformed(_))));
    let f = elf(Some(&[("libc.so.6", &["GLIBC_2.17"])]));
    for len in [10, 64, 100, f.len() - 20] {
        assert!(
            matches!(read(&f[..len]), Err(ElfError::Malformed(_))),
            "cut at {len}"
        );
    }
}

#[test]
fn versions_compare_part_by_part() {
    use std::cmp::Ordering::*;
    assert_eq!(glibc_version("GLIBC_2.2.5"), Some(vec![2, 2, 5]));
    assert_eq!(glibc_version("GLIBC_PRIVATE"), None);
    assert_eq!(glibc_version("GCC_3.0"), None);
    assert_eq!(compare_versions(&[2, 17], &[2, 2, 5]), Greater);
    assert_eq!(compare_versions(&[2, 17], &[2, 17, 0]), Equal);
    assert_eq!(compare_versions(&[2, 3], &[2, 3, 4]), Less);
}

#[test]
fn reads_the_running_test_binary() {
    // Built by the machine's toolchain against its glibc: dynamic, with
    // libc among its libraries and at least the x86-64 baseline 2.2.5.
    let needs = read_path(Path::new("/proc/self/exe")).unwrap();
    assert!(needs.interpreter.is_some(), "{needs:?}");
    assert!(
        needs.libraries.iter().any(|l| l == "libc.so.6"),
        "{needs:?}"
    );
    let Libc::Glibc(v) = needs.libc() else {
        panic!("{needs:?}")
    };
    assert_ne!(compare_versions(&v, &[2, 2, 5]), std::cmp::Ordering::Less);
}
