//! `kvs-remux`: the command-line face of the library; one subcommand per operation, no logic of its own.
//!
//! Exit codes: 0 success (stderr may carry `warning:` lines about damaged input), 1 failure (one
//! line on stderr: `ExceptionName: message (offset N)` for what the service would report,
//! `error: ...` for a local failure such as an output that cannot be written), 2 bad usage.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kvs_remux::api::fmp4;
use kvs_remux::api::inspect::{CpdChange, FragmentReport, Inspected, Inspector, TrackReport};
use kvs_remux::api::ts::{self, TsOptions};
use kvs_remux::archive::sink::{self, Inputs, OutputError, StagedDir};
use kvs_remux::archive::source::{self, FileIdentity};
use kvs_remux::archive::{Archive, Damage};
use kvs_remux::low_level::mkv::{PushParser, Reader};
use kvs_remux::{ApiError, ClipRequest, SelectorType, UnixMillis, get_clip};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "kvs-remux",
    version,
    about = "Kinesis Video Streams archived media, offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the tracks and fragments of KVS MKV: a file, `-` for stdin, or a directory of fragment files.
    Inspect {
        /// Input: a file, `-` (stdin, shown fragment by fragment as it arrives), or a directory
        /// read in file-name order.
        path: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// GetClip: a progressive MP4 of all tracks for a time range (the whole archive without one).
    GetClip {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: PathBuf,
        /// Output MP4 file (`-` for stdout; `/dev/null` works).
        outfile: PathBuf,
        /// StartTimestamp: RFC 3339 or epoch seconds.
        #[arg(long, value_parser = parse_timestamp)]
        start_timestamp: Option<UnixMillis>,
        /// EndTimestamp (inclusive): RFC 3339 or epoch seconds.
        #[arg(long, value_parser = parse_timestamp)]
        end_timestamp: Option<UnixMillis>,
        /// Which fragment timestamp the range applies to.
        #[arg(long, value_enum, default_value = "SERVER_TIMESTAMP")]
        fragment_selector_type: Selector,
        /// Lift the service's limits of 200 fragments / 100 MB per clip.
        #[arg(long)]
        no_limits: bool,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// Write every track as fMP4: OUTDIR/track<N>/init.mp4 and OUTDIR/track<N>/<FragmentNumber>.m4s.
    ///
    /// Where a track's codec private data changes, a new OUTDIR/track<N>/init-<FragmentNumber>.mp4
    /// describes the segments from that fragment on (as a new EXT-X-MAP would in HLS).
    Fragment {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: PathBuf,
        /// Output directory (created; files appear only when all of them are written).
        outdir: PathBuf,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// GetTSFragment for every fragment: OUTDIR/<FragmentNumber>.ts, all tracks muxed.
    Ts {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: PathBuf,
        /// Output directory (created; files appear only when all of them are written).
        outdir: PathBuf,
        /// Write H.265 (stream_type 0x24), which the service refuses in TS.
        #[arg(long)]
        allow_hevc: bool,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
}

/// ClipFragmentSelectorType, spelled as the API spells it.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Selector {
    #[value(name = "PRODUCER_TIMESTAMP")]
    ProducerTimestamp,
    #[value(name = "SERVER_TIMESTAMP")]
    ServerTimestamp,
}

fn parse_timestamp(text: &str) -> Result<UnixMillis, String> {
    UnixMillis::parse_request(text)
        .ok_or_else(|| format!("{text:?} is neither RFC 3339 nor epoch seconds"))
}

/// Why a command failed.
enum Failure {
    /// What the service would report.
    Api(ApiError),
    /// An output that cannot be written (a local failure, not a service exception).
    Output(OutputError),
    /// Printing to stdout failed.
    Print(io::Error),
    /// Inspect found damage (already shown in its report).
    Damaged(Vec<ApiError>),
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        Failure::Api(error)
    }
}

impl From<OutputError> for Failure {
    fn from(error: OutputError) -> Self {
        Failure::Output(error)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect { path, json } => inspect(&path, json),
        Command::GetClip {
            path,
            outfile,
            start_timestamp,
            end_timestamp,
            fragment_selector_type,
            no_limits,
            strict,
        } => {
            let request = ClipRequest {
                selector: match fragment_selector_type {
                    Selector::ProducerTimestamp => SelectorType::Producer,
                    Selector::ServerTimestamp => SelectorType::Server,
                },
                start: start_timestamp,
                end: end_timestamp,
                no_limits,
            };
            clip(&path, &outfile, &request, strict)
        }
        Command::Fragment {
            path,
            outdir,
            strict,
        } => fragment(&path, &outdir, strict),
        Command::Ts {
            path,
            outdir,
            allow_hevc,
            strict,
        } => ts_export(&path, &outdir, &TsOptions { allow_hevc }, strict),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            match failure {
                Failure::Api(error) if error.is_local() => {
                    eprintln!("error: {}", error.message());
                }
                Failure::Api(error) => eprintln!("{error}"),
                Failure::Output(error) => eprintln!("error: {error}"),
                Failure::Print(error) => eprintln!("error: cannot write to stdout: {error}"),
                Failure::Damaged(errors) => errors.iter().for_each(|e| eprintln!("{e}")),
            }
            ExitCode::FAILURE
        }
    }
}

/// The archive at `path` (`-`: stdin), and the identities of its input files, which no output may
/// overwrite. Damage is warned about, or an error with `strict`.
fn open(path: &Path, strict: bool) -> Result<(Archive, Inputs), Failure> {
    let archive = if path.as_os_str() == "-" {
        Archive::from_reader("-", io::stdin().lock())?
    } else {
        Archive::open(path)?
    };
    let mut identities: Vec<FileIdentity> = archive
        .sources()
        .iter()
        .filter_map(|s| s.identity)
        .collect();
    if path.is_dir() {
        identities.extend(FileIdentity::of(path));
    }
    report_damage(archive.damage(), strict)?;
    Ok((archive, Inputs::new(identities)))
}

/// Warns about each damaged input (the fragments before the damage are used), or fails with the
/// first damage under `--strict`.
fn report_damage(damage: &[Damage], strict: bool) -> Result<(), Failure> {
    if let (true, Some(first)) = (strict, damage.first()) {
        return Err(Failure::Api(first.error.clone()));
    }
    for entry in damage {
        let n = entry.complete_fragments;
        eprintln!(
            "warning: {}; using the {n} complete fragment{} of it before the damage",
            entry.error,
            if n == 1 { "" } else { "s" }
        );
    }
    Ok(())
}

/// `get-clip`: the clip of what was read completely.
fn clip(path: &Path, outfile: &Path, request: &ClipRequest, strict: bool) -> Result<(), Failure> {
    let (archive, inputs) = open(path, strict)?;
    let clip = get_clip(&archive, request)?;
    sink::write_file(outfile, &clip.chunks, &inputs)?;
    if clip.truncated {
        eprintln!(
            "note: the clip holds the first {} fragments (service limits; --no-limits lifts them)",
            clip.fragments.len()
        );
    }
    Ok(())
}

/// The error for an export that found nothing to write.
fn no_media() -> Failure {
    Failure::Api(ApiError::ResourceNotFound {
        message: "No fragments with media found in the input.".into(),
    })
}

/// `fragment`: every track as fMP4, staged and moved into OUTDIR when all of it is written.
fn fragment(path: &Path, outdir: &Path, strict: bool) -> Result<(), Failure> {
    let (archive, inputs) = open(path, strict)?;
    let mut staged = StagedDir::new(outdir, inputs)?;
    for part in fmp4::export(&archive) {
        let part = part?;
        staged.write(&part.relative_path(), part.chunks())?;
    }
    if staged.is_empty() {
        return Err(no_media());
    }
    Ok(staged.commit()?)
}

/// `ts`: one chunk per fragment, staged and moved into OUTDIR when all of it is written.
fn ts_export(path: &Path, outdir: &Path, options: &TsOptions, strict: bool) -> Result<(), Failure> {
    let (archive, inputs) = open(path, strict)?;
    let mut staged = StagedDir::new(outdir, inputs)?;
    for chunk in ts::export(&archive, options) {
        let chunk = chunk?;
        staged.write(
            Path::new(&chunk.file_name()),
            std::slice::from_ref(&chunk.data),
        )?;
    }
    if staged.is_empty() {
        return Err(no_media());
    }
    Ok(staged.commit()?)
}

/// `inspect`: each fragment's row printed (and flushed) as soon as the fragment is complete.
fn inspect(path: &Path, json: bool) -> Result<(), Failure> {
    let mut printer: Box<dyn Printer> = if json {
        Box::new(JsonPrinter::default())
    } else {
        Box::new(TablePrinter::default())
    };
    let mut inspector = Inspector::new();
    let mut errors = Vec::new();
    let add = |inspected: Inspected, printer: &mut Box<dyn Printer>| {
        printer.add(inspected).map_err(Failure::Print)
    };
    if path.as_os_str() == "-" {
        let mut parser = PushParser::new();
        let mut stdin = io::stdin().lock();
        let mut chunk = vec![0u8; 1 << 16];
        let mut total = 0u64;
        loop {
            let read = stdin.read(&mut chunk).map_err(|e| {
                Failure::Api(ApiError::InputUnreadable {
                    path: "-".into(),
                    message: e.to_string(),
                })
            })?;
            total += read as u64;
            let result = match chunk.get(..read) {
                Some(bytes) if read > 0 => parser.push(bytes),
                _ => parser.finish(),
            };
            while let Some(fragment) = parser.next_fragment() {
                add(inspector.add(&fragment), &mut printer)?;
            }
            if let Err(error) = result {
                let error = ApiError::from(error);
                if let Some(partial) = parser.partial() {
                    add(inspector.add_damaged(&error, &partial), &mut printer)?;
                }
                errors.push(error);
                break;
            }
            if read == 0 {
                break;
            }
        }
        if total == 0 {
            errors.push(ApiError::InvalidArgument {
                message: "the input (stdin) is empty".into(),
            });
        }
    } else {
        let sources = source::list(path).map_err(|e| {
            Failure::Api(if e.kind() == io::ErrorKind::NotFound {
                ApiError::InputNotFound {
                    path: path.display().to_string(),
                }
            } else {
                ApiError::InputUnreadable {
                    path: path.display().to_string(),
                    message: e.to_string(),
                }
            })
        })?;
        if sources.is_empty() {
            errors.push(ApiError::InvalidArgument {
                message: format!("{} holds no fragment files", path.display()),
            });
        }
        let named = sources.len() > 1;
        for source in sources {
            let bytes = source.load().map_err(|e| {
                Failure::Api(ApiError::InputUnreadable {
                    path: source.name.clone(),
                    message: e.to_string(),
                })
            })?;
            if bytes.is_empty() {
                errors.push(ApiError::InvalidArgument {
                    message: format!("{} is empty", source.name),
                });
                continue;
            }
            let mut reader = Reader::new(bytes);
            while let Some(next) = reader.next() {
                match next {
                    Ok(fragment) => add(inspector.add(&fragment), &mut printer)?,
                    Err(error) => {
                        let mut error = ApiError::from(error);
                        if named {
                            error = error.in_input(&source.name);
                        }
                        if let Some(partial) = reader.partial() {
                            add(inspector.add_damaged(&error, &partial), &mut printer)?;
                        }
                        errors.push(error);
                    }
                }
            }
        }
    }
    printer.finish().map_err(Failure::Print)?;
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Failure::Damaged(errors))
    }
}

/// Prints the report as it grows.
trait Printer {
    /// Prints what one fragment adds.
    fn add(&mut self, inspected: Inspected) -> io::Result<()>;
    /// Prints the end of the report.
    fn finish(&mut self) -> io::Result<()>;
}

/// `--json`: one object, `{"Tracks":[...],"Fragments":[...],"CodecPrivateDataChanges":[...]}`,
/// written a fragment at a time.
#[derive(Default)]
struct JsonPrinter {
    started: bool,
    changes: Vec<Value>,
}

impl Printer for JsonPrinter {
    fn add(&mut self, inspected: Inspected) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if let Some(tracks) = &inspected.tracks {
            let tracks: Vec<Value> = tracks.iter().map(track_json).collect();
            write!(out, "{{\"Tracks\":{},\"Fragments\":[", Value::Array(tracks))?;
        } else if self.started {
            write!(out, ",")?;
        }
        self.started = true;
        write!(out, "{}", fragment_json(&inspected.fragment))?;
        out.flush()?;
        self.changes
            .extend(inspected.changes.iter().map(change_json));
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if !self.started {
            write!(out, "{{\"Tracks\":[],\"Fragments\":[")?;
        }
        let changes = Value::Array(std::mem::take(&mut self.changes));
        writeln!(out, "],\"CodecPrivateDataChanges\":{changes}}}")?;
        out.flush()
    }
}

fn track_json(t: &TrackReport) -> Value {
    json!({
        "TrackNumber": t.track_number,
        "CodecId": t.codec_id,
        "Codec": t.codec,
        "Width": t.width,
        "Height": t.height,
        "SampleRate": t.sample_rate,
        "Channels": t.channels,
        "CodecPrivateData": match &t.codec_private_data {
            Ok(()) => "ok".to_owned(),
            Err(error) => error.to_string(),
        },
    })
}

fn fragment_json(f: &FragmentReport) -> Value {
    let frames: serde_json::Map<String, Value> = f
        .frames
        .iter()
        .map(|(track, count)| (track.to_string(), json!(count)))
        .collect();
    json!({
        "FragmentNumber": f.fragment_number.to_string(),
        "ProducerTimestamp": f.producer_timestamp.map(|t| t.to_iso8601()),
        "ServerTimestamp": f.server_timestamp.map(|t| t.to_iso8601()),
        "FragmentSizeInBytes": f.fragment_size_in_bytes,
        "FragmentLengthInMilliseconds": f.fragment_length_in_milliseconds,
        "Frames": frames,
        "Error": f.error,
    })
}

fn change_json(c: &CpdChange) -> Value {
    json!({"FragmentNumber": c.fragment_number.to_string(), "TrackNumber": c.track_number, "Change": c.change})
}

/// The table: tracks, then a row per fragment, then the CPD changes.
#[derive(Default)]
struct TablePrinter {
    started: bool,
    changes: Vec<CpdChange>,
}

impl TablePrinter {
    fn header(out: &mut impl Write, tracks: &[TrackReport]) -> io::Result<()> {
        writeln!(
            out,
            "{:<6} {:<16} {:<16} {:>11} {:>7} {:>5}  codec private data",
            "track", "codec id", "codec", "size", "rate", "ch"
        )?;
        for t in tracks {
            let size = match (t.width, t.height) {
                (Some(w), Some(h)) => format!("{w}x{h}"),
                _ => "-".into(),
            };
            let cpd = match &t.codec_private_data {
                Ok(()) => "ok".to_owned(),
                Err(error) => error.to_string(),
            };
            writeln!(
                out,
                "{:<6} {:<16} {:<16} {:>11} {:>7} {:>5}  {cpd}",
                t.track_number,
                t.codec_id,
                t.codec.as_deref().unwrap_or("-"),
                size,
                t.sample_rate.map_or("-".into(), |r| r.to_string()),
                t.channels.map_or("-".into(), |c| c.to_string()),
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "{:<48} {:<24} {:<24} {:>9} {:>7}  frames",
            "fragment number", "producer time", "server time", "bytes", "ms"
        )
    }
}

impl Printer for TablePrinter {
    fn add(&mut self, inspected: Inspected) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if !self.started {
            TablePrinter::header(&mut out, inspected.tracks.as_deref().unwrap_or_default())?;
            self.started = true;
        }
        let f = &inspected.fragment;
        let frames: Vec<String> = f
            .frames
            .iter()
            .map(|(track, n)| format!("{track}:{n}"))
            .collect();
        writeln!(
            out,
            "{:<48} {:<24} {:<24} {:>9} {:>7}  {}{}",
            f.fragment_number.to_string(),
            f.producer_timestamp.map_or("-".into(), |t| t.to_iso8601()),
            f.server_timestamp.map_or("-".into(), |t| t.to_iso8601()),
            f.fragment_size_in_bytes,
            f.fragment_length_in_milliseconds,
            frames.join(" "),
            f.error
                .as_ref()
                .map_or(String::new(), |e| format!("  error: {e}")),
        )?;
        out.flush()?;
        self.changes.extend(inspected.changes);
        Ok(())
    }

    fn finish(&mut self) -> io::Result<()> {
        let mut out = io::stdout().lock();
        if !self.started {
            TablePrinter::header(&mut out, &[])?;
        }
        for c in &self.changes {
            writeln!(
                out,
                "codec private data change: fragment {} track {}: {}",
                c.fragment_number, c.track_number, c.change
            )?;
        }
        out.flush()
    }
}
