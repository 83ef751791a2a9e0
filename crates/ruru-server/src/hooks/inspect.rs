//! Checking a hook library from its file, without loading it.
//!
//! Opening a shared object runs its initialisers, so nothing is opened
//! until the file has shown that it is a ruru hook library: an ELF shared
//! object for this machine that exports `ruru_hook_abi_version` and
//! `ruru_hook_load`, and, when it exports the data symbol `ruru_hook_abi`
//! (libraries built with [`ruru_hooks_sdk::export_hooks!`] or the C header's
//! recommendation do), the ABI version this server implements.
//!
//! The check-only paths (`ruru check`, `config-test`) stop here and never
//! run library code; loading ([`super::loader`]) inspects first as well.

use std::io::Read;
use std::path::Path;

use object::{Object, ObjectSection, ObjectSymbol};
use ruru_hooks_sdk::{RURU_HOOKS_ABI_VERSION, SYM_ABI_DATA, SYM_ABI_VERSION, SYM_LOAD};

use super::HookError;

/// Largest library file read for inspection (bytes).
pub const MAX_LIBRARY_BYTES: u64 = 512 << 20;

/// What the file says about a hook library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Inspected {
    /// The value of `ruru_hook_abi`, when the library exports it.
    pub abi: Option<u32>,
}

/// Reads `path` and checks it as a hook library (see the module doc).
pub fn inspect(path: &Path) -> Result<Inspected, HookError> {
    let shown = path.display();
    let fail = |what: String| HookError(format!("hook library {shown}: {what}"));
    let meta = std::fs::metadata(path).map_err(|e| fail(format!("cannot be read: {e}")))?;
    if !meta.is_file() {
        return Err(fail("is not a regular file".into()));
    }
    if meta.len() > MAX_LIBRARY_BYTES {
        return Err(fail(format!(
            "is larger than {} MiB: not a hook library",
            MAX_LIBRARY_BYTES >> 20
        )));
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_LIBRARY_BYTES).read_to_end(&mut data))
        .map_err(|e| fail(format!("cannot be read: {e}")))?;
    check_bytes(&data).map_err(fail)
}

/// The checks on the file's bytes; the error says what is wrong.
fn check_bytes(data: &[u8]) -> Result<Inspected, String> {
    let file =
        object::File::parse(data).map_err(|e| format!("is not an ELF shared library ({e})"))?;
    if file.format() != object::BinaryFormat::Elf {
        return Err(format!(
            "is a {:?} file, expected an ELF shared library",
            file.format()
        ));
    }
    if file.kind() != object::ObjectKind::Dynamic {
        return Err(format!(
            "is an ELF {:?} file, expected a shared library (ELF type DYN)",
            file.kind()
        ));
    }
    let host = host_architecture();
    if host != object::Architecture::Unknown && file.architecture() != host {
        return Err(format!(
            "is built for {:?}, this server runs on {host:?}",
            file.architecture()
        ));
    }
    let find = |name: &str| {
        file.dynamic_symbols()
            .find(|s| s.is_definition() && s.name() == Ok(name))
    };
    if find(SYM_ABI_VERSION).is_none() {
        return Err(format!(
            "missing required symbol {SYM_ABI_VERSION} (is it a ruru hook library?)"
        ));
    }
    if find(SYM_LOAD).is_none() {
        return Err(format!("missing required symbol {SYM_LOAD}"));
    }
    let abi = match find(SYM_ABI_DATA) {
        None => None,
        Some(sym) => Some(read_u32(&file, &sym).ok_or_else(|| {
            format!("{SYM_ABI_DATA} is not a 4-byte constant in the file's data")
        })?),
    };
    if let Some(v) = abi {
        if v != RURU_HOOKS_ABI_VERSION {
            return Err(format!(
                "was built for ruru hook ABI version {v}; this server implements version {RURU_HOOKS_ABI_VERSION}"
            ));
        }
    }
    Ok(Inspected { abi })
}

/// The 4-byte value of a data symbol, in the file's byte order.
fn read_u32<'d>(file: &object::File<'d>, sym: &object::Symbol<'d, '_>) -> Option<u32> {
    if sym.size() != 4 {
        return None;
    }
    let index = sym.section_index()?;
    let section = file.section_by_index(index).ok()?;
    let bytes = section.data_range(sym.address(), 4).ok()??;
    let arr: [u8; 4] = bytes.try_into().ok()?;
    Some(if file.is_little_endian() {
        u32::from_le_bytes(arr)
    } else {
        u32::from_be_bytes(arr)
    })
}

/// The architecture this server was built for, as `object` names it.
fn host_architecture() -> object::Architecture {
    use object::Architecture as A;
    if cfg!(target_arch = "x86_64") {
        A::X86_64
    } else if cfg!(target_arch = "aarch64") {
        A::Aarch64
    } else if cfg!(target_arch = "x86") {
        A::I386
    } else if cfg!(target_arch = "arm") {
        A::Arm
    } else if cfg!(target_arch = "riscv64") {
        A::Riscv64
    } else if cfg!(target_arch = "powerpc64") {
        A::PowerPc64
    } else if cfg!(target_arch = "s390x") {
        A::S390x
    } else {
        A::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_and_truncated_files_are_refused_without_panicking() {
        for data in [&b""[..], b"\x7fELF", b"#!/bin/sh\n", &[0u8; 64][..]] {
            assert!(check_bytes(data).is_err());
        }
    }

    #[test]
    fn the_server_binary_itself_is_no_hook_library() {
        // The test executable is an ELF file for this machine, but it does
        // not export the hook symbols (and is an executable, not a library,
        // unless built as PIE, which is ELF type DYN too).
        let exe = std::env::current_exe().unwrap();
        let e = inspect(&exe).unwrap_err().to_string();
        assert!(
            e.contains("missing required symbol") || e.contains("expected a shared library"),
            "{e}"
        );
    }

    #[test]
    fn directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let e = inspect(dir.path()).unwrap_err().to_string();
        assert!(e.contains("not a regular file"), "{e}");
    }
}
