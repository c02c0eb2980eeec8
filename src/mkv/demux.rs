//! The fragment reader: one state machine, fed either a whole `Bytes` or chunks from a stream.
//!
//! It walks element headers and takes only leaf-level elements whole (EBML header, SeekHead, Info,
//! Tracks, Tags, known-size Clusters, and the children of unknown-size Clusters), so a network
//! stream never has to hold more than one fragment. Every decision depends only on complete
//! elements, so the fragments are the same however the input is split.
//!
//! Fragment boundaries (spec §7): a new EBML header, a Cluster after a Cluster, a Tags element
//! carrying a KVS fragment number after a Cluster, or the end of a known-size Segment. Tags before
//! a fragment's Cluster belong to it (FN/ST/PT, producer tags); Tags after it belong to it too
//! (MBN/CT, Cues statistics) unless they start the next fragment. A Tags element with
//! AWS_KINESISVIDEO_CONTINUATION_TOKEN is the last element GetMedia writes for a fragment (spec
//! §7.2), so it completes the fragment at once: a live stream shows each fragment as soon as it
//! has arrived, not when the next one starts. A segment with KVS tags but no Cluster (an in-band
//! error chunk, a header-only fragment) becomes a fragment without frames.
//!
//! The first element of an input must be an EBML header (or a Cluster: a live stream joined
//! mid-way); anything else is not Matroska.
//!
//! Every fragment carries a [`Resume`]: the reader's state at its first byte, from which
//! [`Reader::resume`] reads that fragment again from its own bytes (the fragment index keeps
//! metadata only and reads frames this way, when asked).

use std::collections::VecDeque;
use std::sync::Arc;

use super::block::{Block, BlockHeader};
use super::document::{check_ebml_header, check_start};
use super::fragment::{Fragment, FrameSummary};
use super::input::{Input, Lookup};
use super::number::FragmentNumber;
use super::open::{OpenFragment, add_block, block_timing, cluster_nanos, timeline_shift};
use super::tags::KvsTags;
use super::tracks::Tracks;
use super::{Error, ids};
use crate::ebml::{self, Cursor, Element, Header, reader::CRC32, reader::VOID};
use crate::time::{Nanos, TimestampScale, UnixMillis};

/// Largest single element the reader buffers (a KVS fragment is at most 50 MB, spec §4.2).
pub const MAX_ELEMENT_SIZE: u64 = 1 << 30;

/// How much the reader checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOptions {
    /// Verify the CRC-32 element of each known-size Cluster (hashing every payload byte).
    ///
    /// On by default: whoever reads a fragment's frames gets them verified. The fragment index
    /// turns it off to walk headers only; the check then happens when a fragment's frames are read.
    pub verify_cluster_crc: bool,
    /// Keep each frame (a slice of the input) in [`Fragment::frames`]. Off, only the block headers
    /// are read and [`Fragment::summary`] counts the frames and their times. Lace sizes are then
    /// checked when the frames are read.
    pub keep_frames: bool,
    /// Read the blocks of Clusters whose size is known. Off, such a Cluster is passed over after
    /// its Timestamp and its fragment's summary is `None` (not counted): reading an archive then
    /// touches one place per fragment, not one per frame. (An unknown-size Cluster can only be
    /// passed over block by block, so its blocks are counted in any case.)
    pub walk_sized_clusters: bool,
}

impl ReadOptions {
    /// Element headers only: what the fragment index reads (no CRC-32, no frames, sized Clusters
    /// passed over).
    pub const HEADERS: ReadOptions = ReadOptions {
        verify_cluster_crc: false,
        keep_frames: false,
        walk_sized_clusters: false,
    };

    /// Block headers only: every fragment's frames counted and timed, none kept.
    pub const SUMMARY: ReadOptions = ReadOptions {
        verify_cluster_crc: false,
        keep_frames: false,
        walk_sized_clusters: true,
    };
}

impl Default for ReadOptions {
    fn default() -> ReadOptions {
        ReadOptions {
            verify_cluster_crc: true,
            keep_frames: true,
            walk_sized_clusters: true,
        }
    }
}

/// The reader's state at a fragment's first byte: enough to read the fragment again from the bytes
/// of its range alone ([`super::Reader::resume`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Resume {
    /// The fragment's index in its input (synthetic fragment numbers count from it).
    index: u64,
    /// The Segment the fragment starts inside, or `None` at the top level (a new document).
    segment: Option<Arc<SegmentContext>>,
}

impl Resume {
    /// Whether the fragment starts a Matroska document of its own (its EBML header), as every
    /// stored KVS chunk does, rather than inside the Segment of the fragment before it.
    pub fn starts_document(&self) -> bool {
        self.segment.is_none()
    }
}

/// Where the machine is in the element tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Level {
    /// Inside a Segment; `end` is its absolute end for a known size.
    Segment { end: Option<u64> },
    /// Inside an unknown-size Cluster (known-size Clusters are taken whole).
    Cluster,
}

/// What to do with the element whose header was just read.
enum Action {
    Enter(Level),
    Leave,
    Skip,
    Take,
}

/// The Segment context fragments are read in.
#[derive(Debug, Clone, PartialEq)]
struct SegmentContext {
    /// Absolute end of a known-size Segment.
    end: Option<u64>,
    /// Absolute offset of the Segment's data (SeekPosition counts from here).
    data_start: u64,
    timestamp_scale: TimestampScale,
    tracks: Arc<Tracks>,
    /// SeekPosition of Tracks from the SeekHead, until Tracks has been read.
    tracks_position: Option<u64>,
}

impl SegmentContext {
    fn new(end: Option<u64>, data_start: u64) -> SegmentContext {
        SegmentContext {
            end,
            data_start,
            timestamp_scale: TimestampScale::DEFAULT,
            tracks: Arc::default(),
            tracks_position: None,
        }
    }
}

pub(super) struct Machine {
    options: ReadOptions,
    levels: Vec<Level>,
    skip: u64,
    /// Whether the input's first element has been seen (it must be an EBML header).
    started: bool,
    segment: Option<SegmentContext>,
    /// The last snapshot of `segment`, shared by the [`Resume`]s taken while it does not change.
    shared_segment: Option<Arc<SegmentContext>>,
    last_tracks: Arc<Tracks>,
    pending: KvsTags,
    fragment_start: u64,
    start_state: Resume,
    pub(super) open: Option<OpenFragment>,
    pub(super) ready: VecDeque<Fragment>,
    emitted: u64,
    /// Where a resumed reader stops: the end of the fragment it reads again.
    stop_at: Option<u64>,
    pub(super) done: bool,
    pub(super) error: Option<Error>,
    pub(super) partial: Option<Fragment>,
}

impl Machine {
    pub(super) fn new(options: ReadOptions) -> Machine {
        Machine {
            options,
            levels: Vec::new(),
            skip: 0,
            started: false,
            segment: None,
            shared_segment: None,
            last_tracks: Arc::default(),
            pending: KvsTags::default(),
            fragment_start: 0,
            start_state: Resume {
                index: 0,
                segment: None,
            },
            open: None,
            ready: VecDeque::new(),
            emitted: 0,
            stop_at: None,
            done: false,
            error: None,
            partial: None,
        }
    }

    /// A machine in the state `resume` describes, at absolute `offset`, stopping at `stop_at`.
    pub(super) fn resumed(
        options: ReadOptions,
        offset: u64,
        stop_at: u64,
        resume: &Resume,
        tracks: Arc<Tracks>,
    ) -> Machine {
        let mut machine = Machine::new(options);
        machine.started = true;
        if let Some(segment) = &resume.segment {
            machine.levels.push(Level::Segment { end: segment.end });
            machine.segment = Some(SegmentContext::clone(segment));
            machine.shared_segment = Some(Arc::clone(segment));
        }
        machine.last_tracks = tracks;
        machine.fragment_start = offset;
        machine.start_state = resume.clone();
        machine.emitted = resume.index;
        machine.stop_at = Some(stop_at);
        machine
    }

    /// Reads until a fragment is ready (`lazy`), the input runs dry, or the input ends.
    pub(super) fn run(&mut self, input: &mut impl Input, lazy: bool) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.step_until(input, lazy);
        if let Err(error) = &result {
            self.error = Some(error.clone());
            if let Some(open) = self.open.take() {
                // The damaged fragment: its complete frames; its bytes run to the damage, so a
                // Reader and a PushParser given the same bytes report the same size.
                let end = error.offset().max(open.start);
                self.partial = self.build(open, end).ok();
            }
        }
        result
    }

    fn step_until(&mut self, input: &mut impl Input, lazy: bool) -> Result<(), Error> {
        loop {
            if self.done || (lazy && !self.ready.is_empty()) {
                return Ok(());
            }
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(input.available().len());
                input.skip(n);
                self.skip -= n as u64;
                if self.skip > 0 {
                    if input.is_final() {
                        return Err(ebml::Error::Truncated {
                            offset: input.end(),
                            needed: self.skip,
                        }
                        .into());
                    }
                    return Ok(());
                }
            }
            let offset = input.offset();
            if self.stop_at.is_some_and(|stop| offset >= stop) {
                // A resumed reader has read its fragment's range.
                self.end_fragment(offset)?;
                self.done = true;
                return Ok(());
            }
            if let Some(Level::Segment { end: Some(end) }) = self.levels.last()
                && offset >= *end
            {
                self.levels.pop();
                self.end_segment(offset)?;
                continue;
            }
            if input.available().is_empty() {
                if input.is_final() {
                    return self.finish(offset);
                }
                return Ok(());
            }
            if !self.started {
                match check_start(input.available(), input.is_final(), offset)? {
                    Some(()) => self.started = true,
                    None => return Ok(()),
                }
            }
            let Some(header) = Header::read(input.available(), offset)? else {
                if input.is_final() {
                    return Err(ebml::Error::Truncated {
                        offset: input.end(),
                        needed: 1,
                    }
                    .into());
                }
                return Ok(());
            };
            let action = self.decide(&header)?;
            if header.id == ids::CLUSTER
                && matches!(action, Action::Enter(_) | Action::Take)
                && !self.tracks_ready(&*input)?
            {
                return Ok(());
            }
            match action {
                Action::Enter(level) => {
                    input.skip(usize::from(header.header_len));
                    match level {
                        Level::Cluster => self.start_cluster(header.offset)?,
                        Level::Segment { end } => {
                            self.segment = Some(SegmentContext::new(end, header.data_offset()));
                        }
                    }
                    self.levels.push(level);
                }
                Action::Leave => {
                    if let Some(Level::Segment { .. }) = self.levels.pop() {
                        self.end_segment(offset)?;
                    }
                }
                Action::Skip => {
                    input.skip(usize::from(header.header_len));
                    self.skip = header.size.expect("decide skips known sizes only");
                }
                Action::Take => {
                    let size = header.size.expect("decide takes known sizes only");
                    if size > MAX_ELEMENT_SIZE {
                        return Err(Error::ElementTooLarge {
                            offset,
                            id: header.id,
                            size,
                            max: MAX_ELEMENT_SIZE,
                        });
                    }
                    // size ≤ 1 GiB and header_len ≤ 12: no overflow.
                    let total = u64::from(header.header_len) + size;
                    let available = input.available().len() as u64;
                    if available < total {
                        if input.is_final() {
                            return self.take_truncated(input, header, total - available);
                        }
                        return Ok(());
                    }
                    let header_len = usize::from(header.header_len);
                    let len = usize::try_from(size).expect("size <= available");
                    if header.id == ids::SIMPLE_BLOCK && !self.options.keep_frames {
                        // Headers only: read the block's first bytes where they lie.
                        let data = input
                            .available()
                            .get(header_len..header_len + len)
                            .expect("size <= available");
                        self.block_header(data, header.data_offset())?;
                        input.skip(header_len + len);
                        continue;
                    }
                    input.skip(header_len);
                    let data = input.take(len);
                    self.handle(Element { header, data })?;
                }
            }
        }
    }

    /// Chooses what to do with an element at the current level (RFC 9559 §5.1 schema).
    fn decide(&self, header: &Header) -> Result<Action, Error> {
        let known = header.size.is_some();
        let unknown_not_allowed = || ebml::Error::UnknownSizeNotAllowed {
            offset: header.offset,
            id: header.id,
        };
        let level = self.levels.last().copied();
        if let (Some(Level::Segment { end: Some(end) }), Some(size)) = (level, header.size) {
            let available = end.saturating_sub(header.data_offset());
            if header.id != ids::EBML && header.id != ids::SEGMENT && size > available {
                return Err(ebml::Error::SizeOverflow {
                    offset: header.offset,
                    id: header.id,
                    size,
                    available,
                }
                .into());
            }
        }
        let action = match (level, header.id) {
            (None, ids::EBML) => Action::Take,
            (None, ids::SEGMENT) => Action::Enter(Level::Segment {
                end: header
                    .size
                    .map(|size| header.data_offset().saturating_add(size)),
            }),
            (None | Some(Level::Segment { .. }), ids::CLUSTER) if !known => {
                Action::Enter(Level::Cluster)
            }
            (None | Some(Level::Segment { .. }), ids::CLUSTER) => Action::Take,
            (Some(Level::Segment { .. }), ids::EBML | ids::SEGMENT) => Action::Leave,
            (Some(Level::Segment { .. }), ids::SEEK_HEAD | ids::INFO | ids::TRACKS | ids::TAGS) => {
                Action::Take
            }
            (Some(Level::Cluster), ids::TIMESTAMP | ids::SIMPLE_BLOCK | ids::BLOCK_GROUP) => {
                Action::Take
            }
            (
                Some(Level::Cluster),
                ids::POSITION
                | ids::PREV_SIZE
                | ids::SILENT_TRACKS
                | ids::ENCRYPTED_BLOCK
                | VOID
                | CRC32,
            ) => Action::Skip,
            // Anything else ends an unknown-size Cluster (RFC 8794 §6.2).
            (Some(Level::Cluster), _) => return Ok(Action::Leave),
            // Elements we do not read (Cues, Chapters, Void, unknown ids) are skipped.
            _ => Action::Skip,
        };
        match action {
            Action::Take | Action::Skip if !known => Err(unknown_not_allowed().into()),
            action => Ok(action),
        }
    }

    fn handle(&mut self, element: Element) -> Result<(), Error> {
        match (self.levels.last(), element.id()) {
            (None, ids::EBML) => self.start_document(&element),
            (_, ids::CLUSTER) if !self.options.walk_sized_clusters => {
                self.start_cluster(element.header.offset)?;
                self.pass_over_cluster(&element)
            }
            (_, ids::CLUSTER) => {
                self.start_cluster(element.header.offset)?;
                let mut children = if self.options.verify_cluster_crc {
                    element.children()?
                } else {
                    element.children_unchecked()
                };
                if self.options.keep_frames {
                    while let Some(child) = children.next_significant()? {
                        self.cluster_child(&child)?;
                    }
                    return Ok(());
                }
                // Headers only: SimpleBlocks are read where they lie, without a `Bytes` each.
                while let Some((header, data)) = children.next_borrowed()? {
                    match header.id {
                        ids::SIMPLE_BLOCK => self.block_header(data, header.data_offset())?,
                        VOID | CRC32 => {}
                        _ => self.cluster_child(&Element {
                            header,
                            data: element.data.slice_ref(data),
                        })?,
                    }
                }
                Ok(())
            }
            (Some(Level::Segment { .. }), ids::SEEK_HEAD) => self.seek_head(&element),
            (Some(Level::Segment { .. }), ids::INFO) => self.info(&element),
            (Some(Level::Segment { .. }), ids::TRACKS) => self.tracks(&element),
            (Some(Level::Segment { .. }), ids::TAGS) => self.tags(&element),
            _ => self.cluster_child(&element),
        }
    }

    /// At the end of input, a known-size Cluster keeps the frames it has; anything else just ends.
    fn take_truncated(
        &mut self,
        input: &mut impl Input,
        header: Header,
        needed: u64,
    ) -> Result<(), Error> {
        let end = input.end();
        if header.id == ids::CLUSTER {
            self.start_cluster(header.offset)?;
            input.skip(usize::from(header.header_len));
            let available = input.available().len();
            let rest = input.take(available);
            let mut children = Cursor::new(rest, header.data_offset());
            // Choice: the cursor's own error is the truncation reported below; what came before it
            // is kept (this rule: keep what is complete).
            while let Ok(Some(child)) = children.next_significant() {
                self.cluster_child(&child)?;
            }
        }
        Err(ebml::Error::Truncated {
            offset: end,
            needed,
        }
        .into())
    }

    fn finish(&mut self, offset: u64) -> Result<(), Error> {
        // A known-size Segment that claims more bytes than arrived: its complete Clusters still
        // make complete fragments, then the input is reported as cut short.
        let missing = self.levels.iter().find_map(|level| match level {
            Level::Segment { end: Some(end) } if *end > offset => Some(end - offset),
            _ => None,
        });
        self.levels.clear();
        self.end_segment(offset)?;
        self.done = true;
        match missing {
            Some(needed) => Err(ebml::Error::Truncated { offset, needed }.into()),
            None => Ok(()),
        }
    }

    fn start_document(&mut self, header: &Element) -> Result<(), Error> {
        self.end_segment(header.header.offset)?;
        check_ebml_header(header)
    }

    /// The current segment's context; a document without a Segment header (a top-level Cluster)
    /// has the default TimestampScale and no tracks.
    fn segment(&mut self) -> &mut SegmentContext {
        self.segment
            .get_or_insert_with(|| SegmentContext::new(None, 0))
    }

    /// Records where Tracks is, in case the Clusters come first (plain Matroska, RFC 9559 §6.3).
    fn seek_head(&mut self, element: &Element) -> Result<(), Error> {
        let mut seeks = element.children()?;
        while let Some(seek) = seeks.next_significant()? {
            if seek.id() != ids::SEEK {
                continue;
            }
            let (mut id, mut position) = (None, None);
            let mut children = seek.children()?;
            while let Some(child) = children.next_significant()? {
                match child.id() {
                    ids::SEEK_ID => id = Some(child.data.clone()),
                    ids::SEEK_POSITION => position = Some(child.uint()?),
                    _ => {}
                }
            }
            if id.as_deref() == Some(&ids::TRACKS.to_be_bytes()[..]) {
                let segment = self.segment();
                if segment.tracks.entries.is_empty() {
                    segment.tracks_position = position;
                }
            }
        }
        Ok(())
    }

    fn info(&mut self, info: &Element) -> Result<(), Error> {
        let mut children = info.children()?;
        while let Some(child) = children.next_significant()? {
            if child.id() == ids::TIMESTAMP_SCALE {
                let scale = child.uint()?;
                self.segment().timestamp_scale =
                    TimestampScale::new(scale).ok_or(Error::InvalidValue {
                        offset: child.header.offset,
                        element: "TimestampScale",
                        value: "0".into(),
                    })?;
            }
        }
        Ok(())
    }

    fn tracks(&mut self, element: &Element) -> Result<(), Error> {
        let tracks = Tracks::parse(element)?;
        if *self.last_tracks != tracks {
            self.last_tracks = Arc::new(tracks);
        }
        let tracks = Arc::clone(&self.last_tracks);
        let segment = self.segment();
        segment.tracks = tracks;
        segment.tracks_position = None;
        Ok(())
    }

    fn tags(&mut self, element: &Element) -> Result<(), Error> {
        let mut tags = KvsTags::default();
        tags.absorb(element)?;
        let boundary = element.header.offset;
        if tags.starts_fragment() {
            if let Some(open) = self.open.take() {
                self.close(open, boundary)?;
            } else if self.pending.starts_fragment() {
                self.close_pending(boundary)?;
            }
            self.pending.merge(tags);
        } else if let Some(open) = &mut self.open {
            let last = tags.continuation_token.is_some();
            open.tags.merge(tags);
            if last {
                // GetMedia's closing tags (spec §7.2): the fragment is complete now.
                let end = element.data_offset() + element.data.len() as u64;
                let open = self.open.take().expect("matched above");
                self.close(open, end)?;
            }
        } else {
            self.pending.merge(tags);
        }
        Ok(())
    }

    fn start_cluster(&mut self, offset: u64) -> Result<(), Error> {
        if let Some(open) = self.open.take() {
            self.close(open, offset)?;
        }
        self.open = Some(self.open_fragment());
        Ok(())
    }

    /// Reads Tracks where the SeekHead says it is when the Clusters come first (plain Matroska,
    /// RFC 9559 §6.3); `false` while its bytes have not all arrived, so the Cluster must wait.
    /// The decision depends on complete elements only: a stream waits for them, a whole buffer
    /// has them, and both give the same fragments.
    fn tracks_ready(&mut self, input: &impl Input) -> Result<bool, Error> {
        let Some(segment) = &mut self.segment else {
            return Ok(true);
        };
        let Some(at) = segment
            .tracks_position
            .map(|position| segment.data_start.checked_add(position))
        else {
            return Ok(true);
        };
        let found = match at.map(|at| (at, input.element_at(at))) {
            Some((_, Lookup::Found(element))) if element.id() == ids::TRACKS => Some(element),
            Some((at, Lookup::NotYet)) if at.saturating_sub(input.offset()) <= MAX_ELEMENT_SIZE => {
                return Ok(false);
            }
            // Choice: a SeekHead entry that does not lead to Tracks is ignored, as players do.
            _ => None,
        };
        segment.tracks_position = None;
        if let Some(element) = found {
            self.tracks(&element)?;
        }
        Ok(true)
    }

    /// Reads a sized Cluster's Timestamp (which stamps plain Matroska fragments) and nothing after
    /// its first block; the fragment's frames stay uncounted.
    fn pass_over_cluster(&mut self, element: &Element) -> Result<(), Error> {
        let open = self
            .open
            .as_mut()
            .expect("cluster children come after start_cluster");
        open.summary = None;
        let mut children = element.children_unchecked();
        while let Some((header, data)) = children.next_borrowed()? {
            match header.id {
                ids::TIMESTAMP => {
                    let timestamp = Element {
                        header,
                        data: element.data.slice_ref(data),
                    };
                    open.cluster_timestamp = Some(timestamp.uint()?);
                    return Ok(());
                }
                ids::SIMPLE_BLOCK | ids::BLOCK_GROUP => return Ok(()),
                _ => {}
            }
        }
        Ok(())
    }

    /// Counts a SimpleBlock's frames and times from its header alone (headers-only reading).
    fn block_header(&mut self, data: &[u8], offset: u64) -> Result<(), Error> {
        let open = self
            .open
            .as_mut()
            .expect("cluster children come after start_cluster");
        let header = BlockHeader::parse(data, offset)?;
        let (pts, lace_duration) = block_timing(
            open,
            (header.track, header.relative_timestamp, header.laces),
            None,
            offset,
        )?;
        // At most 256 laces; the last one starts (laces − 1) lace durations after the first.
        let steps = i64::try_from(header.laces - 1).expect("at most 255");
        let last = lace_duration
            .map_or(Some(Nanos::ZERO), |d| d.checked_mul(steps))
            .and_then(|step| pts.checked_add(step))
            .ok_or(Error::TimestampOverflow { offset })?;
        if let Some(summary) = &mut open.summary {
            summary.add(pts, last, header.laces as u64);
        }
        Ok(())
    }

    fn cluster_child(&mut self, child: &Element) -> Result<(), Error> {
        let open = self
            .open
            .as_mut()
            .expect("cluster children come after start_cluster");
        match child.id() {
            ids::TIMESTAMP => open.cluster_timestamp = Some(child.uint()?),
            ids::SIMPLE_BLOCK => {
                let block = Block::parse(&child.data, child.data_offset())?;
                let keyframe = block.keyframe;
                add_block(open, block, None, keyframe, self.options.keep_frames)?;
            }
            ids::BLOCK_GROUP => {
                let mut block = None;
                let mut duration = None;
                let mut referenced = false;
                let mut children = child.children()?;
                while let Some(part) = children.next_significant()? {
                    match part.id() {
                        ids::BLOCK => block = Some(Block::parse(&part.data, part.data_offset())?),
                        ids::BLOCK_DURATION => duration = Some(part.uint()?),
                        ids::REFERENCE_BLOCK => referenced = true,
                        _ => {}
                    }
                }
                let block = block.ok_or(Error::MissingElement {
                    offset: child.header.offset,
                    parent: "BlockGroup",
                    element: "Block",
                })?;
                add_block(open, block, duration, !referenced, self.options.keep_frames)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Completes the open fragment, or a frameless one from KVS tags, at `boundary`.
    fn end_fragment(&mut self, boundary: u64) -> Result<(), Error> {
        if let Some(open) = self.open.take() {
            self.close(open, boundary)?;
        } else if self.pending.starts_fragment() {
            self.close_pending(boundary)?;
        }
        Ok(())
    }

    /// Ends the current segment at `boundary` (the reader is at the top level again).
    fn end_segment(&mut self, boundary: u64) -> Result<(), Error> {
        self.end_fragment(boundary)?;
        // Choice: non-KVS tags of a segment without Cluster (a header-only document) belong to no fragment.
        self.pending = KvsTags::default();
        self.segment = None;
        self.set_boundary(boundary);
        Ok(())
    }

    /// The next fragment starts at `offset`, in the reader's present state.
    fn set_boundary(&mut self, offset: u64) {
        self.fragment_start = offset;
        let in_segment = matches!(self.levels.last(), Some(Level::Segment { .. }));
        let segment = match (&self.segment, in_segment) {
            (Some(current), true) => Some(match &self.shared_segment {
                Some(shared) if **shared == *current => Arc::clone(shared),
                _ => {
                    let shared = Arc::new(current.clone());
                    self.shared_segment = Some(Arc::clone(&shared));
                    shared
                }
            }),
            _ => None,
        };
        self.start_state = Resume {
            index: self.emitted,
            segment,
        };
    }

    fn close_pending(&mut self, boundary: u64) -> Result<(), Error> {
        let open = self.open_fragment();
        self.close(open, boundary)
    }

    /// A new fragment in the current segment, starting where the last one ended, with the pending tags.
    fn open_fragment(&mut self) -> OpenFragment {
        let start = self.fragment_start;
        let resume = self.start_state.clone();
        let tags = std::mem::take(&mut self.pending);
        let segment = self.segment();
        OpenFragment {
            start,
            resume,
            tags,
            cluster_timestamp: None,
            frames: Vec::new(),
            summary: Some(FrameSummary::default()),
            timestamp_scale: segment.timestamp_scale,
            tracks: Arc::clone(&segment.tracks),
        }
    }

    fn close(&mut self, open: OpenFragment, boundary: u64) -> Result<(), Error> {
        let fragment = self.build(open, boundary)?;
        self.ready.push_back(fragment);
        self.set_boundary(boundary);
        Ok(())
    }

    fn build(&mut self, open: OpenFragment, boundary: u64) -> Result<Fragment, Error> {
        let shift = timeline_shift(&open)?;
        let OpenFragment {
            start,
            resume,
            tags,
            cluster_timestamp,
            mut frames,
            summary,
            timestamp_scale,
            tracks,
        } = open;
        let index = self.emitted;
        self.emitted += 1;
        let summary = match summary {
            Some(summary) => Some(
                summary
                    .shifted(shift)
                    .ok_or(Error::TimestampOverflow { offset: start })?,
            ),
            None => None,
        };
        for frame in &mut frames {
            frame.pts = frame
                .pts
                .checked_add(shift)
                .ok_or(Error::TimestampOverflow {
                    offset: frame.offset,
                })?;
        }
        let error = tags.in_band_error();
        let synthetic = tags.fragment_number.is_none();
        let (producer_timestamp, server_timestamp) = if synthetic {
            // Choice: a plain Matroska Cluster is stamped with its own Cluster time (epoch ms for
            // producers writing absolute timecodes, else time since the file's start).
            let stamp = cluster_nanos(cluster_timestamp, timestamp_scale, start)?
                .and_then(UnixMillis::from_nanos);
            (stamp, stamp)
        } else {
            (tags.producer_timestamp, tags.server_timestamp)
        };
        Ok(Fragment {
            number: tags
                .fragment_number
                .unwrap_or_else(|| FragmentNumber::synthetic(index)),
            producer_timestamp,
            server_timestamp,
            synthetic,
            offset: start,
            size: boundary.saturating_sub(start),
            timestamp_scale,
            cluster_timestamp,
            timeline_shift: shift,
            tracks,
            frames,
            summary,
            tags: tags.other,
            millis_behind_now: tags.millis_behind_now,
            continuation_token: tags.continuation_token,
            error,
            resume,
        })
    }
}
