//! Writes chunk lists to files with vectored writes: headers we built, then the input's own sample bytes.

use std::fs::File;
use std::io::{self, IoSlice, Write};
use std::path::Path;

use bytes::Bytes;

/// Writes `chunks` to `out` in order, as few `writev` calls as the OS allows.
///
/// # Errors
/// The writer's error.
pub fn write_chunks(out: &mut impl Write, chunks: &[Bytes]) -> io::Result<()> {
    // Choice: batches of 512 slices stay under Linux's IOV_MAX of 1024.
    for batch in chunks.chunks(512) {
        let mut slices: Vec<IoSlice<'_>> = batch
            .iter()
            .filter(|c| !c.is_empty())
            .map(|c| IoSlice::new(c))
            .collect();
        let mut slices = &mut slices[..];
        while !slices.is_empty() {
            let written = out.write_vectored(slices)?;
            if written == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::WriteZero,
                    "writer accepted no bytes",
                ));
            }
            IoSlice::advance_slices(&mut slices, written);
        }
    }
    Ok(())
}

/// Creates (or truncates) `path` and writes `chunks` to it.
///
/// # Errors
/// Creating or writing the file fails.
pub fn write_file(path: &Path, chunks: &[Bytes]) -> io::Result<()> {
    let mut file = File::create(path)?;
    write_chunks(&mut file, chunks)?;
    file.flush()
}
