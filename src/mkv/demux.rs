//! The fragment reader: one state machine, fed either a whole `Bytes` or chunks from a stream.
//!
//! It walks element headers and takes only leaf-level elements whole (EBML header, Info, Tracks,
//! Tags, known-size Clusters, and the children of unknown-size Clusters), so a network stream never
//! has to hold more than one fragment. Every decision depends only on complete elements, so the
//! fragments are the same however the input is split.
//!
//! Fragment boundaries (spec §7): a new EBML header, a Cluster after a Cluster, or a Tags element
//! carrying a KVS fragment number after a Cluster. Tags before a fragment's Cluster belong to it
//! (FN/ST/PT, producer tags); Tags after it belong to it too (MBN/CT, Cues statistics) unless they
//! start the next fragment. A segment with KVS tags but no Cluster (an in-band error chunk, a
//! header-only fragment) becomes a fragment without frames.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Buf, Bytes, BytesMut};

use super::block::Block;
use super::fragment::{Fragment, Frame};
use super::tags::{FragmentNumber, KvsTags};
use super::tracks::Tracks;
use super::{Error, ids};
use crate::ebml::{self, Cursor, Element, Header, reader::CRC32, reader::VOID};
use crate::model::time::{UnixMillis, ticks_to_nanos};

/// Largest single element the reader buffers (a KVS fragment is at most 50 MB, spec §4.2).
pub const MAX_ELEMENT_SIZE: u64 = 1 << 30;
/// Matroska's default TimestampScale: 1 ms.
const DEFAULT_TIMESTAMP_SCALE: u64 = 1_000_000;

/// Bytes the machine reads from: the rest of a whole buffer, or what a stream delivered so far.
trait Input {
    /// Unread bytes available now.
    fn available(&self) -> &[u8];
    /// Absolute offset of the first available byte.
    fn offset(&self) -> u64;
    /// Takes the first `n` available bytes (`n <= available().len()`).
    fn take(&mut self, n: usize) -> Bytes;
    /// Drops the first `n` available bytes (`n <= available().len()`).
    fn skip(&mut self, n: usize);
    /// Whether no more bytes will ever arrive.
    fn is_final(&self) -> bool;
    /// Absolute offset just past the available bytes.
    fn end(&self) -> u64 {
        self.offset() + self.available().len() as u64
    }
}

struct WholeInput {
    rest: Bytes,
    offset: u64,
}

impl Input for WholeInput {
    fn available(&self) -> &[u8] {
        &self.rest
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.rest.split_to(n)
    }
    fn skip(&mut self, n: usize) {
        self.offset += n as u64;
        self.rest.advance(n);
    }
    fn is_final(&self) -> bool {
        true
    }
}

struct StreamInput {
    buffer: BytesMut,
    offset: u64,
    finished: bool,
}

impl Input for StreamInput {
    fn available(&self) -> &[u8] {
        &self.buffer
    }
    fn offset(&self) -> u64 {
        self.offset
    }
    fn take(&mut self, n: usize) -> Bytes {
        self.offset += n as u64;
        self.buffer.split_to(n).freeze()
    }
    fn skip(&mut self, n: usize) {
        self.offset += n as u64;
        self.buffer.advance(n);
    }
    fn is_final(&self) -> bool {
        self.finished
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
struct SegmentContext {
    timestamp_scale: u64,
    tracks: Arc<Tracks>,
}

/// A fragment being read.
struct OpenFragment {
    start: u64,
    tags: KvsTags,
    cluster_timestamp: Option<u64>,
    frames: Vec<Frame>,
    timestamp_scale: u64,
    tracks: Arc<Tracks>,
}

#[derive(Default)]
struct Machine {
    levels: Vec<Level>,
    skip: u64,
    segment: Option<SegmentContext>,
    last_tracks: Arc<Tracks>,
    pending: KvsTags,
    fragment_start: u64,
    open: Option<OpenFragment>,
    ready: VecDeque<Fragment>,
    emitted: u64,
    done: bool,
    error: Option<Error>,
    partial: Option<Fragment>,
}

impl Machine {
    /// Reads until a fragment is ready (`lazy`), the input runs dry, or the input ends.
    fn run(&mut self, input: &mut impl Input, lazy: bool) -> Result<(), Error> {
        if let Some(error) = &self.error {
            return Err(error.clone());
        }
        let result = self.step_until(input, lazy);
        if let Err(error) = &result {
            self.error = Some(error.clone());
            if let Some(open) = self.open.take() {
                // The damaged fragment: its complete frames, up to the end of the input.
                self.partial = self.build(open, input.end()).ok();
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
            match self.decide(&header)? {
                Action::Enter(level) => {
                    input.skip(usize::from(header.header_len));
                    if level == Level::Cluster {
                        self.start_cluster(header.offset)?;
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
                    let total = u64::from(header.header_len) + size;
                    let available = input.available().len() as u64;
                    if available < total {
                        if input.is_final() {
                            return self.take_truncated(input, header, total - available);
                        }
                        return Ok(());
                    }
                    input.skip(usize::from(header.header_len));
                    let data = input.take(usize::try_from(size).expect("size <= available"));
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
            (Some(Level::Segment { .. }), ids::INFO | ids::TRACKS | ids::TAGS) => Action::Take,
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
            // Elements we do not read (SeekHead, Cues, Chapters, Void, unknown ids) are skipped.
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
            (_, ids::CLUSTER) => {
                self.start_cluster(element.header.offset)?;
                let mut children = element.children()?;
                while let Some(child) = children.next_significant()? {
                    self.cluster_child(&child)?;
                }
                Ok(())
            }
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
            while let Ok(Some(child)) = children.next_significant() {
                // The cursor's own error is the truncation reported below (this rule: keep what is complete).
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
        check_ebml_header(header)?;
        self.segment = None;
        Ok(())
    }

    /// The current segment's context; a document without Info or Tracks (an in-band error chunk, a
    /// stream joined mid-way) has the default TimestampScale and no tracks.
    fn segment(&mut self) -> &mut SegmentContext {
        self.segment.get_or_insert_with(|| SegmentContext {
            timestamp_scale: DEFAULT_TIMESTAMP_SCALE,
            tracks: Arc::default(),
        })
    }

    fn info(&mut self, info: &Element) -> Result<(), Error> {
        let mut children = info.children()?;
        while let Some(child) = children.next_significant()? {
            if child.id() == ids::TIMESTAMP_SCALE {
                let scale = child.uint()?;
                if scale == 0 {
                    return Err(Error::InvalidValue {
                        offset: child.header.offset,
                        element: "TimestampScale",
                        value: "0".into(),
                    });
                }
                self.segment().timestamp_scale = scale;
            }
        }
        Ok(())
    }

    fn tracks(&mut self, element: &Element) -> Result<(), Error> {
        let tracks = Tracks::parse(element)?;
        if *self.last_tracks != tracks {
            self.last_tracks = Arc::new(tracks);
        }
        self.segment().tracks = Arc::clone(&self.last_tracks);
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
            open.tags.merge(tags);
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
                add_block(open, block, None, keyframe)?;
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
                add_block(open, block, duration, !referenced)?;
            }
            _ => {}
        }
        Ok(())
    }

    /// Ends the current segment at `boundary`: the open fragment, or a frameless one from KVS tags.
    fn end_segment(&mut self, boundary: u64) -> Result<(), Error> {
        if let Some(open) = self.open.take() {
            self.close(open, boundary)?;
        } else if self.pending.starts_fragment() {
            self.close_pending(boundary)?;
        }
        // Choice: non-KVS tags of a segment without Cluster (a header-only document) belong to no fragment.
        self.pending = KvsTags::default();
        self.fragment_start = boundary;
        Ok(())
    }

    fn close_pending(&mut self, boundary: u64) -> Result<(), Error> {
        let open = self.open_fragment();
        self.close(open, boundary)
    }

    /// A new fragment in the current segment, starting where the last one ended, with the pending tags.
    fn open_fragment(&mut self) -> OpenFragment {
        let start = self.fragment_start;
        let tags = std::mem::take(&mut self.pending);
        let segment = self.segment();
        OpenFragment {
            start,
            tags,
            cluster_timestamp: None,
            frames: Vec::new(),
            timestamp_scale: segment.timestamp_scale,
            tracks: Arc::clone(&segment.tracks),
        }
    }

    fn close(&mut self, open: OpenFragment, boundary: u64) -> Result<(), Error> {
        let fragment = self.build(open, boundary)?;
        self.fragment_start = boundary;
        self.ready.push_back(fragment);
        Ok(())
    }

    fn build(&mut self, open: OpenFragment, boundary: u64) -> Result<Fragment, Error> {
        let OpenFragment {
            start,
            tags,
            cluster_timestamp,
            mut frames,
            timestamp_scale,
            tracks,
        } = open;
        let index = self.emitted;
        self.emitted += 1;
        let overflow = || Error::TimestampOverflow { offset: start };
        let cluster_ns = match cluster_timestamp {
            Some(ticks) => Some(
                ticks_to_nanos(
                    i64::try_from(ticks).map_err(|_| overflow())?,
                    timestamp_scale,
                )
                .ok_or_else(overflow)?,
            ),
            None => None,
        };
        let error = tags.in_band_error();
        let synthetic = tags.fragment_number.is_none();
        let (producer_timestamp, server_timestamp, timeline_shift) = if synthetic {
            // Choice: a plain Matroska Cluster is stamped with its own Cluster time (epoch ms for
            // producers writing absolute timecodes, else time since the file's start).
            let stamp = cluster_ns.and_then(UnixMillis::from_nanos);
            (stamp, stamp, 0)
        } else {
            let shift = match (
                tags.producer_timestamp.and_then(UnixMillis::as_nanos),
                cluster_ns,
            ) {
                (Some(producer), Some(cluster)) => {
                    producer.checked_sub(cluster).ok_or_else(overflow)?
                }
                _ => 0,
            };
            (tags.producer_timestamp, tags.server_timestamp, shift)
        };
        for frame in &mut frames {
            frame.pts = frame
                .pts
                .checked_add(timeline_shift)
                .ok_or(Error::TimestampOverflow {
                    offset: frame.offset,
                })?;
        }
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
            timeline_shift,
            tracks,
            frames,
            tags: tags.other,
            millis_behind_now: tags.millis_behind_now,
            continuation_token: tags.continuation_token,
            error,
        })
    }
}

/// Checks the EBML header of a document: Matroska or WebM, ids ≤ 4 bytes, sizes ≤ 8 bytes.
fn check_ebml_header(header: &Element) -> Result<(), Error> {
    let offset = header.header.offset;
    let not_matroska = |reason: String| Error::NotMatroska { offset, reason };
    let mut children = header.children()?;
    while let Some(child) = children.next_significant()? {
        match child.id() {
            ids::DOC_TYPE => {
                let doc_type = child.string();
                if doc_type != "matroska" && doc_type != "webm" {
                    return Err(not_matroska(format!("DocType is {doc_type:?}")));
                }
            }
            ids::EBML_MAX_ID_LENGTH if child.uint()? > 4 => {
                return Err(not_matroska("EBMLMaxIDLength above 4".into()));
            }
            ids::EBML_MAX_SIZE_LENGTH if child.uint()? > 8 => {
                return Err(not_matroska("EBMLMaxSizeLength above 8".into()));
            }
            _ => {}
        }
    }
    Ok(())
}

/// Turns a block into frames on the file's timeline (ns), with durations and lace timing.
fn add_block(
    open: &mut OpenFragment,
    block: Block,
    duration_ticks: Option<u64>,
    keyframe: bool,
) -> Result<(), Error> {
    let offset = block.frames.first().map_or(0, |(offset, _)| *offset);
    let overflow = || Error::TimestampOverflow { offset };
    let track = open.tracks.get(block.track);
    if track.is_some_and(|t| t.content_encoded) {
        return Err(Error::ContentEncoding {
            offset,
            track: block.track,
        });
    }
    // Choice: a Cluster without Timestamp counts from 0, as ffmpeg does.
    let cluster = i64::try_from(open.cluster_timestamp.unwrap_or(0)).map_err(|_| overflow())?;
    let ticks = cluster
        .checked_add(i64::from(block.relative_timestamp))
        .ok_or_else(overflow)?;
    let pts = ticks_to_nanos(ticks, open.timestamp_scale).ok_or_else(overflow)?;
    let laces = block.frames.len() as u64;
    let default_duration = track.and_then(|t| t.default_duration);
    let block_duration = match duration_ticks {
        Some(ticks) => Some(
            ticks
                .checked_mul(open.timestamp_scale)
                .ok_or_else(overflow)?,
        ),
        None => default_duration.and_then(|d| d.checked_mul(laces)),
    };
    // Laced frames share the block's duration equally (RFC 9559 §10.4), as ffmpeg times them.
    let lace_duration = block_duration.map(|d| d / laces);
    for (i, (offset, data)) in (0u64..).zip(block.frames) {
        let step = lace_duration
            .map_or(Some(0), |d| d.checked_mul(i))
            .and_then(|s| i64::try_from(s).ok());
        let pts = step.and_then(|s| pts.checked_add(s)).ok_or_else(overflow)?;
        open.frames.push(Frame {
            track: block.track,
            pts,
            duration: lace_duration,
            keyframe,
            offset,
            data,
        });
    }
    Ok(())
}

/// Reads fragments from a whole input (a file, a GetMedia response) without copying frame data.
///
/// Yields each complete fragment, then at most one error; after an error, [`Reader::partial`] gives
/// the frames of the damaged fragment that were complete.
pub struct Reader {
    machine: Machine,
    input: WholeInput,
    failed: bool,
}

impl Reader {
    /// A reader over `input`, whose first byte is offset 0.
    pub fn new(input: Bytes) -> Reader {
        Reader {
            machine: Machine::default(),
            input: WholeInput {
                rest: input,
                offset: 0,
            },
            failed: false,
        }
    }

    /// After an error: the damaged fragment with the frames read before the damage.
    pub fn partial(&mut self) -> Option<Fragment> {
        self.machine.partial.take()
    }
}

impl Iterator for Reader {
    type Item = Result<Fragment, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.machine.ready.is_empty() && !self.failed && !self.machine.done {
            // Fragments completed before an error come out first, then the error (once).
            self.failed = self.machine.run(&mut self.input, true).is_err();
        }
        if let Some(fragment) = self.machine.ready.pop_front() {
            return Some(Ok(fragment));
        }
        self.machine.error.take().map(Err)
    }
}

/// A push parser: accepts input in chunks of any size and yields complete fragments.
///
/// Fragments equal those of [`Reader`] over the concatenated input, for every split.
#[derive(Default)]
pub struct PushParser {
    machine: Machine,
    input: Option<StreamInput>,
}

impl PushParser {
    /// A parser expecting the first byte of a stream.
    pub fn new() -> PushParser {
        PushParser::default()
    }

    fn input(&mut self) -> &mut StreamInput {
        self.input.get_or_insert_with(|| StreamInput {
            buffer: BytesMut::new(),
            offset: 0,
            finished: false,
        })
    }

    /// Adds the next chunk and reads as far as it allows.
    ///
    /// # Errors
    /// The first error in the stream; it is returned again by every later call.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.input().buffer.extend_from_slice(chunk);
        let input = self.input.as_mut().expect("set above");
        self.machine.run(input, false)
    }

    /// Declares the end of the stream and completes the last fragment.
    ///
    /// # Errors
    /// [`ebml::Error::Truncated`] when the stream stops inside an element, or an earlier error.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.input().finished = true;
        let input = self.input.as_mut().expect("set above");
        self.machine.run(input, false)
    }

    /// The next complete fragment, in stream order.
    pub fn next_fragment(&mut self) -> Option<Fragment> {
        self.machine.ready.pop_front()
    }

    /// After an error: the damaged fragment with the frames read before the damage.
    pub fn partial(&mut self) -> Option<Fragment> {
        self.machine.partial.take()
    }
}
