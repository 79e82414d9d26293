//! The glibc symbol versions an ELF binary needs, read from its `.gnu.version_r` section, and the check that
//! they are no newer than what provided.al2023 (and Amazon Linux 2023 on EC2) ships.

use std::path::Path;

use object::read::elf::ElfFile64;

use super::error::{Error, Result};

/// glibc of Lambda's provided.al2023 runtime and of Amazon Linux 2023: a binary needing a newer
/// `GLIBC_x.y` symbol version fails to start there.
pub const MAX_GLIBC: (u32, u32) = (2, 34);

/// Every `GLIBC_x.y` (or `x.y.z`) version the binary's dynamic symbols need, as (major, minor, patch), sorted.
pub fn required_versions(path: &Path) -> Result<Vec<(u32, u32, u32)>> {
    let data = std::fs::read(path).map_err(Error::io("read", path))?;
    let elf_error = |err: object::read::Error| Error::Elf {
        path: path.to_owned(),
        message: err.to_string(),
    };
    let elf = ElfFile64::<object::Endianness>::parse(data.as_slice()).map_err(elf_error)?;
    let endian = elf.endian();
    let sections = elf.elf_section_table();
    let mut versions = Vec::new();
    if let Some((mut needs, link)) = sections
        .gnu_verneed(endian, data.as_slice())
        .map_err(elf_error)?
    {
        let strings = sections
            .strings(endian, data.as_slice(), link)
            .map_err(elf_error)?;
        while let Some((_, mut auxes)) = needs.next().map_err(elf_error)? {
            while let Some(aux) = auxes.next().map_err(elf_error)? {
                let name = aux.name(endian, strings).map_err(elf_error)?;
                if let Some(version) = parse_glibc(&String::from_utf8_lossy(name)) {
                    versions.push(version);
                }
            }
        }
    }
    versions.sort_unstable();
    versions.dedup();
    Ok(versions)
}

/// Parses `GLIBC_2.34` or `GLIBC_2.3.4` into (2, 34, 0) or (2, 3, 4); other names (`GLIBC_PRIVATE`, `GCC_3.0`) give
/// `None`.
pub fn parse_glibc(name: &str) -> Option<(u32, u32, u32)> {
    let mut parts = name.strip_prefix("GLIBC_")?.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = match parts.next() {
        Some(patch) => patch.parse().ok()?,
        None => 0,
    };
    parts.next().is_none().then_some((major, minor, patch))
}

/// Fails when the binary needs a glibc newer than [`MAX_GLIBC`].
pub fn check(path: &Path) -> Result<()> {
    let newest = required_versions(path)?.into_iter().max();
    match newest {
        Some((major, minor, patch)) if (major, minor) > MAX_GLIBC => Err(Error::GlibcTooNew {
            path: path.to_owned(),
            found: if patch == 0 {
                format!("GLIBC_{major}.{minor}")
            } else {
                format!("GLIBC_{major}.{minor}.{patch}")
            },
            max: MAX_GLIBC,
        }),
        _ => Ok(()),
    }
}
