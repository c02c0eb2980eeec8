//! Maps inputs to `Bytes` without copying: files are memory-mapped (STYLE §2).

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use bytes::Bytes;

/// One input file as `Bytes` over its memory map.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its bytes (mapped, not read).
    pub bytes: Bytes,
}

/// Memory-maps `path` (an empty file gives empty `Bytes`; mapping zero bytes is an error on Linux).
///
/// # Errors
/// Opening or mapping the file fails.
pub fn map_file(path: &Path) -> io::Result<Bytes> {
    let file = File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(Bytes::new());
    }
    // SAFETY: the map is read-only; like every mmap reader (ripgrep, memmap2's docs) we assume
    // the file is not truncated while mapped. A concurrent writer could change what we read,
    // which the parsers treat as any other bad input (typed errors, no UB in safe code above).
    #[expect(
        unsafe_code,
        reason = "memory-mapping needs unsafe; the only unsafe block in the crate"
    )]
    let map = unsafe { memmap2::Mmap::map(&file)? };
    Ok(Bytes::from_owner(map))
}

/// The inputs at `path`: the file itself, or every regular file of a directory in name order
/// (a directory of fragment files as GetMediaForFragmentList would return them one by one).
///
/// # Errors
/// The path cannot be read or mapped.
pub fn open(path: &Path) -> io::Result<Vec<SourceFile>> {
    if !path.is_dir() {
        return Ok(vec![SourceFile {
            path: path.to_owned(),
            bytes: map_file(path)?,
        }]);
    }
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            paths.push(entry.path());
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            Ok(SourceFile {
                bytes: map_file(&path)?,
                path,
            })
        })
        .collect()
}
