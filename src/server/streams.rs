//! The streams of the archive root, kept open between requests: a player fetching a playlist and
//! its segments reuses one opened (mapped, indexed) archive instead of reopening it each time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::ApiError;
use crate::archive::{Archive, ArchiveRoot};
use crate::shapes;

/// How long an opened stream is reused before it is reopened.
///
/// Choice: a growing (live) stream's new fragments show within one second, well under a
/// fragment's length (1–20 s, spec §4.2), and a player's burst of requests opens it once.
const FRESH_FOR: Duration = Duration::from_secs(1);
/// Streams kept open at most; beyond, the least recently opened is dropped.
const MAX_OPEN: usize = 64;

/// One stream's slot: its archive as last opened, and when.
type Slot = Arc<Mutex<Option<(Arc<Archive>, Instant)>>>;

/// Opened streams by StreamName.
#[derive(Debug)]
pub(super) struct Streams {
    root: ArchiveRoot,
    open: Mutex<HashMap<String, Slot>>,
}

impl Streams {
    /// No stream open yet.
    pub(super) fn new(root: ArchiveRoot) -> Streams {
        Streams {
            root,
            open: Mutex::new(HashMap::new()),
        }
    }

    /// The stream a request names (StreamName or StreamARN), with its canonical name.
    ///
    /// # Errors
    /// As [`ArchiveRoot::open`].
    pub(super) fn open(
        &self,
        name: Option<&str>,
        arn: Option<&str>,
    ) -> Result<(String, Arc<Archive>), ApiError> {
        let name = shapes::stream_name(name, arn)?;
        let archive = self.open_name(&name)?;
        Ok((name, archive))
    }

    /// The stream called `name` (a session's stream). Callers wanting the same stale stream wait
    /// for one reopening instead of each reopening it.
    ///
    /// # Errors
    /// As [`ArchiveRoot::open`].
    pub(super) fn open_name(&self, name: &str) -> Result<Arc<Archive>, ApiError> {
        let slot = {
            let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
            if !open.contains_key(name) && open.len() >= MAX_OPEN {
                evict_oldest(&mut open);
            }
            Arc::clone(open.entry(name.to_owned()).or_default())
        };
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((archive, opened)) = slot.as_ref()
            && opened.elapsed() < FRESH_FOR
        {
            return Ok(Arc::clone(archive));
        }
        let archive = Arc::new(self.root.open(Some(name), None)?);
        *slot = Some((Arc::clone(&archive), Instant::now()));
        Ok(archive)
    }
}

/// Drops the stream opened longest ago (a slot being opened right now counts as newest).
fn evict_oldest(open: &mut HashMap<String, Slot>) {
    let oldest = open
        .iter()
        .filter_map(|(name, slot)| {
            let slot = slot.try_lock().ok()?;
            Some((name.clone(), slot.as_ref().map(|(_, opened)| *opened)))
        })
        .min_by_key(|(_, opened)| *opened)
        .map(|(name, _)| name);
    if let Some(name) = oldest {
        open.remove(&name);
    }
}
