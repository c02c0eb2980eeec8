//! The fragment index: per fragment only metadata (spec §1.2 Fragment), built by walking element
//! headers; range selection on either timestamp, producer-timestamp de-duplication and stable
//! paging cursors, as every operation selects fragments (spec §1.2, §1.4, §1.5).
//!
//! Memory: one [`IndexedFragment`] per fragment, 120 bytes plus the `Tracks` it shares with the
//! other fragments of its configuration; frames are never kept.

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::mkv::{Fragment, FragmentNumber, InBandError, Resume, Tracks};
use crate::time::UnixMillis;

/// Which fragment timestamp a request selects by (FragmentSelectorType and its kin, spec §2);
/// spelled `PRODUCER_TIMESTAMP` / `SERVER_TIMESTAMP` in JSON, case-sensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TimestampKind {
    /// PRODUCER_TIMESTAMP.
    #[serde(rename = "PRODUCER_TIMESTAMP")]
    Producer,
    /// SERVER_TIMESTAMP.
    #[serde(rename = "SERVER_TIMESTAMP")]
    Server,
}

/// One fragment as the index knows it: what ListFragments says of it, where its bytes are, and
/// the tracks (with their codec private data) it was written with. No frames.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexedFragment {
    /// AWS_KINESISVIDEO_FRAGMENT_NUMBER (synthetic for plain Matroska).
    pub number: FragmentNumber,
    /// ProducerTimestamp.
    pub producer_timestamp: Option<UnixMillis>,
    /// ServerTimestamp.
    pub server_timestamp: Option<UnixMillis>,
    /// Whether the input had no KVS fragment number (plain Matroska).
    pub synthetic: bool,
    /// Which input of the archive holds it.
    pub source: u32,
    /// Absolute offset of its first byte in that input.
    pub offset: u64,
    /// Its bytes as stored (FragmentSizeInBytes, spec §1.2).
    pub size: u64,
    /// Whether it has frames: `Some` when the index walk counted them (an unknown-size Cluster, or
    /// no Cluster at all), `None` when it passed over a sized Cluster ([`crate::Archive::summary`]
    /// counts them when asked).
    pub has_frames: Option<bool>,
    /// The tracks of its segment; one `Arc` per configuration.
    pub tracks: Arc<Tracks>,
    /// The in-band error of an error chunk (spec §1.3).
    pub error: Option<Box<InBandError>>,
    /// The reader's state at its first byte.
    pub(crate) resume: Resume,
}

impl IndexedFragment {
    /// The metadata of `fragment`, read from input `source`.
    pub fn of(fragment: &Fragment, source: u32) -> IndexedFragment {
        IndexedFragment {
            number: fragment.number.clone(),
            producer_timestamp: fragment.producer_timestamp,
            server_timestamp: fragment.server_timestamp,
            synthetic: fragment.synthetic,
            source,
            offset: fragment.offset,
            size: fragment.size,
            has_frames: fragment.summary.map(|s| s.count > 0),
            tracks: Arc::clone(&fragment.tracks),
            error: fragment.error.clone().map(Box::new),
            resume: fragment.resume.clone(),
        }
    }

    /// Whether it carries media: no in-band error, and frames (or a Cluster not yet counted).
    pub fn has_media(&self) -> bool {
        self.error.is_none() && self.has_frames != Some(false)
    }

    /// Whether it is a stored chunk: a Matroska document of its own, as the service returns
    /// fragments (spec §7.2), not a Cluster inside another fragment's Segment (plain Matroska,
    /// GetMedia captures merged into one document).
    pub fn is_chunk(&self) -> bool {
        self.resume.starts_document()
    }

    /// Its producer or server timestamp.
    pub fn timestamp(&self, kind: TimestampKind) -> Option<UnixMillis> {
        match kind {
            TimestampKind::Producer => self.producer_timestamp,
            TimestampKind::Server => self.server_timestamp,
        }
    }
}

/// A fragment selection by timestamp (spec §1.2, §1.4): fragments whose start lies in
/// [`start`, `end`], inclusive at both ends; a fragment that starts before `start` is not selected
/// even if it runs into the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Selection {
    /// Which timestamp is compared.
    pub kind: TimestampKind,
    /// The earliest start selected (none: from the first).
    pub start: Option<UnixMillis>,
    /// The latest start selected (none: to the last).
    pub end: Option<UnixMillis>,
}

/// Where a page ended: the next page starts after this fragment, in the order of
/// [`FragmentIndex::page`] (timestamp when selecting by one, then fragment number, then position).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    /// The last fragment's selected timestamp (`None` when paging without a selection).
    pub timestamp: Option<UnixMillis>,
    /// The last fragment's number.
    pub number: FragmentNumber,
    /// The last fragment's position in the index (numbers of plain Matroska repeat across inputs).
    pub position: usize,
}

/// The fragments of an archive, in input order.
///
/// The positions of the media fragments (each number once) and their order by fragment number
/// are worked out on first use and kept (8 bytes per fragment each), so that paging through a
/// listing does not hash and sort every fragment again for each page.
#[derive(Debug, Clone, Default)]
pub struct FragmentIndex {
    fragments: Vec<IndexedFragment>,
    /// [`FragmentIndex::media`], once asked for.
    media: OnceLock<Vec<usize>>,
    /// The media positions by fragment number, then position, once asked for.
    by_number: OnceLock<Vec<usize>>,
}

impl FragmentIndex {
    /// Adds a fragment read from input `source`.
    pub(crate) fn push(&mut self, fragment: &Fragment, source: u32) {
        self.fragments.push(IndexedFragment::of(fragment, source));
        self.media = OnceLock::new();
        self.by_number = OnceLock::new();
    }

    /// Every fragment, in input order (error chunks and fragments without frames included).
    pub fn fragments(&self) -> &[IndexedFragment] {
        &self.fragments
    }

    /// The fragment at `position`.
    pub fn get(&self, position: usize) -> Option<&IndexedFragment> {
        self.fragments.get(position)
    }

    /// How many fragments there are.
    pub fn len(&self) -> usize {
        self.fragments.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.fragments.is_empty()
    }

    /// Positions of the fragments with media, in input order.
    ///
    /// A fragment that appears twice (the same KVS fragment number: overlapping GetMedia captures
    /// put together, a fragment file listed twice) is one fragment, where it first appears.
    pub fn media(&self) -> Vec<usize> {
        self.media_positions().to_vec()
    }

    /// The positions of the media fragments, each KVS fragment number once (the first).
    /// Synthetic numbers count the Clusters of one input, so they repeat across inputs and are
    /// all kept.
    fn media_positions(&self) -> &[usize] {
        self.media.get_or_init(|| {
            let mut seen = HashSet::new();
            self.fragments
                .iter()
                .enumerate()
                .filter(|(_, f)| f.has_media() && (f.synthetic || seen.insert(&f.number)))
                .map(|(i, _)| i)
                .collect()
        })
    }

    /// The media fragments with their positions, as [`FragmentIndex::media`].
    fn unique_media(&self) -> impl Iterator<Item = (usize, &IndexedFragment)> {
        self.media_positions()
            .iter()
            .map(|&i| (i, self.fragments.get(i).expect("positions of this index")))
    }

    /// Positions of the media fragments whose `selection.kind` timestamp lies in the selection's
    /// range, each fragment once as in [`FragmentIndex::media`], ordered by that timestamp, then
    /// fragment number, then position: what ListFragments lists (spec §1.2).
    pub fn matching(&self, selection: &Selection) -> Vec<usize> {
        let mut selected: Vec<(UnixMillis, usize)> = self
            .unique_media()
            .filter_map(|(i, f)| f.timestamp(selection.kind).map(|t| (t, i)))
            .filter(|(t, _)| {
                selection.start.is_none_or(|s| *t >= s) && selection.end.is_none_or(|e| *t <= e)
            })
            .collect();
        selected.sort_by(|(ta, a), (tb, b)| {
            ta.cmp(tb)
                .then_with(|| self.number(*a).cmp(self.number(*b)))
                .then_with(|| a.cmp(b))
        });
        selected.into_iter().map(|(_, i)| i).collect()
    }

    /// The fragments an operation on media uses (GetClip, HLS, DASH): [`FragmentIndex::matching`],
    /// and with PRODUCER_TIMESTAMP fragments with the same producer timestamp are one, the oldest
    /// ingested (smallest fragment number) kept (spec §1.4).
    pub fn select(&self, selection: &Selection) -> Vec<usize> {
        let mut selected = self.matching(selection);
        if selection.kind == TimestampKind::Producer {
            let mut seen = HashSet::new();
            selected.retain(|&i| seen.insert(self.timestamp(i, selection.kind)));
        }
        selected
    }

    /// One page of what ListFragments lists: [`FragmentIndex::matching`] `selection`, or without
    /// one every media fragment by fragment number (ingestion order, spec §1.2), then position.
    /// Up to `max` positions after `after` (from the start without one), and the cursor to
    /// continue from when more remain. Pages are stable: a cursor resumes after its fragment by
    /// key, not by count, so every listed fragment is on exactly one page of an unchanged archive,
    /// and fragments added to the archive meanwhile appear where their key puts them.
    pub fn page(
        &self,
        selection: Option<&Selection>,
        after: Option<&Cursor>,
        max: usize,
    ) -> (Vec<usize>, Option<Cursor>) {
        let listed = match selection {
            Some(selection) => self.matching(selection),
            None => self
                .by_number
                .get_or_init(|| {
                    let mut all = self.media();
                    all.sort_by(|a, b| self.number(*a).cmp(self.number(*b)).then(a.cmp(b)));
                    all
                })
                .clone(),
        };
        let kind = selection.map(|s| s.kind);
        let key = |i: usize| (kind.and_then(|k| self.timestamp(i, k)), self.number(i), i);
        let start = match after {
            None => 0,
            Some(cursor) => listed
                .iter()
                .position(|&i| key(i) > (cursor.timestamp, &cursor.number, cursor.position))
                .unwrap_or(listed.len()),
        };
        let page: Vec<usize> = listed.iter().skip(start).take(max).copied().collect();
        let more = start.saturating_add(page.len()) < listed.len();
        let cursor = page.last().filter(|_| more).map(|&i| Cursor {
            timestamp: kind.and_then(|k| self.timestamp(i, k)),
            number: self.number(i).clone(),
            position: i,
        });
        (page, cursor)
    }

    fn number(&self, position: usize) -> &FragmentNumber {
        &self
            .fragments
            .get(position)
            .expect("positions come from this index")
            .number
    }

    fn timestamp(&self, position: usize, kind: TimestampKind) -> Option<UnixMillis> {
        self.fragments.get(position).and_then(|f| f.timestamp(kind))
    }
}
