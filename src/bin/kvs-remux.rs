//! `kvs-remux`: the command-line face of the library; one subcommand per operation, no logic of its own.
//!
//! Exit codes: 0 success (stderr may carry `warning:` lines about damaged input), 1 failure (one
//! line on stderr: `ExceptionName: message (offset N)` for what the service would report,
//! `error: ...` for a local failure such as an output that cannot be written), 2 bad usage.

use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use base64::Engine as _;
use bytes::Bytes;
use clap::{CommandFactory, Parser, Subcommand};
use kvs_remux::api::dash::{self, GetDashStreamingSessionUrlInput, get_dash_streaming_session_url};
use kvs_remux::api::fmp4;
use kvs_remux::api::get_clip::{self, ClipFragmentSelector, GetClipInput};
use kvs_remux::api::get_media::{GetMediaForFragmentListInput, get_media_for_fragment_list};
use kvs_remux::api::hls::{self, GetHlsStreamingSessionUrlInput, get_hls_streaming_session_url};
use kvs_remux::api::images::{self, GetImagesInput, get_images_with};
use kvs_remux::api::inspect::{CpdChange, FragmentReport, Inspected, Inspector, TrackReport};
use kvs_remux::api::list_fragments::{ListFragmentsInput, ListFragmentsOutput, list_fragments};
use kvs_remux::api::pack::{self, PackOptions};
use kvs_remux::api::ts::{self, TsOptions};
use kvs_remux::archive::sink::{self, Inputs, OutputError, OutputFile, StagedDir};
use kvs_remux::archive::source::{self, FileIdentity, Source};
use kvs_remux::archive::{Archive, ArchiveRoot, Damage, root};
use kvs_remux::low_level::mkv::{PushParser, Reader};
use kvs_remux::low_level::timeline;
use kvs_remux::server;
use kvs_remux::session::{self, ContainerFormat, Protocol, Session};
use kvs_remux::shapes;
use kvs_remux::{ApiError, ClipRequest, SelectorType, UnixMillis, get_clip};
use serde::Serialize;
use serde::de::DeserializeOwned;
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
    /// ListFragments: the fragments of a stream as the service's JSON, optionally in a timestamp range.
    ///
    /// Without --max-results and --next-token every page is fetched and the fragments printed
    /// together (as the AWS CLI does); with either, one page and its NextToken.
    #[command(override_usage = "kvs-remux list-fragments [OPTIONS] <PATH>\n       \
        kvs-remux list-fragments [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>)")]
    ListFragments {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: Option<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        /// FragmentSelector: JSON, or the AWS CLI's shorthand
        /// `FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp=T,EndTimestamp=T}`.
        #[arg(long, value_name = "JSON")]
        fragment_selector: Option<String>,
        /// MaxResults: fragments per page, 1–1000.
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_results: Option<i64>,
        /// NextToken from a previous page.
        #[arg(long, value_name = "TOKEN")]
        next_token: Option<String>,
        /// Fail on damaged input instead of listing the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// GetMediaForFragmentList: the stored chunks of the given fragments, in order, to OUTFILE.
    ///
    /// A number the stream does not have gets the service's FRAGMENT_NOT_FOUND chunk. Prints
    /// {"ContentType": "video/webm"}.
    #[command(
        override_usage = "kvs-remux get-media-for-fragment-list [OPTIONS] <PATH> <OUTFILE> --fragments <N>...\n       \
        kvs-remux get-media-for-fragment-list [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>) <OUTFILE> --fragments <N>..."
    )]
    GetMediaForFragmentList {
        /// PATH (a file, a directory of fragment files, or `-`) then OUTFILE (`-` for stdout);
        /// OUTFILE alone with --archive-root.
        #[arg(value_name = "PATH> <OUTFILE", num_args = 1..=2, required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        /// Fragments: fragment numbers (or one JSON list).
        #[arg(long, value_name = "N", num_args = 1..)]
        fragments: Vec<String>,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// GetClip: a progressive MP4 of all tracks for a time range (the whole archive without one).
    ///
    /// Prints {"ContentType": "video/mp4"} (unless OUTFILE is `-`).
    #[command(
        override_usage = "kvs-remux get-clip [OPTIONS] <PATH> <OUTFILE>\n       \
        kvs-remux get-clip [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>) <OUTFILE>"
    )]
    GetClip {
        /// PATH (a file, a directory of fragment files, or `-`) then OUTFILE (an MP4 file, `-`
        /// for stdout, `/dev/null`); OUTFILE alone with --archive-root.
        #[arg(value_name = "PATH> <OUTFILE", num_args = 1..=2, required = true)]
        paths: Vec<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        /// ClipFragmentSelector: JSON, or the shorthand
        /// `FragmentSelectorType=PRODUCER_TIMESTAMP,TimestampRange={StartTimestamp=T,EndTimestamp=T}`.
        #[arg(long, value_name = "JSON", conflicts_with_all = ["start_timestamp", "end_timestamp"])]
        clip_fragment_selector: Option<String>,
        /// StartTimestamp: RFC 3339 or epoch seconds.
        #[arg(long, value_parser = parse_timestamp)]
        start_timestamp: Option<UnixMillis>,
        /// EndTimestamp (inclusive): RFC 3339 or epoch seconds.
        #[arg(long, value_parser = parse_timestamp)]
        end_timestamp: Option<UnixMillis>,
        /// Which fragment timestamp the range applies to.
        #[arg(long, value_enum)]
        fragment_selector_type: Option<Selector>,
        /// Lift the service's limits of 200 fragments / 100 MB per clip.
        #[arg(long)]
        no_limits: bool,
        /// Where codec private data changes (which the service refuses), write one clip per
        /// configuration: OUTFILE, then OUTFILE's name with -2, -3, ... before its extension.
        #[arg(long)]
        split_on_cpd_change: bool,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// GetHLSStreamingSessionURL: a session over the stream, as {"HLSStreamingSessionURL": ...}.
    ///
    /// The SessionToken carries the session, signed with the key of --session-key-file (else
    /// ROOT/.kvs-remux-session-key, or .kvs-remux-session-key beside PATH, created once).
    #[command(
        override_usage = "kvs-remux get-hls-streaming-session-url [OPTIONS] <PATH>\n       \
        kvs-remux get-hls-streaming-session-url [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>)"
    )]
    GetHlsStreamingSessionUrl {
        /// Input: a file or a directory of fragment files.
        path: Option<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        #[command(flatten)]
        session: SessionArgs,
        /// HLSFragmentSelector: JSON, or the shorthand
        /// `FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp=T,EndTimestamp=T}`.
        #[arg(long, value_name = "JSON")]
        hls_fragment_selector: Option<String>,
        /// ContainerFormat: FRAGMENTED_MP4 (default) or MPEG_TS.
        #[arg(long, value_name = "FORMAT")]
        container_format: Option<String>,
        /// DiscontinuityMode: ALWAYS, NEVER or ON_DISCONTINUITY (default by selector type).
        #[arg(long, value_name = "MODE")]
        discontinuity_mode: Option<String>,
        /// MaxMediaPlaylistFragmentResults: 1–5000 (default 5 live, 1000 ON_DEMAND).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_media_playlist_fragment_results: Option<i64>,
    },
    /// GetDASHStreamingSessionURL: a session over the stream, as {"DASHStreamingSessionURL": ...}.
    ///
    /// The SessionToken carries the session, signed as for get-hls-streaming-session-url.
    #[command(
        override_usage = "kvs-remux get-dash-streaming-session-url [OPTIONS] <PATH>\n       \
        kvs-remux get-dash-streaming-session-url [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>)"
    )]
    GetDashStreamingSessionUrl {
        /// Input: a file or a directory of fragment files.
        path: Option<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        #[command(flatten)]
        session: SessionArgs,
        /// DASHFragmentSelector: JSON, or the shorthand (as --hls-fragment-selector).
        #[arg(long, value_name = "JSON")]
        dash_fragment_selector: Option<String>,
        /// DisplayFragmentNumber: ALWAYS or NEVER (default).
        #[arg(long, value_name = "ALWAYS|NEVER")]
        display_fragment_number: Option<String>,
        /// MaxManifestFragmentResults: 1–5000 (default 5 live, 1000 ON_DEMAND).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_manifest_fragment_results: Option<i64>,
    },
    /// A static HLS export: OUTDIR/master.m3u8, its media playlists and segments (relative URIs),
    /// written by the session actions' code as an ON_DEMAND session; plays from disk or any web
    /// server.
    ExportHls {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: PathBuf,
        /// Output directory (created; files appear only when all of them are written).
        outdir: PathBuf,
        /// ContainerFormat: FRAGMENTED_MP4 (default; track<N>.m3u8, track<N>/*.m4s) or MPEG_TS
        /// (media.m3u8, *.ts).
        #[arg(long, value_name = "FORMAT")]
        container_format: Option<String>,
        /// DiscontinuityMode: ALWAYS, NEVER or ON_DISCONTINUITY (default by selector type).
        #[arg(long, value_name = "MODE")]
        discontinuity_mode: Option<String>,
        /// DisplayFragmentTimestamp: ALWAYS (EXT-X-PROGRAM-DATE-TIME) or NEVER (default).
        #[arg(long, value_name = "ALWAYS|NEVER")]
        display_fragment_timestamp: Option<String>,
        /// Which fragment timestamp the range applies to (default SERVER_TIMESTAMP).
        #[arg(long, value_enum)]
        fragment_selector_type: Option<Selector>,
        /// StartTimestamp: RFC 3339 or epoch seconds (default: the first fragment).
        #[arg(long, value_parser = parse_timestamp)]
        start_timestamp: Option<UnixMillis>,
        /// EndTimestamp (inclusive): RFC 3339 or epoch seconds (default: the last fragment).
        #[arg(long, value_parser = parse_timestamp)]
        end_timestamp: Option<UnixMillis>,
        /// Segment file names: `index` (1.m4s, 2.m4s, ...; default) or `fragment-number` (the
        /// 47-digit KVS fragment numbers).
        #[arg(long, value_enum, default_value_t = SegmentNames::Index)]
        segment_names: SegmentNames,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// A static DASH export: OUTDIR/manifest.mpd, track<N>/init.mp4 and track<N>/<Number>.m4s
    /// (relative URLs), written by the session actions' code as an ON_DEMAND session.
    ExportDash {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: PathBuf,
        /// Output directory (created; files appear only when all of them are written).
        outdir: PathBuf,
        /// DisplayFragmentNumber: ALWAYS (`kvs:fn` on each S element) or NEVER (default).
        #[arg(long, value_name = "ALWAYS|NEVER")]
        display_fragment_number: Option<String>,
        /// DisplayFragmentTimestamp: ALWAYS (`kvs:ts` on each S element) or NEVER (default).
        #[arg(long, value_name = "ALWAYS|NEVER")]
        display_fragment_timestamp: Option<String>,
        /// Which fragment timestamp the range applies to (default SERVER_TIMESTAMP).
        #[arg(long, value_enum)]
        fragment_selector_type: Option<Selector>,
        /// StartTimestamp: RFC 3339 or epoch seconds (default: the first fragment).
        #[arg(long, value_parser = parse_timestamp)]
        start_timestamp: Option<UnixMillis>,
        /// EndTimestamp (inclusive): RFC 3339 or epoch seconds (default: the last fragment).
        #[arg(long, value_parser = parse_timestamp)]
        end_timestamp: Option<UnixMillis>,
        /// Beyond the service: where codec private data changes, start a new Period (with
        /// track<N>/init-<K>.mp4) instead of failing with InvalidCodecPrivateDataException.
        #[arg(long)]
        split_on_cpd_change: bool,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// GetImages: stills of track 1 at every SamplingInterval from StartTimestamp, as the
    /// service's response JSON (ImageContent base64); every page unless --max-results or
    /// --next-token asks for one.
    #[command(
        override_usage = "kvs-remux get-images [OPTIONS] <PATH> --image-selector-type <T> --start-timestamp <T> --end-timestamp <T> --format <JPEG|PNG>\n       \
        kvs-remux get-images [OPTIONS] --archive-root <DIR> (--stream-name <NAME> | --stream-arn <ARN>) --image-selector-type <T> ..."
    )]
    GetImages {
        /// Input: a file, a directory of fragment files, or `-` (stdin).
        path: Option<PathBuf>,
        #[command(flatten)]
        request: RequestArgs,
        /// ImageSelectorType: PRODUCER_TIMESTAMP or SERVER_TIMESTAMP.
        #[arg(long, value_name = "TYPE")]
        image_selector_type: Option<String>,
        /// StartTimestamp: RFC 3339 or epoch seconds.
        #[arg(long, value_name = "T")]
        start_timestamp: Option<String>,
        /// EndTimestamp: RFC 3339 or epoch seconds (at most 300 s after the start).
        #[arg(long, value_name = "T")]
        end_timestamp: Option<String>,
        /// SamplingInterval: milliseconds between images, at least 200 (default 3000).
        #[arg(long, value_name = "MS", allow_negative_numbers = true)]
        sampling_interval: Option<i64>,
        /// Format: JPEG or PNG.
        #[arg(long, value_name = "JPEG|PNG")]
        format: Option<String>,
        /// FormatConfig: JPEGQuality=Q (1–100, default 80), or JSON.
        #[arg(long, value_name = "JPEGQuality=Q")]
        format_config: Option<String>,
        /// WidthPixels: 1–3840 (alone: the height follows the source's aspect ratio).
        #[arg(long, value_name = "W", allow_negative_numbers = true)]
        width_pixels: Option<i64>,
        /// HeightPixels: 1–2160 (alone: the width follows the source's aspect ratio).
        #[arg(long, value_name = "H", allow_negative_numbers = true)]
        height_pixels: Option<i64>,
        /// MaxResults: images per page, 1–100 (pages hold at most 25).
        #[arg(long, value_name = "N", allow_negative_numbers = true)]
        max_results: Option<i64>,
        /// NextToken from a previous page.
        #[arg(long, value_name = "TOKEN")]
        next_token: Option<String>,
        /// Also write each image as DIR/<TimeStamp in ms>.jpg|.png (created; files appear when
        /// all are written).
        #[arg(long, value_name = "DIR")]
        output_dir: Option<PathBuf>,
        /// Beyond the service: a slot takes the last frame at or before it from the latest
        /// fragment starting before it (also before --start-timestamp, also across a gap), so
        /// every slot within the archive's frames gets an image.
        #[arg(long)]
        fill_from_previous_keyframe: bool,
        /// Say on stderr why each slot without an image has none.
        #[arg(long)]
        verbose: bool,
        /// Fail on damaged input instead of using the fragments completed before the damage.
        #[arg(long)]
        strict: bool,
    },
    /// Pack any Matroska/WebM file into a KVS archive: one stored chunk per fragment (EBML header,
    /// Segment, Info, Tracks, the AWS tags, one Cluster), as GetMediaForFragmentList returns them.
    Pack {
        /// Input: a Matroska or WebM file, or `-` (stdin).
        input: PathBuf,
        /// Output archive file (`-` for stdout).
        output: PathBuf,
        /// Target fragment duration in ms: a fragment ends at the first key frame after it (1–20000).
        #[arg(long, value_name = "MS", default_value_t = pack::DEFAULT_FRAGMENT_DURATION_MS)]
        fragment_duration: u64,
        /// The Unix time of the input's time 0 (RFC 3339 or epoch seconds; default
        /// 2000-01-01T00:00:00Z).
        #[arg(long, value_name = "RFC3339", value_parser = parse_timestamp)]
        stream_start: Option<UnixMillis>,
        /// Fail on damaged input instead of packing the frames read before the damage.
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
    /// Serve the archived-media API over HTTP: the six operations at their service paths and the
    /// HLS/DASH player actions behind the session URLs, for AWS SDKs (endpoint_url) and players.
    ///
    /// Each stream is a sub-folder (or file) of the archive root, named by StreamName. Prints
    /// `listening on http://ADDR` when ready; Ctrl-C or SIGTERM stops it after the requests in
    /// flight.
    Serve {
        /// The archive root: one sub-folder (or file) per stream.
        #[arg(long, value_name = "DIR")]
        archive_root: PathBuf,
        /// Address to listen on (port 0: any free port, printed).
        #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Accept only SDK requests SigV4-signed by a key of FILE (AWS shared-credentials form:
        /// aws_access_key_id / aws_secret_access_key per section); without, any request.
        #[arg(long, value_name = "FILE")]
        credentials: Option<PathBuf>,
        /// Refuse requests over the service's TPS limits (ClientLimitExceededException).
        #[arg(long)]
        enforce_quotas: bool,
        /// The key that signs session tokens (default: DIR/.kvs-remux-session-key, created when
        /// missing). Servers with the same key answer each other's session URLs.
        #[arg(long, value_name = "FILE")]
        session_key_file: Option<PathBuf>,
    },
}

/// The request: where the stream is when it is not given as PATH (an archive root and the
/// stream's name or ARN), and the service's request JSON.
#[derive(clap::Args)]
struct RequestArgs {
    /// Archive root: one stream per entry, ROOT/<StreamName> (a directory of fragment files or a
    /// file); the stream is named by --stream-name or --stream-arn.
    #[arg(long, value_name = "DIR")]
    archive_root: Option<PathBuf>,
    /// StreamName (with --archive-root).
    #[arg(long, value_name = "NAME", requires = "archive_root")]
    stream_name: Option<String>,
    /// StreamARN (with --archive-root): arn:aws:kinesisvideo:REGION:ACCOUNT:stream/NAME/TIME.
    #[arg(long, value_name = "ARN", requires = "archive_root")]
    stream_arn: Option<String>,
    /// The service's request JSON (or file://PATH); flags given as well take precedence.
    #[arg(long, value_name = "JSON")]
    cli_input_json: Option<String>,
}

/// What the two streaming-session commands share: the playback flags, where the URL points and
/// which key signs the token.
#[derive(clap::Args)]
struct SessionArgs {
    /// PlaybackMode: LIVE (default: the newest fragments), LIVE_REPLAY or ON_DEMAND.
    #[arg(long, value_name = "MODE")]
    playback_mode: Option<String>,
    /// DisplayFragmentTimestamp: ALWAYS or NEVER (default).
    #[arg(long, value_name = "ALWAYS|NEVER")]
    display_fragment_timestamp: Option<String>,
    /// Expires: seconds the session lives, 300–43200 (default 300).
    #[arg(long, value_name = "SECONDS", allow_negative_numbers = true)]
    expires: Option<i64>,
    /// The endpoint the URL points at (the `serve` address).
    #[arg(long, value_name = "URL", default_value = DEFAULT_ENDPOINT)]
    endpoint_url: String,
    /// The key that signs session tokens (32 bytes or more; created with random bytes when missing).
    #[arg(long, value_name = "FILE")]
    session_key_file: Option<PathBuf>,
    /// Fail on damaged input instead of using the fragments completed before the damage.
    #[arg(long)]
    strict: bool,
}

/// Where session URLs point unless --endpoint-url says otherwise.
const DEFAULT_ENDPOINT: &str = "http://127.0.0.1:8080";

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
    /// A local failure with its message (the server cannot start).
    Local(String),
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
        Command::ListFragments {
            path,
            request,
            fragment_selector,
            max_results,
            next_token,
            strict,
        } => list_fragments_command(
            path.as_deref(),
            &request,
            ListFlags {
                fragment_selector,
                max_results,
                next_token,
            },
            strict,
        ),
        Command::GetMediaForFragmentList {
            paths,
            request,
            fragments,
            strict,
        } => get_media_command(&paths, &request, fragments, strict),
        Command::GetClip {
            paths,
            request,
            clip_fragment_selector,
            start_timestamp,
            end_timestamp,
            fragment_selector_type,
            no_limits,
            split_on_cpd_change,
            strict,
        } => get_clip_command(
            &paths,
            &request,
            ClipFlags {
                clip_fragment_selector,
                start_timestamp,
                end_timestamp,
                fragment_selector_type,
                no_limits,
                split_on_cpd_change,
            },
            strict,
        ),
        Command::GetHlsStreamingSessionUrl {
            path,
            request,
            session,
            hls_fragment_selector,
            container_format,
            discontinuity_mode,
            max_media_playlist_fragment_results,
        } => session_url_command(
            "get-hls-streaming-session-url",
            path.as_deref(),
            &request,
            &session,
            vec![
                (
                    "HLSFragmentSelector",
                    hls_fragment_selector.map(Flag::Structure),
                ),
                ("ContainerFormat", container_format.map(Flag::Text)),
                ("DiscontinuityMode", discontinuity_mode.map(Flag::Text)),
                (
                    "MaxMediaPlaylistFragmentResults",
                    max_media_playlist_fragment_results.map(Flag::Number),
                ),
            ],
        ),
        Command::GetDashStreamingSessionUrl {
            path,
            request,
            session,
            dash_fragment_selector,
            display_fragment_number,
            max_manifest_fragment_results,
        } => session_url_command(
            "get-dash-streaming-session-url",
            path.as_deref(),
            &request,
            &session,
            vec![
                (
                    "DASHFragmentSelector",
                    dash_fragment_selector.map(Flag::Structure),
                ),
                (
                    "DisplayFragmentNumber",
                    display_fragment_number.map(Flag::Text),
                ),
                (
                    "MaxManifestFragmentResults",
                    max_manifest_fragment_results.map(Flag::Number),
                ),
            ],
        ),
        Command::ExportHls {
            path,
            outdir,
            container_format,
            discontinuity_mode,
            display_fragment_timestamp,
            fragment_selector_type,
            start_timestamp,
            end_timestamp,
            segment_names,
            strict,
        } => export_hls(
            &path,
            &outdir,
            &ExportHlsFlags {
                container_format,
                discontinuity_mode,
                display_fragment_timestamp,
                fragment_selector_type,
                range: (start_timestamp, end_timestamp),
                segment_names,
            },
            strict,
        ),
        Command::ExportDash {
            path,
            outdir,
            display_fragment_number,
            display_fragment_timestamp,
            fragment_selector_type,
            start_timestamp,
            end_timestamp,
            split_on_cpd_change,
            strict,
        } => export_dash(
            &path,
            &outdir,
            &ExportDashFlags {
                display_fragment_number,
                display_fragment_timestamp,
                fragment_selector_type,
                range: (start_timestamp, end_timestamp),
                split_on_cpd_change,
            },
            strict,
        ),
        Command::GetImages {
            path,
            request,
            image_selector_type,
            start_timestamp,
            end_timestamp,
            sampling_interval,
            format,
            format_config,
            width_pixels,
            height_pixels,
            max_results,
            next_token,
            output_dir,
            fill_from_previous_keyframe,
            verbose,
            strict,
        } => get_images_command(
            path.as_deref(),
            &request,
            vec![
                ("ImageSelectorType", image_selector_type.map(Flag::Text)),
                ("StartTimestamp", start_timestamp.map(Flag::Text)),
                ("EndTimestamp", end_timestamp.map(Flag::Text)),
                ("SamplingInterval", sampling_interval.map(Flag::Number)),
                ("Format", format.map(Flag::Text)),
                ("FormatConfig", format_config.map(Flag::Structure)),
                ("WidthPixels", width_pixels.map(Flag::Number)),
                ("HeightPixels", height_pixels.map(Flag::Number)),
                ("MaxResults", max_results.map(Flag::Number)),
                ("NextToken", next_token.map(Flag::Text)),
            ],
            output_dir.as_deref(),
            fill_from_previous_keyframe,
            verbose,
            strict,
        ),
        Command::Pack {
            input,
            output,
            fragment_duration,
            stream_start,
            strict,
        } => pack_command(
            &input,
            &output,
            &PackOptions {
                fragment_duration_ms: fragment_duration,
                stream_start: stream_start.unwrap_or(pack::DEFAULT_STREAM_START),
            },
            strict,
        ),
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
        Command::Serve {
            archive_root,
            listen,
            credentials,
            enforce_quotas,
            session_key_file,
        } => serve(
            archive_root,
            listen,
            credentials.as_deref(),
            enforce_quotas,
            session_key_file,
        ),
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
                Failure::Local(message) => eprintln!("error: {message}"),
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

/// Makes glibc keep freed large blocks for reuse instead of unmapping them, for `get-images`.
///
/// Every GOP is decoded by a fresh decoder whose frame buffers (3 MB each at 1080p) are freed when
/// it ends; glibc serves such blocks with mmap and unmaps them on free, and its rayon threads' arenas
/// give freed memory back, so the next decoder's buffers fault in zeroed pages again: 117 k page faults
/// and about 9 % of the CPU time for one minute of 1080p video. With blocks up to 32 MiB taken from
/// the heap, and up to 256 MiB of free heap kept, 23 k faults are left (the mapped archive's pages).
/// The CLI process is ours to tune; the library never calls this (it runs in other programs).
fn keep_freed_buffers() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[expect(
        unsafe_code,
        reason = "mallopt only sets allocator parameters; a refused value (return 0) changes nothing"
    )]
    // SAFETY: mallopt reads two integers and sets glibc's thresholds; it is safe to call at any time.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

/// Where a command's stream is: PATH, or an entry of an archive root.
#[derive(Clone, Copy)]
enum Location<'a> {
    Path(&'a Path),
    Root(&'a Path),
}

/// Stops with a usage error of `subcommand` (exit 2), as clap does for its own checks.
fn usage_error(subcommand: &str, message: &str) -> ! {
    let mut cli = Cli::command().bin_name("kvs-remux");
    cli.build();
    let command = cli
        .find_subcommand_mut(subcommand)
        .expect("our own subcommand");
    command
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

/// The stream's location and the output file of a payload command: `PATH OUTFILE`, or `OUTFILE`
/// with --archive-root.
fn stream_and_outfile<'a>(
    subcommand: &str,
    paths: &'a [PathBuf],
    request: &'a RequestArgs,
) -> (Location<'a>, &'a Path) {
    match (paths, &request.archive_root) {
        ([path, outfile], None) => (Location::Path(path), outfile),
        ([outfile], Some(root)) => (Location::Root(root), outfile),
        (_, None) => usage_error(
            subcommand,
            "give PATH and OUTFILE, or --archive-root with --stream-name or --stream-arn and OUTFILE",
        ),
        (_, Some(_)) => usage_error(
            subcommand,
            "with --archive-root, give OUTFILE alone (the stream is named by --stream-name or --stream-arn)",
        ),
    }
}

/// Opens the stream at `location` (an archive root's stream is named by the flags, else by the
/// request JSON); damage is warned about, or an error with `strict`.
fn open_stream(
    location: Location<'_>,
    request: &RequestArgs,
    request_name: Option<&str>,
    request_arn: Option<&str>,
    strict: bool,
) -> Result<(Archive, Inputs), Failure> {
    match location {
        Location::Path(path) => open(path, strict),
        Location::Root(root) => {
            let name = request.stream_name.as_deref().or(request_name);
            let arn = request.stream_arn.as_deref().or(request_arn);
            let archive = ArchiveRoot::new(root).open(name, arn)?;
            let identities: Vec<FileIdentity> = archive
                .sources()
                .iter()
                .filter_map(|s| s.identity)
                .collect();
            report_damage(archive.damage(), strict)?;
            Ok((archive, Inputs::new(identities)))
        }
    }
}

/// The text of a JSON argument: itself, or the file it names as `file://PATH` (as the AWS CLI).
fn json_text(flag: &str, arg: &str) -> Result<String, Failure> {
    match arg.strip_prefix("file://") {
        None => Ok(arg.to_owned()),
        Some(path) => std::fs::read_to_string(path).map_err(|e| {
            Failure::Api(ApiError::InputUnreadable {
                path: format!("{flag} {path}"),
                message: e.to_string(),
            })
        }),
    }
}

/// A request (or part of one) from a JSON argument; an InvalidArgumentException saying what is
/// wrong with it otherwise.
fn parse_json<T: DeserializeOwned>(flag: &str, arg: &str) -> Result<T, Failure> {
    let text = json_text(flag, arg)?;
    serde_json::from_str(&text).map_err(|e| invalid_flag(flag, &e.to_string()))
}

/// A structure from JSON or from the AWS CLI's shorthand (`Key=value,Key={Key=value}`).
fn parse_structure<T: DeserializeOwned>(flag: &str, arg: &str) -> Result<T, Failure> {
    if arg.trim_start().starts_with('{') || arg.starts_with("file://") {
        return parse_json(flag, arg);
    }
    let value = shorthand(arg).map_err(|e| invalid_flag(flag, &e))?;
    serde_json::from_value(value).map_err(|e| invalid_flag(flag, &e.to_string()))
}

fn invalid_flag(flag: &str, problem: &str) -> Failure {
    Failure::Api(ApiError::InvalidArgument {
        message: format!("{flag}: {problem}"),
    })
}

/// Parses the AWS CLI's shorthand syntax for structures: `Key=value` pairs separated by commas,
/// a value either text or a nested `{...}`. Values stay strings (timestamps are read from strings).
fn shorthand(text: &str) -> Result<Value, String> {
    fn structure(text: &str, at: &mut usize, nested: bool) -> Result<Value, String> {
        let bytes = text.as_bytes();
        let mut map = serde_json::Map::new();
        loop {
            let key_start = *at;
            while bytes.get(*at).is_some_and(|&b| b != b'=') {
                *at += 1;
            }
            let key = text[key_start..*at].trim().to_owned();
            if key.is_empty() || bytes.get(*at) != Some(&b'=') {
                return Err(format!("expected Key=value at character {}", key_start + 1));
            }
            *at += 1;
            let value = if bytes.get(*at) == Some(&b'{') {
                *at += 1;
                let inner = structure(text, at, true)?;
                if bytes.get(*at) != Some(&b'}') {
                    return Err(format!("missing }} for {key}"));
                }
                *at += 1;
                inner
            } else {
                let value_start = *at;
                while bytes.get(*at).is_some_and(|&b| b != b',' && b != b'}') {
                    *at += 1;
                }
                Value::String(text[value_start..*at].trim().to_owned())
            };
            map.insert(key, value);
            match bytes.get(*at) {
                Some(b',') => *at += 1,
                Some(b'}') if nested => return Ok(Value::Object(map)),
                None if !nested => return Ok(Value::Object(map)),
                _ => return Err(format!("unexpected text at character {}", *at + 1)),
            }
        }
    }
    let mut at = 0;
    structure(text, &mut at, false)
}

/// Prints `value` as the AWS CLI prints responses: JSON indented by four spaces.
fn print_json(value: &impl Serialize) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    value
        .serialize(&mut serializer)
        .map_err(|e| Failure::Print(io::Error::other(e)))?;
    writeln!(out)
        .and_then(|()| out.flush())
        .map_err(Failure::Print)
}

/// The request flags of `list-fragments`.
struct ListFlags {
    fragment_selector: Option<String>,
    max_results: Option<i64>,
    next_token: Option<String>,
}

/// `list-fragments`: one page when MaxResults or NextToken is given, else all pages merged.
fn list_fragments_command(
    path: Option<&Path>,
    request: &RequestArgs,
    flags: ListFlags,
    strict: bool,
) -> Result<(), Failure> {
    let location = location("list-fragments", path, request);
    let mut input: ListFragmentsInput = match &request.cli_input_json {
        Some(json) => parse_json("--cli-input-json", json)?,
        None => ListFragmentsInput::default(),
    };
    if let Some(selector) = &flags.fragment_selector {
        input.fragment_selector = Some(parse_structure("--fragment-selector", selector)?);
    }
    input.max_results = flags.max_results.or(input.max_results);
    input.next_token = flags.next_token.or(input.next_token);
    let (archive, _) = open_stream(
        location,
        request,
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        strict,
    )?;
    if input.max_results.is_some() || input.next_token.is_some() {
        return print_json(&list_fragments(&archive, &input)?);
    }
    let mut fragments = Vec::new();
    loop {
        let page = list_fragments(&archive, &input)?;
        fragments.extend(page.fragments);
        match page.next_token {
            Some(token) => input.next_token = Some(token),
            None => break,
        }
    }
    print_json(&ListFragmentsOutput {
        fragments,
        next_token: None,
    })
}

/// `get-images`: the request is the --cli-input-json object with the flags' fields set over it,
/// read by the library's request type; prints the response JSON (all pages unless --max-results
/// or --next-token is given) and writes the images to --output-dir.
fn get_images_command(
    path: Option<&Path>,
    request: &RequestArgs,
    flags: Vec<(&str, Option<Flag>)>,
    output_dir: Option<&Path>,
    fill_from_previous_keyframe: bool,
    verbose: bool,
    strict: bool,
) -> Result<(), Failure> {
    keep_freed_buffers();
    let location = location("get-images", path, request);
    let fields = request_fields(request, flags)?;
    let input: GetImagesInput =
        serde_json::from_value(fields).map_err(|e| invalid_flag("get-images", &e.to_string()))?;
    let (archive, inputs) = open_stream(
        location,
        request,
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        strict,
    )?;
    let options = images::ImagesOptions {
        fill_from_previous_keyframe,
        // Every page at once unless the user asked for pages: each GOP decoded once.
        all_pages: input.max_results.is_none() && input.next_token.is_none(),
        libraries: images::Libraries::default(),
    };
    // The output directory first: an unusable one fails before anything is decoded.
    let staged = output_dir
        .map(|dir| StagedDir::new(dir, inputs))
        .transpose()?;
    let output = get_images_with(&archive, &input, options)?;
    if verbose {
        for image in &output.images {
            if let (Some(error), Some(reason)) = (image.error, &image.reason) {
                eprintln!(
                    "{}: {}: {reason}",
                    image.time_stamp.to_iso8601(),
                    error.name()
                );
            }
        }
    }
    if let Some(mut staged) = staged {
        let extension = match input.format {
            images::Format::Jpeg => "jpg",
            images::Format::Png => "png",
        };
        for image in &output.images {
            let Some(content) = &image.image_content else {
                continue;
            };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(content)
                .expect("ImageContent is our own base64");
            staged.write(
                Path::new(&format!("{}.{extension}", image.time_stamp.0)),
                &[Bytes::from(bytes)],
            )?;
        }
        staged.commit()?;
    }
    print_json(&output)
}

/// Where a command's stream is: PATH, or `--archive-root` (with the stream named by flags or the
/// request); exits with a usage error for neither or both.
fn location<'a>(
    subcommand: &str,
    path: Option<&'a Path>,
    request: &'a RequestArgs,
) -> Location<'a> {
    match (path, &request.archive_root) {
        (Some(path), None) => Location::Path(path),
        (None, Some(root)) => Location::Root(root),
        (None, None) => usage_error(
            subcommand,
            "give PATH, or --archive-root with --stream-name or --stream-arn",
        ),
        (Some(_), Some(_)) => usage_error(subcommand, "give PATH or --archive-root, not both"),
    }
}

/// The request JSON object: --cli-input-json (or `{}`) with each given flag's field set over it.
fn request_fields<'f>(
    request: &RequestArgs,
    flags: impl IntoIterator<Item = (&'f str, Option<Flag>)>,
) -> Result<Value, Failure> {
    let mut input = match &request.cli_input_json {
        Some(json) => parse_json::<Value>("--cli-input-json", json)?,
        None => json!({}),
    };
    let Some(fields) = input.as_object_mut() else {
        return Err(invalid_flag("--cli-input-json", "not a JSON object"));
    };
    for (field, flag) in flags {
        let value = match flag {
            None => continue,
            Some(Flag::Text(text)) => Value::String(text),
            Some(Flag::Number(n)) => Value::from(n),
            Some(Flag::Structure(text)) => {
                parse_structure::<Value>(&format!("--{}", kebab(field)), &text)?
            }
        };
        fields.insert(field.to_owned(), value);
    }
    Ok(input)
}

/// A request field given as a flag: text (an enum), a number, or a structure (JSON or shorthand).
enum Flag {
    Text(String),
    Number(i64),
    Structure(String),
}

/// `get-hls-streaming-session-url` / `get-dash-streaming-session-url`: the request is the
/// --cli-input-json object with the flags' fields set over it, read by the library's request type
/// (so enum spellings are checked in one place); prints the response JSON.
fn session_url_command(
    subcommand: &str,
    path: Option<&Path>,
    request: &RequestArgs,
    session: &SessionArgs,
    flags: Vec<(&str, Option<Flag>)>,
) -> Result<(), Failure> {
    if path.is_some_and(|path| path.as_os_str() == "-") {
        usage_error(
            subcommand,
            "a session reopens its stream for every request: give a file or a directory, not stdin",
        );
    }
    let location = location(subcommand, path, request);
    let common = [
        (
            "PlaybackMode",
            session.playback_mode.clone().map(Flag::Text),
        ),
        (
            "DisplayFragmentTimestamp",
            session.display_fragment_timestamp.clone().map(Flag::Text),
        ),
        ("Expires", session.expires.map(Flag::Number)),
    ];
    let mut input = request_fields(request, common.into_iter().chain(flags))?;
    let fields = input
        .as_object_mut()
        .expect("request_fields gives an object");
    let name = fields
        .get("StreamName")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let arn = fields
        .get("StreamARN")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (archive, _) = open_stream(
        location,
        request,
        name.as_deref(),
        arn.as_deref(),
        session.strict,
    )?;
    let (stream, key_path) = match location {
        Location::Path(path) => {
            let absolute = std::fs::canonicalize(path).map_err(|e| ApiError::InputUnreadable {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            let beside = absolute
                .parent()
                .unwrap_or(Path::new("/"))
                .join(root::SESSION_KEY_FILE);
            (absolute.display().to_string(), beside)
        }
        Location::Root(root) => (
            shapes::stream_name(
                request.stream_name.as_deref().or(name.as_deref()),
                request.stream_arn.as_deref().or(arn.as_deref()),
            )?,
            root.join(root::SESSION_KEY_FILE),
        ),
    };
    let key_path = session.session_key_file.clone().unwrap_or(key_path);
    let key = root::read_session_key(&key_path, true)?;
    let now = UnixMillis::from_system_time(std::time::SystemTime::now());
    let endpoint = &session.endpoint_url;
    if subcommand == "get-hls-streaming-session-url" {
        let input: GetHlsStreamingSessionUrlInput =
            serde_json::from_value(input).map_err(|e| invalid_flag("request", &e.to_string()))?;
        print_json(&get_hls_streaming_session_url(
            &archive, &stream, &input, &key, now, endpoint,
        )?)
    } else {
        let input: GetDashStreamingSessionUrlInput =
            serde_json::from_value(input).map_err(|e| invalid_flag("request", &e.to_string()))?;
        print_json(&get_dash_streaming_session_url(
            &archive, &stream, &input, &key, now, endpoint,
        )?)
    }
}

/// `serve`: the endpoint over the archive root until Ctrl-C or SIGTERM.
fn serve(
    archive_root: PathBuf,
    listen: std::net::SocketAddr,
    credentials: Option<&Path>,
    enforce_quotas: bool,
    session_key_file: Option<PathBuf>,
) -> Result<(), Failure> {
    if !archive_root.is_dir() {
        return Err(Failure::Local(format!(
            "the archive root {} is not a directory",
            archive_root.display()
        )));
    }
    let credentials = match credentials {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Failure::Local(format!("cannot read {}: {e}", path.display())))?;
            Some(
                server::Credentials::from_ini(&text)
                    .map_err(|e| Failure::Local(format!("{}: {e}", path.display())))?,
            )
        }
        None => None,
    };
    let key_path = session_key_file.unwrap_or_else(|| archive_root.join(root::SESSION_KEY_FILE));
    let config = server::ServerConfig {
        root: ArchiveRoot::new(archive_root),
        session_key: root::read_session_key(&key_path, true)?,
        credentials,
        enforce_quotas,
    };
    let ready = |address| {
        println!("listening on http://{address}");
        // The line is what scripts wait for: it must not sit in a buffer.
        if let Err(error) = io::stdout().flush() {
            eprintln!("error: cannot write to stdout: {error}");
        }
    };
    server::run(config, listen, ready, server::shutdown_signal())
        .map_err(|e| Failure::Local(format!("cannot serve on {listen}: {e}")))
}

/// `HLSFragmentSelector` → `hls-fragment-selector`, as the AWS CLI names flags.
fn kebab(field: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = field.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let boundary = i > 0
            && c.is_ascii_uppercase()
            && (chars[i - 1].is_ascii_lowercase()
                || chars.get(i + 1).is_some_and(char::is_ascii_lowercase));
        if boundary {
            out.push('-');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `get-media-for-fragment-list`: the payload streamed to OUTFILE, chunk by chunk.
fn get_media_command(
    paths: &[PathBuf],
    request: &RequestArgs,
    fragments: Vec<String>,
    strict: bool,
) -> Result<(), Failure> {
    let (location, outfile) = stream_and_outfile("get-media-for-fragment-list", paths, request);
    let mut input: GetMediaForFragmentListInput = match &request.cli_input_json {
        Some(json) => parse_json("--cli-input-json", json)?,
        None => GetMediaForFragmentListInput::default(),
    };
    match fragments.as_slice() {
        [] => {}
        // The AWS CLI also takes the list as one JSON array.
        [list] if list.trim_start().starts_with('[') => {
            input.fragments = parse_json("--fragments", list)?;
        }
        _ => input.fragments = fragments,
    }
    let (archive, inputs) = open_stream(
        location,
        request,
        input.stream_name.as_deref(),
        input.stream_arn.as_deref(),
        strict,
    )?;
    let payload = get_media_for_fragment_list(&archive, &input)?;
    let mut out = OutputFile::create(outfile, &inputs)?;
    for chunk in payload.chunks(&archive) {
        out.write(&[chunk?])?;
    }
    out.commit()?;
    print_content_type(outfile, payload.content_type)
}

/// `{"ContentType": ...}` on stdout, as the AWS CLI prints for a payload written to a file.
fn print_content_type(outfile: &Path, content_type: &str) -> Result<(), Failure> {
    if outfile.as_os_str() == "-" {
        return Ok(());
    }
    print_json(&json!({ "ContentType": content_type }))
}

/// The request flags of `get-clip`.
struct ClipFlags {
    clip_fragment_selector: Option<String>,
    start_timestamp: Option<UnixMillis>,
    end_timestamp: Option<UnixMillis>,
    fragment_selector_type: Option<Selector>,
    no_limits: bool,
    split_on_cpd_change: bool,
}

/// `get-clip`: the clip of what was read completely. The request comes from the JSON arguments,
/// the flags taking precedence; without a range, the whole archive.
fn get_clip_command(
    paths: &[PathBuf],
    request: &RequestArgs,
    flags: ClipFlags,
    strict: bool,
) -> Result<(), Failure> {
    let (location, outfile) = stream_and_outfile("get-clip", paths, request);
    let input: Option<GetClipInput> = match &request.cli_input_json {
        Some(json) => Some(parse_json("--cli-input-json", json)?),
        None => None,
    };
    let selector: Option<ClipFragmentSelector> = match &flags.clip_fragment_selector {
        Some(text) => Some(parse_structure("--clip-fragment-selector", text)?),
        None => input.as_ref().map(|i| i.clip_fragment_selector),
    };
    let mut clip_request = match selector {
        Some(selector) => ClipRequest::from_input(&GetClipInput {
            stream_name: None,
            stream_arn: None,
            clip_fragment_selector: selector,
        }),
        None => ClipRequest {
            selector: SelectorType::Server,
            start: None,
            end: None,
            no_limits: false,
        },
    };
    if let Some(kind) = flags.fragment_selector_type {
        clip_request.selector = match kind {
            Selector::ProducerTimestamp => SelectorType::Producer,
            Selector::ServerTimestamp => SelectorType::Server,
        };
    }
    clip_request.start = flags.start_timestamp.or(clip_request.start);
    clip_request.end = flags.end_timestamp.or(clip_request.end);
    clip_request.no_limits = flags.no_limits;
    let (archive, inputs) = open_stream(
        location,
        request,
        input.as_ref().and_then(|i| i.stream_name.as_deref()),
        input.as_ref().and_then(|i| i.stream_arn.as_deref()),
        strict,
    )?;
    if flags.split_on_cpd_change {
        if outfile.as_os_str() == "-" {
            usage_error(
                "get-clip",
                "--split-on-cpd-change writes files: give OUTFILE, not -",
            );
        }
        // The first output first: an unwritable OUTFILE fails before the clips are built.
        let mut first = Some(OutputFile::create(outfile, &inputs)?);
        let clips = get_clip::get_clips_by_configuration(&archive, &clip_request)?;
        let mut names = Vec::new();
        for (k, clip) in clips.iter().enumerate() {
            let name = match first.take() {
                Some(mut out) => {
                    out.write(&clip.chunks)?;
                    out.commit()?;
                    outfile.to_path_buf()
                }
                None => {
                    let name = numbered(outfile, k + 1);
                    sink::write_file(&name, &clip.chunks, &inputs)?;
                    name
                }
            };
            names.push(name.display().to_string());
        }
        if names.len() > 1 {
            eprintln!(
                "note: {} clips, one per codec configuration: {}",
                names.len(),
                names.join(", ")
            );
        }
        return print_content_type(outfile, get_clip::CONTENT_TYPE);
    }
    // The output first: an unwritable OUTFILE fails before the clip is built.
    let mut out = OutputFile::create(outfile, &inputs)?;
    let clip = get_clip(&archive, &clip_request)?;
    out.write(&clip.chunks)?;
    out.commit()?;
    if clip.truncated {
        eprintln!(
            "note: the clip holds the first {} fragments (service limits; --no-limits lifts them)",
            clip.fragments.len()
        );
    }
    print_content_type(outfile, get_clip::CONTENT_TYPE)
}

/// `clip.mp4` → `clip-N.mp4` (`clip` → `clip-N`), in the same directory.
fn numbered(path: &Path, n: usize) -> PathBuf {
    let stem = path.file_stem().unwrap_or_default().to_string_lossy();
    let name = match path.extension() {
        Some(ext) => format!("{stem}-{n}.{}", ext.to_string_lossy()),
        None => format!("{stem}-{n}"),
    };
    path.with_file_name(name)
}

/// `pack`: the archive streamed to OUTPUT fragment by fragment; it appears whole or not at all.
fn pack_command(
    input: &Path,
    output: &Path,
    options: &PackOptions,
    strict: bool,
) -> Result<(), Failure> {
    let sources = if input.as_os_str() == "-" {
        vec![Source::read_all("-", io::stdin().lock()).map_err(|e| {
            Failure::Api(ApiError::InputUnreadable {
                path: "-".into(),
                message: e.to_string(),
            })
        })?]
    } else {
        source::list(input).map_err(|e| Failure::Api(input_error(input, &e)))?
    };
    let [source] = sources.as_slice() else {
        return Err(Failure::Api(ApiError::InvalidArgument {
            message: format!(
                "{} is a directory; pack takes one Matroska file",
                input.display()
            ),
        }));
    };
    let bytes = source
        .load()
        .map_err(|e| Failure::Api(input_error(input, &e)))?;
    if bytes.is_empty() {
        return Err(Failure::Api(ApiError::InvalidArgument {
            message: format!("{} is empty", source.name),
        }));
    }
    let mut packed = pack::pack(bytes, options)?;
    let mut out = OutputFile::create(output, &Inputs::new(source.identity))?;
    let mut fragments = 0usize;
    for chunks in &mut packed {
        out.write(&chunks?)?;
        fragments += 1;
    }
    let damage = packed.damage().cloned().map(|e| e.in_input(&source.name));
    if fragments == 0 {
        return Err(Failure::Api(damage.unwrap_or_else(|| {
            ApiError::InvalidArgument {
                message: format!("{} has no frames to pack", source.name),
            }
        })));
    }
    if let Some(damage) = damage {
        if strict {
            return Err(Failure::Api(damage));
        }
        eprintln!("warning: {damage}; packed the frames read completely before the damage");
    }
    Ok(out.commit()?)
}

/// ResourceNotFoundException for a missing input, else a local failure.
fn input_error(path: &Path, error: &io::Error) -> ApiError {
    if error.kind() == io::ErrorKind::NotFound {
        ApiError::InputNotFound {
            path: path.display().to_string(),
        }
    } else {
        ApiError::InputUnreadable {
            path: path.display().to_string(),
            message: error.to_string(),
        }
    }
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

/// The flags of `export-hls`.
struct ExportHlsFlags {
    container_format: Option<String>,
    discontinuity_mode: Option<String>,
    display_fragment_timestamp: Option<String>,
    fragment_selector_type: Option<Selector>,
    range: (Option<UnixMillis>, Option<UnixMillis>),
    segment_names: SegmentNames,
}

/// A progress bar on stderr counting an export's fragments, drawn only when stderr is a terminal.
fn progress(fragments: usize, what: &str) -> indicatif::ProgressBar {
    use std::io::IsTerminal;
    let total = u64::try_from(fragments).unwrap_or(u64::MAX);
    if !io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{msg} {bar:40} {pos}/{len} fragments, {elapsed} (eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar.set_message(what.to_owned());
    bar
}

/// How `export-hls` names segment files.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SegmentNames {
    /// By index in the session, from 1.
    Index,
    /// By KVS fragment number.
    FragmentNumber,
}

/// An enum value spelled as the service spells it (`MPEG_TS`), read by its serde name.
fn service_enum<T: DeserializeOwned>(
    flag: &str,
    text: Option<&String>,
) -> Result<Option<T>, Failure> {
    text.map(|t| {
        serde_json::from_value(Value::String(t.clone()))
            .map_err(|e| invalid_flag(flag, &e.to_string()))
    })
    .transpose()
}

/// `export-hls`: the ON_DEMAND session of the whole range as files: playlists with relative URIs,
/// then the segments, staged and moved into OUTDIR when all of it is written.
fn export_hls(
    path: &Path,
    outdir: &Path,
    flags: &ExportHlsFlags,
    strict: bool,
) -> Result<(), Failure> {
    let container = service_enum("--container-format", flags.container_format.as_ref())?
        .unwrap_or(ContainerFormat::FragmentedMp4);
    let discontinuity = service_enum("--discontinuity-mode", flags.discontinuity_mode.as_ref())?;
    let display = service_enum(
        "--display-fragment-timestamp",
        flags.display_fragment_timestamp.as_ref(),
    )?
    .unwrap_or(session::Display::Never);
    let selector = match flags.fragment_selector_type {
        Some(Selector::ProducerTimestamp) => SelectorType::Producer,
        Some(Selector::ServerTimestamp) | None => SelectorType::Server,
    };
    let (archive, inputs) = open(path, strict)?;
    let mut session = Session::export(
        &path.display().to_string(),
        Protocol::Hls,
        selector,
        flags.range,
    )?;
    session.container_format = container;
    session.discontinuity_mode = discontinuity.unwrap_or(session.discontinuity_mode);
    session.display_fragment_timestamp = display;
    let by_fragment_number = flags.segment_names == SegmentNames::FragmentNumber;
    let links = hls::Links::Files { by_fragment_number };
    let mut staged = StagedDir::new(outdir, inputs)?;
    let text = |text: String| [Bytes::from(text)];
    staged.write(
        Path::new("master.m3u8"),
        &text(hls::get_hls_master_playlist(&archive, &session, links)?),
    )?;
    let positions = session.check(&archive)?;
    // Index names: a fragment's index in the session from 1, a track's K-th init after a change.
    let index_of: std::collections::HashMap<String, usize> = positions
        .iter()
        .enumerate()
        .filter_map(|(i, &p)| Some((archive.index().get(p)?.number.to_string(), i + 1)))
        .collect();
    let index_name = |number: &dyn std::fmt::Display| {
        index_of
            .get(&number.to_string())
            .copied()
            .expect("exports write the session's fragments")
    };
    match container {
        ContainerFormat::FragmentedMp4 => {
            let first = archive
                .index()
                .get(positions[0])
                .expect("a checked session");
            for track in timeline::packaged_tracks(&first.tracks, session.packaging())? {
                let track = u64::from(track.track_id);
                staged.write(
                    Path::new(&format!("track{track}.m3u8")),
                    &text(hls::get_hls_media_playlist(
                        &archive, &session, links, track,
                    )?),
                )?;
            }
            let mut inits: std::collections::BTreeMap<u64, usize> =
                std::collections::BTreeMap::new();
            for part in fmp4::export_fragments(&archive, positions) {
                let part = part?;
                let name = match &part {
                    _ if by_fragment_number => part.relative_path(),
                    fmp4::Fmp4Part::Init { track, .. } => {
                        let epoch = inits.entry(*track).or_insert(0);
                        let name = match *epoch {
                            0 => format!("track{track}/init.mp4"),
                            k => format!("track{track}/init-{k}.mp4"),
                        };
                        *epoch += 1;
                        PathBuf::from(name)
                    }
                    fmp4::Fmp4Part::Segment {
                        track, fragment, ..
                    } => PathBuf::from(format!("track{track}/{}.m4s", index_name(fragment))),
                };
                staged.write(&name, part.chunks())?;
            }
        }
        ContainerFormat::MpegTs => {
            staged.write(
                Path::new("media.m3u8"),
                &text(hls::get_hls_media_playlist(&archive, &session, links, 1)?),
            )?;
            let bar = progress(positions.len(), "export-hls");
            for chunk in ts::export_fragments(&archive, positions, &TsOptions::default()) {
                let chunk = chunk?;
                bar.inc(1);
                let name = if by_fragment_number {
                    chunk.file_name()
                } else {
                    format!("{}.ts", index_name(&chunk.fragment_number))
                };
                staged.write(Path::new(&name), std::slice::from_ref(&chunk.data))?;
            }
        }
    }
    Ok(staged.commit()?)
}

/// The flags of `export-dash`.
struct ExportDashFlags {
    display_fragment_number: Option<String>,
    display_fragment_timestamp: Option<String>,
    fragment_selector_type: Option<Selector>,
    range: (Option<UnixMillis>, Option<UnixMillis>),
    split_on_cpd_change: bool,
}

/// `export-dash`: the ON_DEMAND session of the whole range as files: the MPD with relative URLs,
/// then each track's init segment and its segments numbered from 1, staged and moved into OUTDIR
/// when all of it is written.
fn export_dash(
    path: &Path,
    outdir: &Path,
    flags: &ExportDashFlags,
    strict: bool,
) -> Result<(), Failure> {
    let display = |flag: &str, text: Option<&String>| {
        service_enum(flag, text).map(|d| d.unwrap_or(session::Display::Never))
    };
    let selector = match flags.fragment_selector_type {
        Some(Selector::ProducerTimestamp) => SelectorType::Producer,
        Some(Selector::ServerTimestamp) | None => SelectorType::Server,
    };
    let (archive, inputs) = open(path, strict)?;
    let mut session = Session::export(
        &path.display().to_string(),
        Protocol::Dash,
        selector,
        flags.range,
    )?;
    session.display_fragment_number = display(
        "--display-fragment-number",
        flags.display_fragment_number.as_ref(),
    )?;
    session.display_fragment_timestamp = display(
        "--display-fragment-timestamp",
        flags.display_fragment_timestamp.as_ref(),
    )?;
    let links = dash::Links::Files {
        split_on_cpd_change: flags.split_on_cpd_change,
    };
    let mpd = dash::get_dash_manifest(&archive, &session, links)?;
    let mut staged = StagedDir::new(outdir, inputs)?;
    staged.write(Path::new("manifest.mpd"), &[Bytes::from(mpd)])?;
    let mut numbers: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    let mut inits: std::collections::BTreeMap<u64, usize> = std::collections::BTreeMap::new();
    let positions = session.check(&archive)?;
    let bar = progress(positions.len(), "export-dash");
    let mut last = None;
    for part in fmp4::export_fragments(&archive, positions) {
        let part = part?;
        if let fmp4::Fmp4Part::Segment { fragment, .. } = &part
            && last.as_ref() != Some(fragment)
        {
            bar.inc(1);
            last = Some(fragment.clone());
        }
        match part {
            fmp4::Fmp4Part::Init { track, data, .. } => {
                let epoch = inits.entry(track).or_insert(0);
                let name = match *epoch {
                    0 => format!("track{track}/init.mp4"),
                    k => format!("track{track}/init-{k}.mp4"),
                };
                *epoch += 1;
                staged.write(Path::new(&name), std::slice::from_ref(&data))?;
            }
            fmp4::Fmp4Part::Segment { track, chunks, .. } => {
                let number = numbers.entry(track).or_insert(0);
                *number += 1;
                staged.write(Path::new(&format!("track{track}/{number}.m4s")), &chunks)?;
            }
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shorthand_reads_nested_structures() {
        let value = shorthand(
            "FragmentSelectorType=SERVER_TIMESTAMP,TimestampRange={StartTimestamp=2024-05-01T10:00:00Z,EndTimestamp=1714557900.5}",
        )
        .unwrap();
        assert_eq!(
            value,
            json!({"FragmentSelectorType": "SERVER_TIMESTAMP", "TimestampRange": {
                "StartTimestamp": "2024-05-01T10:00:00Z", "EndTimestamp": "1714557900.5"}})
        );
        for bad in ["", "A", "A=1,", "A={B=1", "A=1}", "=1", "A={B=1}x"] {
            assert!(shorthand(bad).is_err(), "{bad:?}");
        }
    }
}
