//! Where output goes: chunk lists written with vectored writes (headers we built, then the input's
//! own sample bytes), into files that appear whole or not at all.
//!
//! Choice (what a failure leaves behind): a file output is written to a temporary file in its
//! directory and renamed over the target on success; a directory output is staged in a temporary
//! directory beside it, and its files are renamed into place one by one on success. A failure (or
//! a crash) before that leaves the target as it was; only a crash can leave a `.kvs-remux-*`
//! temporary behind. Outputs that are not regular files (`/dev/null`, a pipe, `-` for stdout) are
//! written directly. An output that is one of the inputs (the same file, also through a link), or
//! that exists as the wrong kind (a directory where a file goes, a file where a directory goes), is
//! refused when the output is started, before anything is written.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, IoSlice, Write};
use std::path::{Path, PathBuf};

use bytes::Bytes;

use super::source::FileIdentity;

/// Writes `chunks` to `out` in order, with as few `writev` calls as the OS allows.
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

/// An output failure: which path, and what the operating system said.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The output would overwrite an input.
    #[error("{path} is an input; refusing to write over it")]
    IsInput {
        /// The output path.
        path: PathBuf,
    },
    /// Creating, writing or renaming failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The path that failed.
        path: PathBuf,
        /// The operating system's error.
        source: io::Error,
    },
}

fn write_error(path: &Path) -> impl FnOnce(io::Error) -> OutputError + '_ {
    move |source| OutputError::Write {
        path: path.to_owned(),
        source,
    }
}

/// `error` from creating a temporary without tempfile's ` at path ".kvs-remux-…"` suffix: the
/// message names the output, not a temporary that never came to be.
fn without_temporary_path(error: io::Error) -> io::Error {
    let text = error.to_string();
    match text.split_once(" at path \"") {
        Some((reason, _)) => io::Error::new(error.kind(), reason.to_owned()),
        None => error,
    }
}

/// An output path that exists as the wrong kind of thing (a directory where a file goes, or the
/// other way round).
fn wrong_kind(path: &Path, kind: io::ErrorKind, what: &str) -> OutputError {
    write_error(path)(io::Error::new(kind, what.to_owned()))
}

/// The identities of the input files, so that no output lands on one of them.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    files: HashSet<FileIdentity>,
}

impl Inputs {
    /// The input files' identities.
    pub fn new(identities: impl IntoIterator<Item = FileIdentity>) -> Inputs {
        Inputs {
            files: identities.into_iter().collect(),
        }
    }

    /// Refuses `path` when it names an input (directly or through a link).
    ///
    /// # Errors
    /// [`OutputError::IsInput`].
    pub fn check(&self, path: &Path) -> Result<(), OutputError> {
        match FileIdentity::of(path) {
            Some(identity) if self.files.contains(&identity) => Err(OutputError::IsInput {
                path: path.to_owned(),
            }),
            _ => Ok(()),
        }
    }
}

/// Writes one output file whole: `chunks` to `path` (`-` is stdout).
///
/// # Errors
/// [`OutputError::IsInput`]; [`OutputError::Write`] when creating, writing or renaming fails, in
/// which case `path` is as it was.
pub fn write_file(path: &Path, chunks: &[Bytes], inputs: &Inputs) -> Result<(), OutputError> {
    let mut file = OutputFile::create(path, inputs)?;
    file.write(chunks)?;
    file.commit()
}

/// One output file written piece by piece (see the module docs): it appears whole on
/// [`OutputFile::commit`]; dropped uncommitted, a regular file's target stays as it was.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    target: Target,
}

#[derive(Debug)]
enum Target {
    Stdout,
    Direct(File),
    Temporary(tempfile::NamedTempFile),
}

impl OutputFile {
    /// Starts the output `path` (`-` is stdout).
    ///
    /// # Errors
    /// [`OutputError::IsInput`]; [`OutputError::Write`] when it cannot be created.
    pub fn create(path: &Path, inputs: &Inputs) -> Result<OutputFile, OutputError> {
        let target = if path.as_os_str() == "-" {
            Target::Stdout
        } else {
            inputs.check(path)?;
            let existing = fs::metadata(path).ok();
            if existing.as_ref().is_some_and(fs::Metadata::is_dir) {
                // Refused now, not at the rename after all the work.
                return Err(wrong_kind(
                    path,
                    io::ErrorKind::IsADirectory,
                    "it is a directory",
                ));
            }
            if existing.is_some_and(|m| !m.is_file()) {
                // A device or a pipe (/dev/null): nothing to replace, write straight into it.
                Target::Direct(
                    File::options()
                        .write(true)
                        .open(path)
                        .map_err(write_error(path))?,
                )
            } else {
                // Mode 0666 before the umask, as `File::create` gives (tempfile's default is 0600).
                Target::Temporary(
                    tempfile::Builder::new()
                        .prefix(".kvs-remux-")
                        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
                        .tempfile_in(parent(path))
                        .map_err(|e| write_error(path)(without_temporary_path(e)))?,
                )
            }
        };
        Ok(OutputFile {
            path: path.to_owned(),
            target,
        })
    }

    /// Appends `chunks`.
    ///
    /// # Errors
    /// [`OutputError::Write`].
    pub fn write(&mut self, chunks: &[Bytes]) -> Result<(), OutputError> {
        let result = match &mut self.target {
            Target::Stdout => write_chunks(&mut io::stdout().lock(), chunks),
            Target::Direct(file) => write_chunks(file, chunks),
            Target::Temporary(temp) => write_chunks(temp.as_file_mut(), chunks),
        };
        result.map_err(write_error(&self.path))
    }

    /// Finishes the output: flushed, and a regular file renamed over its target.
    ///
    /// # Errors
    /// [`OutputError::Write`], in which case a regular file's target is as it was.
    pub fn commit(self) -> Result<(), OutputError> {
        let path = self.path;
        match self.target {
            Target::Stdout => io::stdout().lock().flush().map_err(write_error(&path)),
            Target::Direct(mut file) => file.flush().map_err(write_error(&path)),
            Target::Temporary(mut temp) => {
                temp.as_file_mut().flush().map_err(write_error(&path))?;
                temp.persist(&path)
                    .map_err(|e| write_error(&path)(e.error))?;
                Ok(())
            }
        }
    }
}

/// A directory output staged beside its target: files appear in the target on
/// [`StagedDir::commit`], and dropping it uncommitted removes everything it wrote.
#[derive(Debug)]
pub struct StagedDir {
    target: PathBuf,
    stage: tempfile::TempDir,
    /// How many files are staged (their names are the staging directory's listing).
    files: usize,
    inputs: Inputs,
}

impl StagedDir {
    /// Stages output for the directory `target` (created on commit).
    ///
    /// # Errors
    /// [`OutputError::IsInput`] when `target` is an input; [`OutputError::Write`] when the staging
    /// directory cannot be made beside it.
    pub fn new(target: &Path, inputs: Inputs) -> Result<StagedDir, OutputError> {
        inputs.check(target)?;
        if fs::metadata(target).is_ok_and(|m| !m.is_dir()) {
            // Refused now, not when the staged files are moved after all the work.
            return Err(wrong_kind(
                target,
                io::ErrorKind::NotADirectory,
                "it exists and is not a directory",
            ));
        }
        let dir = parent(target);
        let stage = tempfile::Builder::new()
            .prefix(".kvs-remux-")
            .tempdir_in(dir)
            .map_err(|e| write_error(target)(without_temporary_path(e)))?;
        Ok(StagedDir {
            target: target.to_owned(),
            stage,
            files: 0,
            inputs,
        })
    }

    /// Writes `chunks` as `relative` (e.g. `track1/init.mp4`) in the staging directory.
    ///
    /// # Errors
    /// [`OutputError::Write`].
    pub fn write(&mut self, relative: &Path, chunks: &[Bytes]) -> Result<(), OutputError> {
        let path = self.stage.path().join(relative);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(write_error(&self.target.join(relative)))?;
        }
        let mut file = File::create(&path).map_err(write_error(&self.target.join(relative)))?;
        write_chunks(&mut file, chunks)
            .and_then(|()| file.flush())
            .map_err(write_error(&self.target.join(relative)))?;
        self.files += 1;
        Ok(())
    }

    /// How many files are staged.
    pub fn len(&self) -> usize {
        self.files
    }

    /// Whether nothing is staged.
    pub fn is_empty(&self) -> bool {
        self.files == 0
    }

    /// Moves every staged file into the target directory (replacing files of the same name) and
    /// removes the staging directory. The staged files are found by listing the staging directory,
    /// so staging a million files keeps no list of them in memory.
    ///
    /// # Errors
    /// [`OutputError::IsInput`] when a staged file would replace an input; [`OutputError::Write`].
    pub fn commit(self) -> Result<(), OutputError> {
        self.each_staged(&mut |relative| self.inputs.check(&self.target.join(relative)))?;
        fs::create_dir_all(&self.target).map_err(write_error(&self.target))?;
        self.each_staged(&mut |relative| {
            let to = self.target.join(relative);
            if let Some(dir) = to.parent() {
                fs::create_dir_all(dir).map_err(write_error(&to))?;
            }
            fs::rename(self.stage.path().join(relative), &to).map_err(write_error(&to))
        })
    }

    /// Calls `action` with the path (relative to the staging directory) of every staged file.
    fn each_staged(
        &self,
        action: &mut dyn FnMut(&Path) -> Result<(), OutputError>,
    ) -> Result<(), OutputError> {
        let mut dirs = vec![PathBuf::new()];
        while let Some(dir) = dirs.pop() {
            let listing =
                fs::read_dir(self.stage.path().join(&dir)).map_err(write_error(&self.target))?;
            for entry in listing {
                let entry = entry.map_err(write_error(&self.target))?;
                let relative = dir.join(entry.file_name());
                if entry
                    .file_type()
                    .map_err(write_error(&self.target))?
                    .is_dir()
                {
                    dirs.push(relative);
                } else {
                    action(&relative)?;
                }
            }
        }
        Ok(())
    }
}

/// The directory a path's temporary goes in: its parent, or `.` for a bare file name.
fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
