//! An archive: the fragments of one stream, from one or more inputs, indexed by walking their
//! element headers; frames are read only when an operation asks for a fragment (spec §7).
//!
//! Opening costs what walking the headers costs (Cluster CRC-32s are not hashed then; they are
//! checked when a fragment's frames are read). Damage is part of the archive, not a failure of it:
//! an input that is cut short or broken keeps the fragments completed before the damage, the
//! damage is listed in [`Archive::damage`], and the caller decides what it means (the CLI warns,
//! or fails with `--strict`). Reading continues with the next input.

pub mod index;
pub mod root;
pub mod sink;
pub mod source;

use std::io::{self, Read};
use std::path::Path;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

pub use index::{Cursor, FragmentIndex, IndexedFragment, Selection, TimestampKind};
pub use root::ArchiveRoot;
pub use source::{FileIdentity, Source};

use crate::error::ApiError;
use crate::mkv::{Fragment, FrameSummary, ReadOptions, Reader};

/// Archives of up to this many inputs keep every input's bytes after indexing; larger ones load
/// an input again when a fragment of it is read (a directory of 100 000 fragment files must not
/// hold them all, nor map them all: the kernel allows about 65 000 maps).
const KEEP_INPUTS: usize = 16;
/// Inputs loaded again that stay loaded, most recent first (a window of three fragments and one more).
const CACHED_INPUTS: usize = 4;

/// Damage in one input: the error that ended its reading, after its complete fragments.
#[derive(Debug, Clone)]
pub struct Damage {
    /// The input's name (its path, or `-`).
    pub input: String,
    /// What is wrong, with the offset in that input.
    pub error: ApiError,
    /// How many complete fragments that input gave before the damage.
    pub complete_fragments: usize,
}

/// The fragments of a stream: an index of their metadata and the inputs that hold their bytes.
///
/// # Examples
/// ```
/// use kvs_remux::Archive;
///
/// let archive = Archive::open("testdata/fixtures/gap.mkv".as_ref())?;
/// assert!(archive.damage().is_empty());
/// let first = &archive.index().fragments()[0];
/// assert_eq!(first.number.to_string(), "91343852333181432392682062607743920146159169392");
/// // Frames are read when asked for, as slices of the input.
/// let fragment = archive.read(0)?;
/// assert_eq!(fragment.frames.len() as u64, archive.summary(0)?.count);
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
#[derive(Debug)]
pub struct Archive {
    sources: Vec<Source>,
    kept: Vec<Option<Bytes>>,
    cache: Mutex<Vec<(usize, Bytes)>>,
    index: FragmentIndex,
    damage: Vec<Damage>,
}

impl Archive {
    /// Opens the archive at `path`: one MKV file (a GetMedia response), or a directory of them
    /// read in file-name order, or a pipe.
    ///
    /// # Errors
    /// ResourceNotFoundException when `path` does not exist; InternalFailure when it cannot be
    /// read; InvalidArgumentException for a directory without fragment files; when no input gives
    /// a fragment and one is damaged (an empty input counts as damaged): the first damage. Inputs
    /// that read cleanly without a fragment (a header alone) give an empty archive.
    pub fn open(path: &Path) -> Result<Archive, ApiError> {
        let sources =
            source::list(path).map_err(|e| input_error(&path.display().to_string(), &e))?;
        if sources.is_empty() {
            return Err(ApiError::InvalidArgument {
                message: format!("{} holds no fragment files", path.display()),
            });
        }
        Archive::from_sources(sources)
    }

    /// An archive of bytes in memory (a GetMedia or GetMediaForFragmentList response).
    ///
    /// # Errors
    /// As [`Archive::open`] when the bytes give no fragment.
    pub fn from_bytes(bytes: Bytes) -> Result<Archive, ApiError> {
        Archive::from_sources(vec![Source::memory("input", bytes)])
    }

    /// An archive of everything `reader` gives (stdin), named `name` in messages.
    ///
    /// # Errors
    /// InternalFailure when reading fails; as [`Archive::open`] when the bytes give no fragment.
    pub fn from_reader(name: &str, reader: impl Read) -> Result<Archive, ApiError> {
        let source = Source::read_all(name, reader).map_err(|e| input_error(name, &e))?;
        Archive::from_sources(vec![source])
    }

    /// An archive of `sources`, indexed in order.
    ///
    /// # Errors
    /// As [`Archive::open`].
    pub fn from_sources(sources: Vec<Source>) -> Result<Archive, ApiError> {
        let keep = sources.len() <= KEEP_INPUTS;
        let mut index = FragmentIndex::default();
        let mut damage = Vec::new();
        let mut kept = Vec::with_capacity(sources.len().min(KEEP_INPUTS));
        for (id, source) in (0u32..).zip(&sources) {
            let bytes = source.load().map_err(|e| input_error(&source.name, &e))?;
            let before = index.len();
            if bytes.is_empty() {
                damage.push(Damage {
                    input: source.name.clone(),
                    error: ApiError::InvalidArgument {
                        message: format!("{} is empty", source.name),
                    },
                    complete_fragments: 0,
                });
            }
            for next in Reader::with_options(bytes.clone(), ReadOptions::HEADERS) {
                match next {
                    Ok(fragment) => index.push(&fragment, id),
                    Err(error) => {
                        damage.push(Damage {
                            input: source.name.clone(),
                            error: ApiError::from(error).in_input(&source.name),
                            complete_fragments: index.len() - before,
                        });
                        break;
                    }
                }
            }
            if keep {
                kept.push(Some(bytes));
            }
        }
        if index.is_empty()
            && let Some(first) = damage.first()
        {
            return Err(first.error.clone());
        }
        Ok(Archive {
            sources,
            kept,
            cache: Mutex::new(Vec::new()),
            index,
            damage,
        })
    }

    /// The fragment index.
    pub fn index(&self) -> &FragmentIndex {
        &self.index
    }

    /// The damage found while indexing, one entry per damaged input, in input order.
    pub fn damage(&self) -> &[Damage] {
        &self.damage
    }

    /// The inputs, in order.
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }

    /// Reads the fragment at `position` of the index, with its frames (slices of the input).
    ///
    /// # Errors
    /// InvalidArgumentException when there is no such fragment, or when reading its frames finds
    /// damage the header walk did not (a Cluster CRC-32 mismatch, a bad block); InternalFailure
    /// when its input cannot be loaded again or changed since it was indexed.
    pub fn read(&self, position: usize) -> Result<Fragment, ApiError> {
        self.read_with(position, ReadOptions::default())
    }

    /// The bytes of the fragment at `position` as stored: a slice of its input from its first
    /// byte up to the next fragment (FragmentSizeInBytes, spec §1.2), no copy.
    ///
    /// # Errors
    /// As [`Archive::read`].
    pub fn stored_bytes(&self, position: usize) -> Result<Bytes, ApiError> {
        self.stored(position).map(|(bytes, _)| bytes)
    }

    /// The stored bytes of the fragment at `position` and the name of its input.
    fn stored(&self, position: usize) -> Result<(Bytes, &str), ApiError> {
        let entry = self
            .index
            .get(position)
            .ok_or_else(|| ApiError::InvalidArgument {
                message: format!("no fragment at position {position}"),
            })?;
        let source = usize::try_from(entry.source)
            .ok()
            .and_then(|id| self.sources.get(id))
            .expect("indexed fragments name their input");
        let bytes = self.bytes(usize::try_from(entry.source).expect("u32 fits in usize"))?;
        let range = usize::try_from(entry.offset)
            .ok()
            .zip(usize::try_from(entry.size).ok())
            .and_then(|(start, len)| Some(start..start.checked_add(len)?))
            .filter(|range| range.end <= bytes.len())
            .ok_or_else(|| changed(&source.name))?;
        Ok((bytes.slice(range), &source.name))
    }

    /// Reads the fragment at `position` with `options`.
    fn read_with(&self, position: usize, options: ReadOptions) -> Result<Fragment, ApiError> {
        let (bytes, name) = self.stored(position)?;
        let entry = self.index.get(position).expect("stored() found it");
        let mut reader = Reader::resume(
            bytes,
            entry.offset,
            &entry.resume,
            Arc::clone(&entry.tracks),
            options,
        );
        match reader.next() {
            Some(Ok(fragment)) if fragment.number == entry.number => Ok(fragment),
            Some(Err(error)) => Err(ApiError::from(error).in_input(name)),
            Some(Ok(_)) | None => Err(changed(name)),
        }
    }

    /// How many frames the fragment at `position` has and when they are shown, by walking the
    /// fragment's block headers (the index keeps only whether it has frames).
    ///
    /// # Errors
    /// As [`Archive::read`].
    pub fn summary(&self, position: usize) -> Result<FrameSummary, ApiError> {
        if self.index.get(position).and_then(|f| f.has_frames) == Some(false) {
            return Ok(FrameSummary::default());
        }
        Ok(self
            .read_with(position, ReadOptions::SUMMARY)?
            .summary
            .unwrap_or_default())
    }

    /// The bytes of input `source`: kept, cached, or loaded again.
    fn bytes(&self, id: usize) -> Result<Bytes, ApiError> {
        if let Some(Some(bytes)) = self.kept.get(id) {
            return Ok(bytes.clone());
        }
        let mut cache = self
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(at) = cache.iter().position(|(i, _)| *i == id) {
            let entry = cache.remove(at);
            let bytes = entry.1.clone();
            cache.insert(0, entry);
            return Ok(bytes);
        }
        let source = self.sources.get(id).expect("ids come from this archive");
        let bytes = source.load().map_err(|e| input_error(&source.name, &e))?;
        cache.insert(0, (id, bytes.clone()));
        cache.truncate(CACHED_INPUTS);
        Ok(bytes)
    }
}

/// An input that no longer holds what was indexed.
fn changed(name: &str) -> ApiError {
    ApiError::InputUnreadable {
        path: name.to_owned(),
        message: "the file changed since it was indexed".into(),
    }
}

/// An input that cannot be opened or read: ResourceNotFoundException when it does not exist, else
/// a local failure.
fn input_error(name: &str, error: &io::Error) -> ApiError {
    if error.kind() == io::ErrorKind::NotFound {
        ApiError::InputNotFound {
            path: name.to_owned(),
        }
    } else {
        ApiError::InputUnreadable {
            path: name.to_owned(),
            message: error.to_string(),
        }
    }
}
