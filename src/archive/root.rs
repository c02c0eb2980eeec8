//! An archive root: many streams side by side, `ROOT/<StreamName>` each (a directory of fragment
//! files, or one file holding a GetMedia or GetMediaForFragmentList response), found by StreamName
//! or StreamARN (spec §1.1).

use std::io;
use std::path::{Path, PathBuf};

use super::{Archive, source};
use crate::error::ApiError;
use crate::session::SessionKey;
use crate::shapes;

/// The session key's file name under an archive root (hidden: never a stream).
pub const SESSION_KEY_FILE: &str = ".kvs-remux-session-key";

/// How many stream names a "not found" message lists.
const NAMES_SHOWN: usize = 8;

/// A directory whose entries are streams.
///
/// # Examples
/// ```
/// use kvs_remux::archive::ArchiveRoot;
///
/// let root = ArchiveRoot::new("testdata/fixtures");
/// let arn = "arn:aws:kinesisvideo:us-west-2:123456789012:stream/gap.mkv/1";
/// let archive = root.open(None, Some(arn))?;
/// assert_eq!(archive.index().len(), 4);
/// let missing = root.open(Some("nothing-here"), None).unwrap_err();
/// assert_eq!(missing.code(), "ResourceNotFoundException");
/// # Ok::<(), kvs_remux::ApiError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveRoot {
    dir: PathBuf,
}

impl ArchiveRoot {
    /// The archive root at `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> ArchiveRoot {
        ArchiveRoot { dir: dir.into() }
    }

    /// The root directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens the stream a request names by StreamName or StreamARN (the ARN's name is used).
    ///
    /// # Errors
    /// InvalidArgumentException for a name or ARN the model refuses ([`shapes::stream_name`]);
    /// ResourceNotFoundException for a stream the root does not hold; as [`Archive::open`].
    pub fn open(&self, name: Option<&str>, arn: Option<&str>) -> Result<Archive, ApiError> {
        let name = shapes::stream_name(name, arn)?;
        // `.`, `..` and hidden entries (the session key) match the name pattern but are not streams.
        if name.starts_with('.') {
            return Err(self.not_found(&name));
        }
        Archive::open(&self.dir.join(&name)).map_err(|error| match error {
            ApiError::InputNotFound { .. } => self.not_found(&name),
            other => other,
        })
    }

    /// The key that signs this root's session tokens: `ROOT/.kvs-remux-session-key`, created once
    /// (32 random bytes) when missing, so every process serving the root signs alike.
    ///
    /// # Errors
    /// InternalFailure when the file cannot be read or created; InvalidArgumentException when it
    /// holds fewer than 32 bytes.
    pub fn session_key(&self) -> Result<SessionKey, ApiError> {
        read_session_key(&self.dir.join(SESSION_KEY_FILE), true)
    }

    /// ResourceNotFoundException for `name`, saying which streams the root has.
    fn not_found(&self, name: &str) -> ApiError {
        let here = match source::stream_names(&self.dir, NAMES_SHOWN + 1) {
            Ok(names) if names.is_empty() => "it holds no streams".to_owned(),
            Ok(names) if names.len() > NAMES_SHOWN => {
                format!("streams there: {}, ...", names[..NAMES_SHOWN].join(", "))
            }
            Ok(names) => format!("streams there: {}", names.join(", ")),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                "the archive root does not exist".to_owned()
            }
            Err(error) => format!("the archive root cannot be read: {error}"),
        };
        ApiError::ResourceNotFound {
            message: format!(
                "The requested stream is not found or not active. (no {name} in {}; {here})",
                self.dir.display()
            ),
        }
    }
}

/// The session key in file `path`, created there when missing if `create`.
///
/// # Errors
/// InternalFailure when the file cannot be read (or created); InvalidArgumentException when it
/// holds fewer than [`SessionKey::MIN_LEN`] bytes.
pub fn read_session_key(path: &Path, create: bool) -> Result<SessionKey, ApiError> {
    let bytes = source::session_key(path, create).map_err(|error| ApiError::InputUnreadable {
        path: path.display().to_string(),
        message: error.to_string(),
    })?;
    SessionKey::from_bytes(&bytes).ok_or_else(|| ApiError::InvalidArgument {
        message: format!(
            "the session key {} holds {} bytes, at least {} are needed",
            path.display(),
            bytes.len(),
            SessionKey::MIN_LEN
        ),
    })
}
