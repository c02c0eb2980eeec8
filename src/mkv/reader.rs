//! The reader's two faces: [`Reader`] over a whole buffer, [`PushParser`] over a stream.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use super::Error;
use super::demux::{Machine, ReadOptions, Resume};
use super::fragment::{Fragment, Frame};
use super::input::{StreamInput, WholeInput};
use super::open::timeline_shift;
use super::tracks::Tracks;
use crate::time::Nanos;

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
    /// A reader over `input`, whose first byte is offset 0, verifying Cluster CRCs.
    pub fn new(input: Bytes) -> Reader {
        Reader::with_options(input, ReadOptions::default())
    }

    /// A reader over `input` with `options`.
    pub fn with_options(input: Bytes, options: ReadOptions) -> Reader {
        Reader {
            machine: Machine::new(options),
            input: WholeInput::new(input, 0),
            failed: false,
        }
    }

    /// A reader for one fragment again: `bytes` are the fragment's own bytes, which started at
    /// absolute offset `offset` of its input; `resume` and `tracks` come from the fragment as
    /// first read. Yields that fragment (offsets, numbers and times as the first time), or an error.
    pub fn resume(
        bytes: Bytes,
        offset: u64,
        resume: &Resume,
        tracks: Arc<Tracks>,
        options: ReadOptions,
    ) -> Reader {
        // A fragment's bytes are at most the input's length: the end cannot overflow.
        let stop_at = offset + bytes.len() as u64;
        Reader {
            machine: Machine::resumed(options, offset, stop_at, resume, tracks),
            input: WholeInput::new(bytes, offset),
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
/// Fragments equal those of [`Reader`] over the concatenated input, for every split. A fragment is
/// handed out as soon as it is known complete (GetMedia's closing tags, or the next element), and
/// the frames of the fragment still arriving are visible through [`PushParser::open_frames`].
///
/// # Examples
/// ```
/// use kvs_remux::PushParser;
///
/// let stream = std::fs::read("testdata/sample/kinesis_video_renderer_example_output.mkv")?;
/// let mut parser = PushParser::new();
/// let mut fragments = 0;
/// for chunk in stream.chunks(64 * 1024) {
///     parser.push(chunk)?;
///     while let Some(fragment) = parser.next_fragment() {
///         assert!(fragment.error.is_none());
///         fragments += 1;
///     }
/// }
/// parser.finish()?;
/// assert_eq!(fragments + parser.next_fragment().map_or(0, |_| 1), 8);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PushParser {
    machine: Machine,
    input: StreamInput,
}

impl Default for PushParser {
    fn default() -> PushParser {
        PushParser::new()
    }
}

impl PushParser {
    /// A parser expecting the first byte of a stream, verifying Cluster CRCs.
    pub fn new() -> PushParser {
        PushParser {
            machine: Machine::new(ReadOptions::default()),
            input: StreamInput {
                buffer: BytesMut::new(),
                offset: 0,
                finished: false,
            },
        }
    }

    /// Adds the next chunk and reads as far as it allows.
    ///
    /// # Errors
    /// The first error in the stream; it is returned again by every later call.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), Error> {
        self.input.buffer.extend_from_slice(chunk);
        self.machine.run(&mut self.input, false)
    }

    /// Declares the end of the stream and completes the last fragment.
    ///
    /// # Errors
    /// [`crate::ebml::Error::Truncated`] when the stream stops inside an element, or an earlier error.
    pub fn finish(&mut self) -> Result<(), Error> {
        self.input.finished = true;
        self.machine.run(&mut self.input, false)
    }

    /// The next complete fragment, in stream order.
    pub fn next_fragment(&mut self) -> Option<Fragment> {
        self.machine.ready.pop_front()
    }

    /// The frames of the fragment still arriving, each available as soon as its block is complete.
    ///
    /// Their times are on the producer's timeline as in the finished fragment when the fragment's
    /// KVS tags came before its Cluster (as GetMedia sends them), else on the file's own timeline.
    pub fn open_frames(&self) -> Vec<Frame> {
        let Some(open) = &self.machine.open else {
            return Vec::new();
        };
        let shift = timeline_shift(open).unwrap_or(Nanos::ZERO);
        open.frames
            .iter()
            .map(|frame| Frame {
                pts: frame.pts.checked_add(shift).unwrap_or(frame.pts),
                ..frame.clone()
            })
            .collect()
    }

    /// After an error: the damaged fragment with the frames read before the damage.
    pub fn partial(&mut self) -> Option<Fragment> {
        self.machine.partial.take()
    }
}
