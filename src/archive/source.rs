//! Where fragments come from: files, directories, pipes, stdin. The only file-system code on the
//! input side (STYLE §2).
//!
//! Choice (how files are held): a regular file up to [`READ_LIMIT`] is read into memory, a larger
//! one is memory-mapped (zero copy: frames stay slices of the page cache). A mapped file that
//! another process truncates while kvs-remux reads it makes the kernel stop kvs-remux with SIGBUS;
//! a file that grows (a download still running) is read up to the length it had when opened. A
//! file that shrank between indexing and reading is reported as changed. Pipes, FIFOs and
//! character devices are read to their end into memory.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use bytes::Bytes;

/// Regular files up to this size are read, larger ones mapped.
pub const READ_LIMIT: u64 = 64 << 20;

/// One input: a file (loaded when needed) or bytes already in memory.
#[derive(Debug, Clone)]
pub struct Source {
    /// How the input is named in messages: its path, or `-` for stdin.
    pub name: String,
    /// The file, `None` for bytes in memory.
    pub path: Option<PathBuf>,
    /// The input's length when it was opened.
    pub len: u64,
    /// The file's device and inode, to refuse it as an output.
    pub identity: Option<FileIdentity>,
    /// Bytes in memory (stdin, pipes, bytes given by a library user); files load on demand.
    memory: Option<Bytes>,
}

/// A file's device and inode: equal for two paths (hard links, symlinks) to one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileIdentity {
    dev: u64,
    ino: u64,
}

impl FileIdentity {
    /// The identity of what `path` names (symlinks followed), or `None` when it does not exist.
    pub fn of(path: &Path) -> Option<FileIdentity> {
        use std::os::unix::fs::MetadataExt;
        let metadata = fs::metadata(path).ok()?;
        Some(FileIdentity {
            dev: metadata.dev(),
            ino: metadata.ino(),
        })
    }
}

impl Source {
    /// Bytes already in memory, named `name`.
    pub fn memory(name: &str, bytes: Bytes) -> Source {
        Source {
            name: name.to_owned(),
            path: None,
            len: bytes.len() as u64,
            identity: None,
            memory: Some(bytes),
        }
    }

    /// All of `reader` (stdin, a pipe), read into memory.
    ///
    /// # Errors
    /// The reader's error.
    pub fn read_all(name: &str, mut reader: impl Read) -> io::Result<Source> {
        let mut buffer = Vec::new();
        reader.read_to_end(&mut buffer)?;
        Ok(Source::memory(name, Bytes::from(buffer)))
    }

    /// Whether the bytes are in memory (no file to load them from).
    pub fn in_memory(&self) -> bool {
        self.memory.is_some()
    }

    /// The input's bytes: in memory, or loaded from the file (read or mapped, see the module docs).
    ///
    /// # Errors
    /// The file cannot be opened, read or mapped, or it is shorter than when it was opened.
    pub fn load(&self) -> io::Result<Bytes> {
        match (&self.memory, &self.path) {
            (Some(bytes), _) => Ok(bytes.clone()),
            (None, Some(path)) => {
                let bytes = load_file(path, self.len)?;
                if (bytes.len() as u64) < self.len {
                    return Err(io::Error::other(format!(
                        "the file changed while it was read: {} bytes, {} when it was opened",
                        bytes.len(),
                        self.len
                    )));
                }
                Ok(bytes)
            }
            (None, None) => Ok(Bytes::new()),
        }
    }
}

/// The inputs `path` names: a file; every regular file of a directory in name order (symlinks
/// followed, subdirectories not read: a directory of fragment files as GetMediaForFragmentList
/// would return them one by one); a pipe, FIFO or character device read to its end.
///
/// # Errors
/// The path does not exist or cannot be read.
pub fn list(path: &Path) -> io::Result<Vec<Source>> {
    let metadata = fs::metadata(path)?;
    if metadata.is_dir() {
        let mut paths = Vec::new();
        for entry in fs::read_dir(path)? {
            let entry = entry?;
            // fs::metadata follows symlinks: a link to a fragment file is that file.
            if fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
                paths.push(entry.path());
            }
        }
        paths.sort();
        return paths.iter().map(|p| file(p)).collect();
    }
    if metadata.is_file() {
        return Ok(vec![file(path)?]);
    }
    Source::read_all(&path.display().to_string(), File::open(path)?).map(|s| {
        vec![Source {
            identity: FileIdentity::of(path),
            ..s
        }]
    })
}

/// The entries of an archive root that can be streams (directories and files), sorted; at most
/// `limit` of them.
///
/// # Errors
/// The root cannot be read.
pub fn stream_names(root: &Path, limit: usize) -> io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(root)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !name.starts_with('.') {
            names.push(name);
        }
    }
    names.sort();
    names.truncate(limit);
    Ok(names)
}

/// The session key in `path` (spec §1.5 sessions; [`crate::session::SessionKey`]): its bytes, or
/// when the file does not exist and `create`, 32 new random bytes written there first (mode 0600,
/// placed atomically: of two processes creating it at once, both end up with the one that landed).
///
/// # Errors
/// The operating system's (the directory is not writable, the file cannot be read), or no
/// randomness.
pub fn session_key(path: &Path, create: bool) -> io::Result<Vec<u8>> {
    match fs::read(path) {
        Err(error) if create && error.kind() == io::ErrorKind::NotFound => {}
        other => return other,
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| io::Error::other(e.to_string()))?;
    let parent = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut file = tempfile::NamedTempFile::new_in(parent)?;
    io::Write::write_all(&mut file, &key)?;
    file.as_file().sync_all()?;
    match file.persist_noclobber(path) {
        Ok(_) => Ok(key.to_vec()),
        Err(error) if error.error.kind() == io::ErrorKind::AlreadyExists => fs::read(path),
        Err(error) => Err(error.error),
    }
}

/// A regular file, not yet loaded.
fn file(path: &Path) -> io::Result<Source> {
    let len = fs::metadata(path)?.len();
    Ok(Source {
        name: path.display().to_string(),
        path: Some(path.to_owned()),
        len,
        identity: FileIdentity::of(path),
        memory: None,
    })
}

/// Reads or maps a file's first `len` bytes (the length it had when listed).
fn load_file(path: &Path, len: u64) -> io::Result<Bytes> {
    let file = File::open(path)?;
    let now = file.metadata()?.len();
    let len = len.min(now);
    if len == 0 {
        return Ok(Bytes::new());
    }
    if len <= READ_LIMIT {
        // len is the file's own length, at most 64 MiB: the reservation is bounded, and take()
        // stops at the length listed.
        let mut buffer = Vec::with_capacity(usize::try_from(len).map_err(io::Error::other)?);
        file.take(len).read_to_end(&mut buffer)?;
        return Ok(Bytes::from(buffer));
    }
    // SAFETY: the map is read-only; the module docs say what happens if another process
    // truncates the file meanwhile (SIGBUS). A concurrent writer could change what we read, which
    // the parsers treat as any other bad input (typed errors, no UB in safe code above).
    #[expect(
        unsafe_code,
        reason = "memory-mapping needs unsafe; the only unsafe block in the crate"
    )]
    let map = unsafe {
        memmap2::MmapOptions::new()
            .len(usize::try_from(len).map_err(io::Error::other)?)
            .map(&file)?
    };
    Ok(Bytes::from_owner(map))
}

/// All of the file at `path`, read or mapped as the module docs say (what benches load with).
///
/// # Errors
/// Opening, reading or mapping the file fails.
pub fn load_path(path: &Path) -> io::Result<Bytes> {
    file(path)?.load()
}
