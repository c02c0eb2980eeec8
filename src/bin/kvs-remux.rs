//! `kvs-remux`: the command-line face of the library; one subcommand per operation, no logic of its own.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use kvs_remux::ApiError;
use kvs_remux::api::archive::Archive;
use kvs_remux::api::fmp4;
use kvs_remux::api::get_clip::{ClipRequest, SelectorType, get_clip};
use kvs_remux::api::inspect::{Inspection, Inspector};
use kvs_remux::archive::{sink, source};
use kvs_remux::mkv::{PushParser, Reader};
use kvs_remux::model::time::UnixMillis;
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
        /// Input: a file, `-` (stdin), or a directory read in file-name order.
        path: PathBuf,
        /// Print one JSON object instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// GetClip: a progressive MP4 of all tracks for a time range (the whole archive without one).
    GetClip {
        /// Input: a file or a directory of fragment files.
        path: PathBuf,
        /// Output MP4 file (`/dev/null` works).
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
    },
    /// Write every track as fMP4: OUTDIR/track<N>/init.mp4 and OUTDIR/track<N>/<FragmentNumber>.m4s.
    ///
    /// Where a track's codec private data changes, a new OUTDIR/track<N>/init-<FragmentNumber>.mp4
    /// describes the segments from that fragment on (as a new EXT-X-MAP would in HLS).
    Fragment {
        /// Input: a file or a directory of fragment files.
        path: PathBuf,
        /// Output directory (created).
        outdir: PathBuf,
    },
    /// GetTSFragment for every fragment: OUTDIR/<FragmentNumber>.ts, all tracks muxed.
    Ts {
        /// Input: a file or a directory of fragment files.
        path: PathBuf,
        /// Output directory (created).
        outdir: PathBuf,
        /// Write H.265 (stream_type 0x24), which the service refuses in TS.
        #[arg(long)]
        allow_hevc: bool,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::GetClip {
            path,
            outfile,
            start_timestamp,
            end_timestamp,
            fragment_selector_type,
            no_limits,
        } => {
            let request = ClipRequest {
                selector: match fragment_selector_type {
                    Selector::ProducerTimestamp => SelectorType::ProducerTimestamp,
                    Selector::ServerTimestamp => SelectorType::ServerTimestamp,
                },
                start: start_timestamp,
                end: end_timestamp,
                no_limits,
            };
            match clip(&path, &outfile, &request) {
                Ok(None) => ExitCode::SUCCESS,
                Ok(Some(error)) | Err(error) => fail(&error),
            }
        }
        Command::Fragment { path, outdir } => match fragment(&path, &outdir) {
            Ok(None) => ExitCode::SUCCESS,
            Ok(Some(error)) | Err(error) => fail(&error),
        },
        Command::Ts {
            path,
            outdir,
            allow_hevc,
        } => match ts(&path, &outdir, allow_hevc) {
            Ok(None) => ExitCode::SUCCESS,
            Ok(Some(error)) | Err(error) => fail(&error),
        },
        Command::Inspect { path, json } => {
            let report = match inspect(&path) {
                Ok(report) => report,
                Err(error) => return fail(&error),
            };
            let printed = if json {
                writeln!(std::io::stdout(), "{}", to_json(&report))
            } else {
                print_table(&report)
            };
            if let Err(error) = printed {
                eprintln!("error: {error}");
                return ExitCode::FAILURE;
            }
            match &report.error {
                Some(error) => fail(error),
                None => ExitCode::SUCCESS,
            }
        }
    }
}

/// Prints `ExceptionName: message (offset N)` on stderr.
fn fail(error: &ApiError) -> ExitCode {
    match error.offset() {
        Some(offset) => eprintln!("{}: {} (offset {offset})", error.code(), error.message()),
        None => eprintln!("{}: {}", error.code(), error.message()),
    }
    ExitCode::FAILURE
}

fn source_error(path: &Path, error: &std::io::Error) -> ApiError {
    ApiError::Source {
        path: path.display().to_string(),
        not_found: error.kind() == std::io::ErrorKind::NotFound,
        message: error.to_string(),
    }
}

fn read_archive(path: &Path) -> Result<(Archive, Option<ApiError>), ApiError> {
    let files = source::open(path).map_err(|e| source_error(path, &e))?;
    Ok(Archive::read(files.into_iter().map(|f| f.bytes)))
}

/// `get-clip`: the clip of what was read completely, then the error that stopped reading, if any.
fn clip(path: &Path, outfile: &Path, request: &ClipRequest) -> Result<Option<ApiError>, ApiError> {
    let (archive, read_error) = read_archive(path)?;
    let clip = get_clip(&archive.fragments, request)?;
    sink::write_file(outfile, &clip.chunks).map_err(|e| source_error(outfile, &e))?;
    if clip.truncated {
        eprintln!(
            "note: the clip holds the first {} fragments (service limits; --no-limits lifts them)",
            clip.fragments.len()
        );
    }
    Ok(read_error)
}

/// `fragment`: exports what was read completely, then reports the error that stopped reading, if any.
fn fragment(path: &Path, outdir: &Path) -> Result<Option<ApiError>, ApiError> {
    let (archive, read_error) = read_archive(path)?;
    for track in fmp4::export(&archive.fragments)? {
        let dir = outdir.join(format!("track{}", track.track_number));
        std::fs::create_dir_all(&dir).map_err(|e| source_error(&dir, &e))?;
        for epoch in &track.epochs {
            let name = match &epoch.starts_at {
                None => "init.mp4".to_owned(),
                Some(number) => format!("init-{number}.mp4"),
            };
            let init = dir.join(name);
            sink::write_file(&init, std::slice::from_ref(&epoch.init))
                .map_err(|e| source_error(&init, &e))?;
            for (number, chunks) in &epoch.segments {
                let file = dir.join(format!("{number}.m4s"));
                sink::write_file(&file, chunks).map_err(|e| source_error(&file, &e))?;
            }
        }
    }
    Ok(read_error)
}

/// `ts`: writes the chunks made before any error, then reports the first error (export, else reading).
fn ts(path: &Path, outdir: &Path, allow_hevc: bool) -> Result<Option<ApiError>, ApiError> {
    let (archive, read_error) = read_archive(path)?;
    let options = kvs_remux::api::ts::TsOptions { allow_hevc };
    std::fs::create_dir_all(outdir).map_err(|e| source_error(outdir, &e))?;
    let export_error = kvs_remux::api::ts::export_each(&archive.fragments, &options, |chunk| {
        let file = outdir.join(format!("{}.ts", chunk.fragment_number));
        sink::write_file(&file, std::slice::from_ref(&chunk.data))
            .map_err(|e| source_error(&file, &e))
    });
    Ok(export_error.or(read_error))
}

fn inspect(path: &Path) -> Result<Inspection, ApiError> {
    let mut inspector = Inspector::new();
    if path.as_os_str() == "-" {
        inspect_stdin(&mut inspector)?;
        return Ok(inspector.finish());
    }
    let files = source::open(path).map_err(|e| source_error(path, &e))?;
    for file in files {
        let mut reader = Reader::new(file.bytes);
        while let Some(next) = reader.next() {
            match next {
                Ok(fragment) => inspector.add(&fragment),
                Err(error) => {
                    let partial = reader.partial();
                    inspector.fail(error.into(), partial.as_ref());
                    return Ok(inspector.finish());
                }
            }
        }
    }
    Ok(inspector.finish())
}

/// Reads stdin in chunks through the push parser, so a live GetMedia stream is reported as it arrives.
fn inspect_stdin(inspector: &mut Inspector) -> Result<(), ApiError> {
    let mut parser = PushParser::new();
    let mut stdin = std::io::stdin().lock();
    let mut chunk = vec![0u8; 1 << 16];
    loop {
        let read = stdin.read(&mut chunk).map_err(|e| ApiError::Source {
            path: "-".into(),
            not_found: false,
            message: e.to_string(),
        })?;
        let result = match chunk.get(..read) {
            Some(bytes) if read > 0 => parser.push(bytes),
            _ => parser.finish(),
        };
        while let Some(fragment) = parser.next_fragment() {
            inspector.add(&fragment);
        }
        if let Err(error) = result {
            let partial = parser.partial();
            inspector.fail(error.into(), partial.as_ref());
            return Ok(());
        }
        if read == 0 {
            return Ok(());
        }
    }
}

fn to_json(report: &Inspection) -> Value {
    let tracks: Vec<Value> = report
        .tracks
        .iter()
        .map(|t| {
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
        })
        .collect();
    let fragments: Vec<Value> = report
        .fragments
        .iter()
        .map(|f| {
            let frames: serde_json::Map<String, Value> = f
                .frames
                .iter()
                .map(|(track, count)| (track.to_string(), json!(count)))
                .collect();
            json!({
                "FragmentNumber": f.fragment_number,
                "ProducerTimestamp": f.producer_timestamp.map(|t| t.to_iso8601()),
                "ServerTimestamp": f.server_timestamp.map(|t| t.to_iso8601()),
                "FragmentSizeInBytes": f.fragment_size_in_bytes,
                "FragmentLengthInMilliseconds": f.fragment_length_in_milliseconds,
                "Frames": frames,
                "Error": f.error,
            })
        })
        .collect();
    let changes: Vec<Value> = report
        .codec_private_data_changes
        .iter()
        .map(|c| json!({"FragmentNumber": c.fragment_number, "TrackNumber": c.track_number, "Change": c.change}))
        .collect();
    json!({"Tracks": tracks, "Fragments": fragments, "CodecPrivateDataChanges": changes})
}

fn print_table(report: &Inspection) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{:<6} {:<16} {:<16} {:>11} {:>7} {:>5}  codec private data",
        "track", "codec id", "codec", "size", "rate", "ch"
    )?;
    for t in &report.tracks {
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
    )?;
    for f in &report.fragments {
        let frames: Vec<String> = f
            .frames
            .iter()
            .map(|(track, n)| format!("{track}:{n}"))
            .collect();
        writeln!(
            out,
            "{:<48} {:<24} {:<24} {:>9} {:>7}  {}{}",
            f.fragment_number,
            f.producer_timestamp.map_or("-".into(), |t| t.to_iso8601()),
            f.server_timestamp.map_or("-".into(), |t| t.to_iso8601()),
            f.fragment_size_in_bytes,
            f.fragment_length_in_milliseconds,
            frames.join(" "),
            f.error
                .as_ref()
                .map_or(String::new(), |e| format!("  error: {e}")),
        )?;
    }
    for c in &report.codec_private_data_changes {
        writeln!(
            out,
            "codec private data change: fragment {} track {}: {}",
            c.fragment_number, c.track_number, c.change
        )?;
    }
    Ok(())
}
