//! `kvs-remux` on hostile and real-world-broken input, as a user runs it: exit 0 or 1 and never a
//! panic or a signal; one warning when damaged input still has complete fragments (`--strict` makes it
//! an error and writes nothing); atomic outputs; no media or not Matroska is an error that says so;
//! the output never overwrites the input; symlinks, `/dev/stdin`, FIFOs and stdin read like files;
//! extreme timestamps, durations and gaps stay within bounded output and memory; memory and time
//! grow linearly with the number of fragments; a live stream is reported fragment by fragment.

use crate::support::{self, measure, mkv_build};

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use measure::{Limits, Outcome};
use mkv_build::{
    KvsFragment, Track, block_group, cluster, element, h264_frame, kvs_seconds, plain_mkv,
    simple_block,
};
use serde_json::Value;

/// 64 MiB in KiB: the peak RSS every hostile run must stay under.
const RSS_CAP_KIB: u64 = 64 << 10;

/// The most a hostile run of a few hundred bytes may write (contract item 10).
const WRITE_CAP: u64 = 1_000_000;

/// 2018-02-23T21:57:47.997Z, the sample's first producer timestamp, in ms.
const T0_MS: u64 = 1_519_423_067_997;

/// One frame of AAC-LC raw data (a silent-looking access unit; only its framing matters here).
const AAC_FRAME: [u8; 6] = [0x21, 0x10, 0x04, 0x60, 0x8C, 0x1C];

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "kvs-hostile-{}-{unique}-{name}",
            std::process::id()
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a directory a failed test could not remove is only litter in the temp dir.
        let _removed = std::fs::remove_dir_all(&self.0);
    }
}

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/sample/kinesis_video_renderer_example_output.mkv")
}

fn sample_bytes() -> Vec<u8> {
    std::fs::read(sample_path()).unwrap()
}

/// The sample's fragments (GetMedia output: each fragment is its own EBML document).
fn sample_fragments(bytes: &[u8]) -> Vec<&[u8]> {
    let fragments = support::ebml_documents(bytes);
    assert_eq!(fragments.len(), 8, "testdata/sample/README.md: 8 fragments");
    fragments
}

/// The 47-digit AWS_KINESISVIDEO_FRAGMENT_NUMBER of one sample fragment (the first digit run after the tag name).
fn fragment_number_of(fragment: &[u8]) -> String {
    let name = b"AWS_KINESISVIDEO_FRAGMENT_NUMBER";
    let at = fragment
        .windows(name.len())
        .position(|w| w == name)
        .expect("fragment number tag");
    let rest = &fragment[at + name.len()..];
    let digits_at = rest
        .windows(47)
        .position(|w| w.iter().all(u8::is_ascii_digit))
        .expect("47 digits after the tag name");
    String::from_utf8(rest[digits_at..digits_at + 47].to_vec()).unwrap()
}

/// Writes the sample's fragments as `000.mkv`, `001.mkv`, ... into `dir`.
fn write_sample_fragment_files(dir: &Path) -> Vec<PathBuf> {
    let bytes = sample_bytes();
    sample_fragments(&bytes)
        .iter()
        .enumerate()
        .map(|(i, fragment)| {
            let path = dir.join(format!("{i:03}.mkv"));
            std::fs::write(&path, fragment).unwrap();
            path
        })
        .collect()
}

/// Everything under `dir`, by relative path: a file's MD5, `dir`, or `symlink -> target`.
fn listing(dir: &Path) -> BTreeMap<String, String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&path).unwrap();
                out.insert(name, format!("symlink -> {}", target.display()));
            } else if meta.is_dir() {
                out.insert(name, "dir".into());
                walk(root, &path, out);
            } else {
                out.insert(name, support::md5_hex(&std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out
}

/// Total bytes of the regular files under `path` (a file or a directory; symlinks not followed).
fn tree_bytes(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if meta.is_dir() {
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| tree_bytes(&e.unwrap().path()))
            .sum()
    } else if meta.is_file() {
        meta.len()
    } else {
        0
    }
}

fn os(args: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    args.iter().map(|a| a.as_ref().to_owned()).collect()
}

fn run(args: Vec<OsString>) -> Outcome {
    measure::run(args, None, Limits::small())
}

fn run_stdin(args: Vec<OsString>, stdin: Vec<u8>) -> Outcome {
    measure::run(args, Some(stdin), Limits::small())
}

fn json_of(outcome: &Outcome) -> Value {
    serde_json::from_slice(&outcome.stdout)
        .unwrap_or_else(|e| panic!("inspect --json prints JSON ({e}): {}", outcome.describe()))
}

/// The lines of stderr that start with `warning: `.
fn warnings(outcome: &Outcome) -> Vec<&str> {
    outcome
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect()
}

/// Whether a line reads `SomeException: message`.
fn is_exception_line(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(name, _)| {
        name.ends_with("Exception") && name.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// Exit 1 with a `SomeException: message` line on stderr.
fn assert_exception_exit(outcome: &Outcome) {
    outcome.assert_code(1);
    assert!(
        outcome.stderr.lines().any(is_exception_line),
        "no `ExceptionName: message` line: {}",
        outcome.describe()
    );
}

/// Panics with every problem found, one per line, or returns when there is none.
fn assert_no_problems(what: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n---\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Contract items 2 and 3: damaged input, --strict, atomic outputs
// ---------------------------------------------------------------------------------------------

/// The cut used throughout: inside the sample's third fragment, after two complete ones.
const CUT: usize = 400_000;

/// The three writing commands, each with its output path under `dir`.
fn writing_commands(input: &Path, dir: &Path) -> Vec<(&'static str, PathBuf, Vec<OsString>)> {
    let clip = dir.join("clip.mp4");
    let fmp4 = dir.join("fmp4");
    let ts = dir.join("ts");
    vec![
        (
            "get-clip",
            clip.clone(),
            os(&[&"get-clip", &input, &clip, &"--no-limits"]),
        ),
        ("fragment", fmp4.clone(), os(&[&"fragment", &input, &fmp4])),
        ("ts", ts.clone(), os(&[&"ts", &input, &ts])),
    ]
}

/// Defect: a truncated archive made get-clip/fragment/ts exit 1 although they wrote the complete
/// fragments; the contract is one `warning: ` line naming the exception, the offset and the complete
/// fragments, and exit 0.
#[test]
fn truncated_input_warns_once_and_keeps_the_complete_fragments() {
    let bytes = sample_bytes();
    let numbers: Vec<String> = sample_fragments(&bytes)
        .iter()
        .map(|f| fragment_number_of(f))
        .collect();
    let dir = TempDir::new("truncated");
    let input = dir.join("cut.mkv");
    std::fs::write(&input, &bytes[..CUT]).unwrap();
    for (name, output, args) in writing_commands(&input, dir.path()) {
        let outcome = run(args);
        outcome.assert_code(0);
        let warnings = warnings(&outcome);
        assert_eq!(warnings.len(), 1, "{name}: {}", outcome.describe());
        let warning = warnings[0];
        for needle in [
            "InvalidArgumentException",
            &format!("(offset {CUT})"),
            "complete fragment",
        ] {
            assert!(
                warning.contains(needle),
                "{name}: warning lacks {needle:?}: {warning}"
            );
        }
        assert!(
            !outcome.stderr.lines().any(is_exception_line),
            "{name}: an error line besides the warning: {}",
            outcome.describe()
        );
        match name {
            "fragment" => {
                let mut expected: Vec<String> =
                    numbers[..2].iter().map(|n| format!("{n}.m4s")).collect();
                expected.push("init.mp4".into());
                expected.sort();
                let found: Vec<String> = listing(&output.join("track1")).into_keys().collect();
                assert_eq!(found, expected, "fragment: the two complete fragments");
            }
            "ts" => {
                let expected: Vec<String> =
                    numbers[..2].iter().map(|n| format!("{n}.ts")).collect();
                let found: Vec<String> = listing(&output).into_keys().collect();
                assert_eq!(found, expected, "ts: the two complete fragments");
            }
            _ => {
                assert!(tree_bytes(&output) > 0, "get-clip wrote no clip");
                if let Some(mut ffprobe) = support::tool("ffprobe") {
                    ffprobe
                        .args(["-v", "error", "-count_packets", "-show_entries"])
                        .args(["stream=nb_read_packets", "-of", "csv=p=0"])
                        .arg(&output);
                    let packets = support::run(ffprobe);
                    assert_eq!(packets.trim(), "118", "59 + 59 frames of two fragments");
                }
            }
        }
    }
    let top: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(
        top,
        ["clip.mp4", "cut.mkv", "fmp4", "ts"],
        "no temporary files beside the outputs"
    );
}

/// Defect: there was no `--strict`, and a failed run left partial output behind; with `--strict` a
/// truncated archive is an error (exit 1, the error line with its offset) and nothing is written:
/// no OUTFILE/OUTDIR, a pre-existing one unchanged, no temporary files left in the directory.
#[test]
fn strict_makes_truncation_an_error_and_writes_nothing() {
    let bytes = sample_bytes();
    for preexisting in [false, true] {
        let dir = TempDir::new("strict");
        let input = dir.join("cut.mkv");
        std::fs::write(&input, &bytes[..CUT]).unwrap();
        for (name, output, mut args) in writing_commands(&input, dir.path()) {
            args.push("--strict".into());
            if preexisting {
                if name == "get-clip" {
                    std::fs::write(&output, b"an earlier clip").unwrap();
                } else {
                    std::fs::create_dir_all(output.join("track1")).unwrap();
                    std::fs::write(output.join("keep.txt"), b"mine").unwrap();
                    std::fs::write(output.join("track1/init.mp4"), b"older init").unwrap();
                }
            }
            let before = listing(dir.path());
            let outcome = run(args);
            outcome.assert_code(1);
            let line = outcome
                .stderr
                .lines()
                .find(|l| l.starts_with("InvalidArgumentException: "))
                .unwrap_or_else(|| panic!("{name}: no error line: {}", outcome.describe()));
            assert!(line.contains(&format!("(offset {CUT})")), "{name}: {line}");
            assert_eq!(
                listing(dir.path()),
                before,
                "{name} --strict (output existed before: {preexisting}) changed the directory"
            );
            assert_eq!(output.exists(), preexisting, "{name}: {}", output.display());
        }
    }
}

/// Defect: outputs were written in place; the contract is atomic outputs with no temporary files
/// left beside them after a successful run.
#[test]
fn successful_runs_leave_exactly_their_outputs() {
    let bytes = sample_bytes();
    let numbers: Vec<String> = sample_fragments(&bytes)
        .iter()
        .map(|f| fragment_number_of(f))
        .collect();
    for (index, command) in ["get-clip", "fragment", "ts"].into_iter().enumerate() {
        let dir = TempDir::new("atomic-ok");
        let input = dir.join("sample.mkv");
        std::fs::write(&input, &bytes).unwrap();
        let (_, _, args) = writing_commands(&input, dir.path()).swap_remove(index);
        let outcome = run(args);
        outcome.assert_code(0);
        let found: Vec<String> = listing(dir.path()).into_keys().collect();
        let mut expected: Vec<String> = match command {
            "get-clip" => vec!["clip.mp4".into()],
            "fragment" => {
                let mut names = vec!["fmp4".to_owned(), "fmp4/track1".into()];
                names.push("fmp4/track1/init.mp4".into());
                names.extend(numbers.iter().map(|n| format!("fmp4/track1/{n}.m4s")));
                names
            }
            _ => {
                let mut names = vec!["ts".to_owned()];
                names.extend(numbers.iter().map(|n| format!("ts/{n}.ts")));
                names
            }
        };
        expected.push("sample.mkv".into());
        expected.sort();
        assert_eq!(found, expected, "{command}: {}", outcome.describe());
    }
}

/// Defect: a failed output write was dressed as a service exception, then named the temporary it
/// could not create; the contract is `error: cannot write PATH: reason`, exit 1, and nothing else
/// changed in the directory.
#[test]
fn failed_output_write_is_a_local_error() {
    let dir = TempDir::new("write-fails");
    let input = dir.join("sample.mkv");
    std::fs::write(&input, sample_bytes()).unwrap();
    // A regular file where a directory is needed: ENOTDIR even for root.
    std::fs::write(dir.join("blocker"), b"not a directory").unwrap();
    let blocked = dir.join("blocker");
    for (name, output, args) in writing_commands(&input, &blocked) {
        let before = listing(dir.path());
        let outcome = run(args);
        outcome.assert_code(1);
        let prefix = format!("error: cannot write {}", output.display());
        assert!(
            outcome.stderr.lines().any(|l| l.starts_with(&prefix)),
            "{name}: no line starting {prefix:?}: {}",
            outcome.describe()
        );
        assert!(
            !outcome.stderr.contains("Exception"),
            "{name}: a local write failure is not a service exception: {}",
            outcome.describe()
        );
        assert!(
            !outcome.stderr.contains(".kvs-remux-"),
            "{name}: the message names a temporary that never came to be: {}",
            outcome.describe()
        );
        assert_eq!(listing(dir.path()), before, "{name} changed the directory");
    }
}

/// Defect: an output path that exists as the wrong kind of thing (a directory where `get-clip` writes
/// its file, a file where the exports and `get-images --output-dir` write a directory) failed only
/// at the final rename, after the whole remux or decode. The contract: `error: cannot write PATH: it
/// is a directory` (or `it exists and is not a directory`), exit 1, nothing changed, and before the
/// work: a `get-clip` whose range selects nothing reports the output, not ResourceNotFound.
#[test]
fn output_of_the_wrong_kind_is_refused_before_the_work() {
    let dir = TempDir::new("wrong-kind");
    let input = dir.join("sample.mkv");
    std::fs::write(&input, sample_bytes()).unwrap();
    let a_dir = dir.join("a-dir");
    std::fs::create_dir(&a_dir).unwrap();
    std::fs::write(a_dir.join("kept"), b"kept").unwrap();
    let a_file = dir.join("a-file");
    std::fs::write(&a_file, b"not a directory").unwrap();
    let images = |extra: &[&str]| {
        let mut args = os(&[
            &"get-images",
            &input,
            &"--image-selector-type",
            &"PRODUCER_TIMESTAMP",
            &"--start-timestamp",
            &"2018-02-23T21:57:48Z",
            &"--end-timestamp",
            &"2018-02-23T21:57:50Z",
            &"--format",
            &"JPEG",
            &"--output-dir",
            &a_file,
        ]);
        args.extend(extra.iter().map(OsString::from));
        args
    };
    let is_dir = "it is a directory";
    let not_dir = "it exists and is not a directory";
    let cases = [
        (
            "get-clip",
            &a_dir,
            is_dir,
            os(&[&"get-clip", &input, &a_dir]),
        ),
        (
            "get-clip, empty range",
            &a_dir,
            is_dir,
            os(&[
                &"get-clip",
                &input,
                &a_dir,
                &"--fragment-selector-type",
                &"PRODUCER_TIMESTAMP",
                &"--start-timestamp",
                &"2030-01-01T00:00:00Z",
                &"--end-timestamp",
                &"2030-01-01T00:01:00Z",
            ]),
        ),
        (
            "get-clip --split-on-cpd-change",
            &a_dir,
            is_dir,
            os(&[&"get-clip", &input, &a_dir, &"--split-on-cpd-change"]),
        ),
        (
            "fragment",
            &a_file,
            not_dir,
            os(&[&"fragment", &input, &a_file]),
        ),
        ("ts", &a_file, not_dir, os(&[&"ts", &input, &a_file])),
        (
            "export-hls",
            &a_file,
            not_dir,
            os(&[&"export-hls", &input, &a_file]),
        ),
        (
            "export-dash",
            &a_file,
            not_dir,
            os(&[&"export-dash", &input, &a_file]),
        ),
        ("get-images", &a_file, not_dir, images(&[])),
        (
            "get-images, one page",
            &a_file,
            not_dir,
            images(&["--max-results", "1"]),
        ),
    ];
    let mut problems = Vec::new();
    for (name, output, reason, args) in cases {
        let before = listing(dir.path());
        let outcome = run(args);
        let line = format!("error: cannot write {}: {reason}", output.display());
        if outcome.code != Some(1) || !outcome.stderr.lines().any(|l| l == line) {
            problems.push(format!(
                "{name}: want exit 1 and {line:?}: {}",
                outcome.describe()
            ));
        }
        if listing(dir.path()) != before {
            problems.push(format!("{name} changed the directory"));
        }
    }
    assert_no_problems("outputs of the wrong kind", &problems);
}

// ---------------------------------------------------------------------------------------------
// Contract items 4 to 6: no media, not Matroska, a garbage file in a directory
// ---------------------------------------------------------------------------------------------

/// Defect: input without any Cluster (or an empty file) gave a silent empty OUTDIR and exit 0 (`ts`),
/// and `inspect` printed an empty table for an empty file; the contract is an error and no output.
#[test]
fn input_without_media_is_an_error() {
    let header_only = plain_mkv(1_000_000, &[Track::h264(1), Track::aac(2)], &[]);
    for (case, bytes) in [("header-only", header_only), ("empty", Vec::new())] {
        let dir = TempDir::new(case);
        let input = dir.join("input.mkv");
        std::fs::write(&input, &bytes).unwrap();
        for (name, output, args) in writing_commands(&input, dir.path()) {
            let outcome = run(args);
            assert_exception_exit(&outcome);
            assert!(
                !output.exists(),
                "{case}: {name} created {}",
                output.display()
            );
        }
        assert_eq!(
            listing(dir.path()).len(),
            1,
            "{case}: only the input remains"
        );
    }
    let dir = TempDir::new("empty-inspect");
    let input = dir.join("empty.mkv");
    std::fs::write(&input, b"").unwrap();
    for json in [false, true] {
        let mut args = os(&[&"inspect", &input]);
        if json {
            args.push("--json".into());
        }
        assert_exception_exit(&run(args));
    }
}

/// A PNG: its 8-byte signature, then ~2.6 KB of arbitrary bytes.
fn png_bytes() -> Vec<u8> {
    let mut bytes = vec![0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    let mut state: u32 = 0x1234_5678;
    for _ in 0..2600 {
        state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        bytes.push((state >> 24) as u8);
    }
    bytes
}

/// Defect: a PNG or text file was reported as "input ends at byte N, M more bytes were needed" (and
/// get-clip said "No fragments found"); the contract names it: InvalidArgumentException, not
/// EBML/Matroska, with its first bytes in hex.
#[test]
fn not_matroska_input_is_named_as_such() {
    let text = "This is not a video.\nJust some text a user passed by mistake.\n".repeat(20);
    for (case, bytes, hex) in [
        ("png", png_bytes(), "89 50 4e 47"),
        ("text", text.into_bytes(), "54 68 69 73"),
    ] {
        let dir = TempDir::new(case);
        let input = dir.join(&format!("input.{case}"));
        std::fs::write(&input, &bytes).unwrap();
        let mut runs = vec![
            ("inspect", None, os(&[&"inspect", &input])),
            ("inspect --json", None, os(&[&"inspect", &input, &"--json"])),
        ];
        for (name, output, args) in writing_commands(&input, dir.path()) {
            runs.push((name, Some(output), args));
        }
        for (name, output, args) in runs {
            let outcome = run(args);
            let line = outcome
                .stderr
                .lines()
                .find(|l| l.contains("InvalidArgumentException"))
                .unwrap_or_else(|| {
                    panic!(
                        "{case}: {name}: no InvalidArgumentException: {}",
                        outcome.describe()
                    )
                });
            assert!(
                !outcome.stderr.contains("more bytes were needed"),
                "{case}: {name}: not Matroska, yet read as truncated Matroska: {}",
                outcome.describe()
            );
            assert!(
                !outcome.stderr.contains("No fragments found"),
                "{case}: {name}: the parse error must be shown: {}",
                outcome.describe()
            );
            assert!(line.contains("EBML"), "{case}: {name}: {line}");
            assert!(line.contains(hex), "{case}: {name}: no {hex:?} in {line}");
            outcome.assert_code(1);
            if let Some(output) = output {
                assert!(
                    !output.exists(),
                    "{case}: {name} created {}",
                    output.display()
                );
            }
        }
    }
}

/// Defect: with a directory input, the error for a garbage file gave only an offset; the contract
/// names the file.
#[test]
fn garbage_file_in_a_directory_is_named() {
    let dir = TempDir::new("dir-garbage");
    let input = dir.join("fragments");
    std::fs::create_dir(&input).unwrap();
    let bytes = sample_bytes();
    let fragments = sample_fragments(&bytes);
    std::fs::write(input.join("000.mkv"), fragments[0]).unwrap();
    std::fs::write(input.join("001.mkv"), fragments[1]).unwrap();
    std::fs::write(input.join("002-garbage.mkv"), png_bytes()).unwrap();
    std::fs::write(input.join("003.mkv"), fragments[2]).unwrap();
    let mut runs = vec![("inspect", os(&[&"inspect", &input, &"--json"]))];
    for (name, _, args) in writing_commands(&input, dir.path()) {
        runs.push((name, args));
    }
    for (name, args) in runs {
        let outcome = run(args);
        assert!(
            outcome
                .stderr
                .lines()
                .any(|l| l.contains("Exception") && l.contains("002-garbage.mkv")),
            "{name}: no error/warning line names 002-garbage.mkv: {}",
            outcome.describe()
        );
        outcome.assert_exit_0_or_1();
    }
}

// ---------------------------------------------------------------------------------------------
// Contract items 7 to 9: stdin, the output is never the input, symlinks, /dev/stdin, FIFOs
// ---------------------------------------------------------------------------------------------

/// Defect: `get-clip -` looked for a file named `-`; the contract reads the archive from stdin and
/// writes the same MP4 as from the file.
#[test]
fn get_clip_reads_stdin() {
    let dir = TempDir::new("clip-stdin");
    let from_file = dir.join("file.mp4");
    let from_stdin = dir.join("stdin.mp4");
    run(os(&[&"get-clip", &sample_path(), &from_file])).assert_code(0);
    run_stdin(os(&[&"get-clip", &"-", &from_stdin]), sample_bytes()).assert_code(0);
    let (a, b) = (
        std::fs::read(&from_file).unwrap(),
        std::fs::read(&from_stdin).unwrap(),
    );
    assert!(!a.is_empty());
    assert_eq!(support::md5_hex(&b), support::md5_hex(&a));
}

/// Defect: `get-clip a.mkv a.mkv` truncated the input it was reading (through its memory map); the
/// contract refuses any OUTFILE that is the input, also through a hard link, a symlink or another
/// spelling of the path, and leaves the input byte-identical.
#[test]
fn output_is_never_the_input() {
    let dir = TempDir::new("self-overwrite");
    let input = dir.join("a.mkv");
    std::fs::copy(sample_path(), &input).unwrap();
    let hash = support::md5_hex(&std::fs::read(&input).unwrap());
    std::fs::hard_link(&input, dir.join("hard.mp4")).unwrap();
    std::os::unix::fs::symlink(&input, dir.join("soft.mp4")).unwrap();
    let respelled = dir.path().join(".").join("a.mkv");
    for (case, output) in [
        ("same path", input.clone()),
        ("hard link", dir.join("hard.mp4")),
        ("symlink", dir.join("soft.mp4")),
        ("same file, other spelling", respelled),
    ] {
        let before = listing(dir.path());
        let outcome = run(os(&[&"get-clip", &input, &output]));
        assert_eq!(
            support::md5_hex(&std::fs::read(&input).unwrap()),
            hash,
            "{case}: the input changed: {}",
            outcome.describe()
        );
        outcome.assert_code(1);
        assert_eq!(listing(dir.path()), before, "{case}: the directory changed");
    }
}

/// Defect: a directory of symlinks to fragment files read as empty (only regular files were taken);
/// the contract reads symlinked files like the files they point to.
#[test]
fn symlinked_fragment_files_are_read() {
    let dir = TempDir::new("symlinks");
    let real = dir.join("real");
    let links = dir.join("links");
    std::fs::create_dir(&real).unwrap();
    std::fs::create_dir(&links).unwrap();
    for file in write_sample_fragment_files(&real) {
        std::os::unix::fs::symlink(&file, links.join(file.file_name().unwrap())).unwrap();
    }
    let from_real = run(os(&[&"inspect", &real, &"--json"]));
    from_real.assert_code(0);
    let from_links = run(os(&[&"inspect", &links, &"--json"]));
    from_links.assert_code(0);
    let (real, links) = (json_of(&from_real), json_of(&from_links));
    assert_eq!(real["Fragments"].as_array().unwrap().len(), 8);
    assert_eq!(
        links["Fragments"], real["Fragments"],
        "a directory of symlinks reads differently from the files"
    );
    assert_eq!(links["Tracks"], real["Tracks"]);
}

/// Defect: `/dev/stdin` as PATH was memory-mapped and a pipe maps as empty; the contract reads the
/// piped bytes, giving the same report as the file.
#[test]
fn dev_stdin_path_reads_the_pipe() {
    let from_file = run(os(&[&"inspect", &sample_path(), &"--json"]));
    from_file.assert_code(0);
    let from_pipe = run_stdin(os(&[&"inspect", &"/dev/stdin", &"--json"]), sample_bytes());
    from_pipe.assert_code(0);
    assert_eq!(
        json_of(&from_pipe),
        json_of(&from_file),
        "inspect --json /dev/stdin differs from the file's report"
    );
}

/// Defect: a FIFO given as PATH was memory-mapped (size 0, so empty); the contract reads what is
/// written into it.
#[test]
fn fifo_path_reads_what_is_written() {
    let dir = TempDir::new("fifo");
    let fifo = dir.join("pipe.mkv");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            // Opening blocks until kvs-remux opens the FIFO for reading.
            let mut pipe = std::fs::OpenOptions::new().write(true).open(&fifo)?;
            pipe.write_all(&sample_bytes())
        })
    };
    let from_fifo = run(os(&[&"inspect", &fifo, &"--json"]));
    if !writer.is_finished() {
        // kvs-remux never opened the FIFO (or stopped reading): free the writer by reading ourselves.
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            if let Ok(mut pipe) = std::fs::File::open(&fifo) {
                let mut sink = Vec::new();
                // Draining only frees the writer; what it holds is of no interest.
                let _drained = pipe.read_to_end(&mut sink);
            }
        });
    }
    let written = writer.join().expect("FIFO writer");
    from_fifo.assert_code(0);
    let from_file = run(os(&[&"inspect", &sample_path(), &"--json"]));
    assert_eq!(
        json_of(&from_fifo),
        json_of(&from_file),
        "inspect --json FIFO differs from the file's report"
    );
    assert!(
        written.is_ok(),
        "kvs-remux stopped reading the FIFO early: {written:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Contract item 10: hostile timing and size values
// ---------------------------------------------------------------------------------------------

/// Runs inspect --json (and the table when `table`), get-clip --no-limits, fragment and ts on `input`,
/// each in a fresh directory; returns every contract problem (exit code, panic, offsets, bytes
/// written > 1 MB, peak RSS > 64 MiB) and the outcomes by command.
fn run_all_commands(case: &str, input: &[u8], table: bool) -> (Vec<String>, Vec<Outcome>) {
    let mut commands: Vec<(&str, Vec<&str>)> = vec![
        ("inspect --json", vec!["inspect", "IN", "--json"]),
        (
            "get-clip",
            vec!["get-clip", "IN", "OUT/clip.mp4", "--no-limits"],
        ),
        ("fragment", vec!["fragment", "IN", "OUT/fmp4"]),
        ("ts", vec!["ts", "IN", "OUT/ts"]),
    ];
    if table {
        commands.push(("inspect", vec!["inspect", "IN"]));
    }
    let mut problems = Vec::new();
    let mut outcomes = Vec::new();
    for (name, template) in commands {
        let dir = TempDir::new(&format!("{case}-{}", name.replace([' ', '-'], "")));
        let input_path = dir.join("input.mkv");
        std::fs::write(&input_path, input).unwrap();
        let args: Vec<OsString> = template
            .iter()
            .map(|a| match *a {
                "IN" => input_path.clone().into_os_string(),
                other => match other.strip_prefix("OUT/") {
                    Some(rest) => dir.join(rest).into_os_string(),
                    None => other.into(),
                },
            })
            .collect();
        let outcome = run(args);
        let written =
            tree_bytes(dir.path()).saturating_sub(input.len() as u64) + outcome.stdout.len() as u64;
        let context = |p: String| format!("[{case}] {name}: {p}");
        problems.extend(outcome.contract_problems().into_iter().map(context));
        if written > WRITE_CAP {
            problems.push(context(format!(
                "wrote {written} bytes (> {WRITE_CAP}): {}",
                outcome.describe()
            )));
        }
        problems.extend(outcome.rss_problem(RSS_CAP_KIB).map(context));
        outcomes.push(outcome);
    }
    (problems, outcomes)
}

/// Runs every case through `run_all_commands`: all problems of all cases, and the outcomes by case.
fn hostile_problems(
    cases: Vec<(String, Vec<u8>)>,
    table: bool,
) -> (Vec<String>, Vec<(String, Vec<Outcome>)>) {
    let mut problems = Vec::new();
    let mut all = Vec::new();
    for (case, bytes) in cases {
        assert!(bytes.len() < 4096, "{case}: {} bytes", bytes.len());
        let (found, outcomes) = run_all_commands(&case, &bytes, table);
        problems.extend(found);
        all.push((case, outcomes));
    }
    (problems, all)
}

/// Runs every case through `run_all_commands` and fails with all problems of all cases at once.
fn check_cases(cases: Vec<(String, Vec<u8>)>, table: bool) {
    let (problems, _) = hostile_problems(cases, table);
    assert_no_problems("hostile cases", &problems);
}

/// A KVS fragment (its own EBML document) with the given scale and clusters.
fn kvs(index: u64, millis: u64, scale: u64, tracks: Vec<Track>, clusters: Vec<Vec<u8>>) -> Vec<u8> {
    KvsFragment {
        timestamp_scale: scale,
        clusters,
        ..KvsFragment::new(index, millis, tracks, &[])
    }
    .to_bytes()
}

/// The same clusters as a plain Matroska file and as one KVS fragment.
fn plain_and_kvs(
    name: &str,
    scale: u64,
    tracks: &[Track],
    clusters: &[Vec<u8>],
) -> Vec<(String, Vec<u8>)> {
    vec![
        (format!("{name}-plain"), plain_mkv(scale, tracks, clusters)),
        (
            format!("{name}-kvs"),
            kvs(0, T0_MS, scale, tracks.to_vec(), clusters.to_vec()),
        ),
    ]
}

fn key() -> Vec<u8> {
    h264_frame(true)
}

fn delta() -> Vec<u8> {
    h264_frame(false)
}

/// Defect (a): TimestampScale 2^48 with a block at relative time -32768 made a debug build panic on
/// overflow (-32768 × 2^48 ns is exactly i64::MIN).
#[test]
fn hostile_a_min_block_time_at_scale_2_pow_48() {
    let clusters = [cluster(0, &[simple_block(1, -32768, true, &key())])];
    check_cases(
        plain_and_kvs("a", 1 << 48, &[Track::h264(1)], &clusters),
        false,
    );
}

/// Defect (b): TimestampScale 2^48 with blocks at +32767 and -32768 (584 years apart) made `ts`
/// write 1.3 GB.
#[test]
fn hostile_b_blocks_584_years_apart_in_one_cluster() {
    let clusters = [cluster(
        0,
        &[
            simple_block(1, 32767, true, &key()),
            simple_block(1, -32768, false, &delta()),
        ],
    )];
    check_cases(
        plain_and_kvs("b", 1 << 48, &[Track::h264(1)], &clusters),
        false,
    );
}

/// Defect (c): extreme Cluster times: TimestampScale u64::MAX, Cluster Timestamp u64::MAX, Cluster
/// Timestamp i64::MAX plus a block at +32767 (TimestampScale 1), and TimestampScale 10^12 with two
/// frames in two clusters one year apart (made `ts` abort on allocation).
#[test]
fn hostile_c_extreme_cluster_times() {
    let video = [Track::h264(1)];
    let av = [Track::h264(1), Track::aac(2)];
    let two_frames = [
        simple_block(1, 0, true, &key()),
        simple_block(1, 1, false, &delta()),
    ];
    let mut cases = plain_and_kvs("c-scale-max", u64::MAX, &video, &[cluster(0, &two_frames)]);
    cases.extend(plain_and_kvs(
        "c-cluster-max",
        1_000_000,
        &video,
        &[cluster(u64::MAX, &two_frames)],
    ));
    cases.extend(plain_and_kvs(
        "c-cluster-i64-max",
        1,
        &video,
        &[cluster(
            i64::MAX as u64,
            &[
                simple_block(1, 0, true, &key()),
                simple_block(1, 32767, false, &delta()),
            ],
        )],
    ));
    // 10^12 ns per tick: one year is 31 536 ticks.
    let year_ticks = 365 * 86_400 / 1000;
    let year_apart = |t: u64| {
        cluster(
            t,
            &[
                simple_block(1, 0, true, &key()),
                simple_block(2, 0, true, &AAC_FRAME),
            ],
        )
    };
    cases.push((
        "c-year-apart-plain".into(),
        plain_mkv(
            1_000_000_000_000,
            &av,
            &[year_apart(0), year_apart(year_ticks)],
        ),
    ));
    let year_ms = 365 * 86_400_000;
    let mut two_fragments = kvs(
        0,
        T0_MS,
        1_000_000_000_000,
        av.to_vec(),
        vec![year_apart(0)],
    );
    two_fragments.extend(kvs(
        1,
        T0_MS + year_ms,
        1_000_000_000_000,
        av.to_vec(),
        vec![year_apart(year_ticks)],
    ));
    cases.push(("c-year-apart-kvs".into(), two_fragments));
    check_cases(cases, false);
}

/// Defect (d): durations: DefaultDuration of one day on a one-frame H.264 track (made `ts` write
/// 406 MB), DefaultDuration u64::MAX, and a BlockGroup with BlockDuration u64::MAX.
#[test]
fn hostile_d_huge_durations() {
    let one_frame = [cluster(0, &[simple_block(1, 0, true, &key())])];
    let day = Track::h264(1).with_default_duration(86_400_000_000_000);
    let mut cases = plain_and_kvs("d-default-duration-day", 1_000_000, &[day], &one_frame);
    let max = Track::h264(1).with_default_duration(u64::MAX);
    cases.extend(plain_and_kvs(
        "d-default-duration-max",
        1_000_000,
        &[max],
        &one_frame,
    ));
    cases.extend(plain_and_kvs(
        "d-block-duration-max",
        1_000_000,
        &[Track::h264(1)],
        &[cluster(0, &[block_group(1, 0, &key(), Some(u64::MAX))])],
    ));
    check_cases(cases, false);
}

/// Defect (e): a PRODUCER_TIMESTAMP of `253402300800.000` (year 10000) made `inspect` panic; the
/// table form is run too.
#[test]
fn hostile_e_producer_timestamp_in_year_10000() {
    let fragment = KvsFragment {
        producer: Some("253402300800.000".into()),
        ..KvsFragment::new(
            0,
            T0_MS,
            vec![Track::h264(1)],
            &[
                simple_block(1, 0, true, &key()),
                simple_block(1, 33, false, &delta()),
            ],
        )
    };
    check_cases(vec![("e-year-10000".into(), fragment.to_bytes())], true);
}

/// Three frames of H.264 and AAC each, 33 ms apart (a fragment about 100 ms long).
fn short_av_blocks() -> Vec<Vec<u8>> {
    let mut blocks = Vec::new();
    for i in 0..3i16 {
        blocks.push(simple_block(1, i * 33, i == 0, &h264_frame(i == 0)));
        blocks.push(simple_block(2, i * 33, true, &AAC_FRAME));
    }
    blocks
}

/// KVS fragments of H.264 + AAC at the given producer (and server) times; `None` drops the producer tag.
fn kvs_archive(producer_ms: &[Option<u64>], server_ms: &[u64]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (producer, server)) in producer_ms.iter().zip(server_ms).enumerate() {
        let fragment = KvsFragment {
            producer: producer.map(kvs_seconds),
            server: Some(kvs_seconds(*server)),
            ..KvsFragment::new(
                i as u64,
                *server,
                vec![Track::h264(1), Track::aac(2)],
                &short_av_blocks(),
            )
        };
        out.extend(fragment.to_bytes());
    }
    out
}

/// Defect (f): three KVS fragments where the middle one lacks AWS_KINESISVIDEO_PRODUCER_TIMESTAMP: its
/// frames fell back to the file's own timeline and the last sample before it got ~53 years.
#[test]
fn hostile_f_middle_fragment_without_producer_timestamp() {
    let server = [T0_MS + 1000, T0_MS + 3000, T0_MS + 5000];
    let producer = [Some(T0_MS), None, Some(T0_MS + 4000)];
    check_cases(
        vec![("f-no-producer".into(), kvs_archive(&producer, &server))],
        false,
    );
}

/// Defect (g): a camera offline: fragments 1 s, then 20 hours, then 87 days apart made get-clip and
/// fragment fail with "does not fit in its box field" (a 32-bit sample duration); the contract is
/// exit 0 from all four commands with at most 1 MB written.
#[test]
fn hostile_g_camera_offline_gaps() {
    let gaps_ms = [0, 1000, 20 * 3_600_000, 87 * 86_400_000];
    let producer: Vec<u64> = gaps_ms
        .iter()
        .scan(T0_MS, |t, gap| {
            *t += gap;
            Some(*t)
        })
        .collect();
    let server: Vec<u64> = producer.iter().map(|t| t + 1500).collect();
    let archive = kvs_archive(
        &producer.iter().copied().map(Some).collect::<Vec<_>>(),
        &server,
    );
    let (mut problems, results) = hostile_problems(vec![("g-gaps".into(), archive)], false);
    for (case, outcomes) in &results {
        for outcome in outcomes {
            if outcome.code != Some(0) {
                problems.push(format!("[{case}] must exit 0: {}", outcome.describe()));
            }
            if outcome.stderr.contains("does not fit in its box field") {
                problems.push(format!(
                    "[{case}] box field overflow: {}",
                    outcome.describe()
                ));
            }
        }
    }
    assert_no_problems("camera offline", &problems);
}

/// Defect (fuzzing): one 7-byte laced SimpleBlock (fixed lacing, 256 frames of 0 bytes) became 256
/// AAC samples and 256 TS PES packets. An empty frame is no media of any codec the service packages:
/// every writing command refuses it as InvalidMediaFrameException naming its offset.
#[test]
fn hostile_h_laced_empty_frames_are_refused() {
    // Track 2, relative time 0, key frame + fixed-size lacing, 256 frames in 0 bytes.
    let laced = element(mkv_build::id::SIMPLE_BLOCK, &[0x82, 0x00, 0x00, 0x84, 0xFF]);
    let clusters = [cluster(
        0,
        &[
            simple_block(1, 0, true, &key()),
            simple_block(2, 0, true, &AAC_FRAME),
            laced,
        ],
    )];
    let tracks = [Track::h264(1), Track::aac(2)];
    let (mut problems, results) =
        hostile_problems(plain_and_kvs("h", 1_000_000, &tracks, &clusters), false);
    for (case, outcomes) in &results {
        for outcome in outcomes.iter().filter(|o| o.args[0] != "inspect") {
            if outcome.code != Some(1) || !outcome.stderr.contains("InvalidMediaFrameException") {
                problems.push(format!(
                    "[{case}] must refuse the empty frames: {}",
                    outcome.describe()
                ));
            }
            if !outcome.stderr.contains("offset") {
                problems.push(format!("[{case}] no offset: {}", outcome.describe()));
            }
        }
    }
    assert_no_problems("laced empty frames", &problems);
}

// ---------------------------------------------------------------------------------------------
// Contract item 11: one-byte corruptions of a real capture
// ---------------------------------------------------------------------------------------------

/// Defect: single-byte damage to a real capture could panic or blow up output/memory; the contract is
/// exit 0 or 1, output ≤ 2 × input + 1 MB and peak RSS ≤ 64 MiB + the input size, for `ts` and
/// `get-clip --no-limits`, at 40 deterministic positions spread over the file.
#[test]
fn one_byte_corruptions_of_the_sample() {
    let original = sample_bytes();
    // The sample has no CRC-32 elements (mkvinfo shows none), so a flipped byte is not caught by a checksum.
    let len = original.len();
    let output_cap = 2 * len as u64 + 1_000_000;
    let rss_cap = RSS_CAP_KIB + (len as u64).div_ceil(1024);
    let mut state: u64 = 0x2545_F491_4F6C_DD1D;
    let mut problems = Vec::new();
    for i in 0..40 {
        // Knuth's MMIX LCG; position i falls in the i-th fortieth of the file.
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let span = len / 40;
        let position = i * span + (state >> 33) as usize % span;
        let mask = 1 + ((state >> 17) % 255) as u8;
        let mut bytes = original.clone();
        bytes[position] ^= mask;
        let case = format!("flip {mask:#04x} at {position}");
        let dir = TempDir::new(&format!("flip-{i}"));
        let input = dir.join("input.mkv");
        std::fs::write(&input, &bytes).unwrap();
        for (name, output, args) in [
            ("ts", dir.join("ts"), os(&[&"ts", &input, &dir.join("ts")])),
            (
                "get-clip",
                dir.join("clip.mp4"),
                os(&[&"get-clip", &input, &dir.join("clip.mp4"), &"--no-limits"]),
            ),
        ] {
            let outcome = run(args);
            let context = |p: String| format!("[{case}] {name}: {p}");
            problems.extend(outcome.contract_problems().into_iter().map(context));
            let written = tree_bytes(&output);
            if written > output_cap {
                problems.push(context(format!("wrote {written} bytes > {output_cap}")));
            }
            problems.extend(outcome.rss_problem(rss_cap).map(context));
        }
    }
    assert_no_problems("one-byte corruptions", &problems);
}

// ---------------------------------------------------------------------------------------------
// Contract items 12 and 13: scale
// ---------------------------------------------------------------------------------------------

/// Limits for the scale runs: files up to 1 GiB, 4 GiB address space, 15 minutes.
fn scale_limits() -> Limits {
    Limits {
        file_bytes: 1 << 30,
        address_space_kib: 4 << 20,
        timeout: Duration::from_secs(900),
    }
}

/// Defect: memory grew far faster than the fragments (per-fragment state, the whole JSON report
/// built in memory); the contract: over 200 000 tiny Clusters, `inspect --json` and
/// `get-clip --no-limits` each peak below 64 MiB + 256 bytes per Cluster.
#[test]
fn memory_per_fragment_stays_small_over_200k_clusters() {
    const CLUSTERS: u64 = 200_000;
    let started = Instant::now();
    let dir = TempDir::new("200k-clusters");
    let input = dir.join("clusters.mkv");
    let file = BufWriter::new(std::fs::File::create(&input).unwrap());
    let mut mkv = mkv_build::StreamingMkv::new(file, 1_000_000, &[Track::aac(1)]).unwrap();
    for i in 0..CLUSTERS {
        // 21 ms per AAC frame at 48 kHz (1024 samples), rounded down: ascending Cluster times.
        mkv.cluster(i * 21, &[simple_block(1, 0, true, &[0x21])])
            .unwrap();
    }
    mkv.finish().unwrap();
    let cap = RSS_CAP_KIB + CLUSTERS * 256 / 1024;
    let inspect = measure::run(os(&[&"inspect", &input, &"--json"]), None, scale_limits());
    let clip = measure::run(
        os(&[&"get-clip", &input, &dir.join("clip.mp4"), &"--no-limits"]),
        None,
        scale_limits(),
    );
    println!(
        "200k clusters ({} bytes): inspect --json {:.2?} ({:?} KiB), get-clip {:.2?} ({:?} KiB); test {:.2?}",
        std::fs::metadata(&input).unwrap().len(),
        inspect.elapsed,
        inspect.max_rss_kib,
        clip.elapsed,
        clip.max_rss_kib,
        started.elapsed()
    );
    inspect.assert_code(0);
    let reported = inspect
        .stdout
        .windows(b"\"FragmentNumber\"".len())
        .filter(|w| *w == b"\"FragmentNumber\"")
        .count();
    assert_eq!(reported as u64, CLUSTERS, "one fragment per Cluster");
    // GetClip refuses AAC in track 1 (UnsupportedStreamMediaTypeException): exit 1 is allowed.
    clip.assert_exit_0_or_1();
    inspect.assert_rss_at_most(cap);
    clip.assert_rss_at_most(cap);
}

/// A KVS archive of `count` fragments, one H.264 frame each, 1 s apart, with an A_AAC track 2 that
/// is declared but has no frame at all. One Segment (Tracks once, then each fragment's KVS Tags and
/// Cluster), so that reading costs little per fragment and the time is that of the per-fragment work.
fn write_archive_with_empty_audio_track(path: &Path, count: u64) {
    let file = BufWriter::new(std::fs::File::create(path).unwrap());
    let tracks = [Track::h264(1), Track::aac(2)];
    let mut mkv = mkv_build::StreamingMkv::new(file, 1_000_000, &tracks).unwrap();
    let blocks = [simple_block(1, 0, true, &key())];
    for i in 0..count {
        mkv.kvs_fragment(i, T0_MS + i * 1000, &blocks).unwrap();
    }
    mkv.finish().unwrap();
}

/// The fastest of `repeats` runs (wall time, and CPU time when measured): the one least disturbed
/// by whatever else the machine is doing.
fn fastest_of(repeats: usize, args: &[OsString]) -> (Duration, Option<Duration>, Outcome) {
    let mut best: Option<(Duration, Option<Duration>, Outcome)> = None;
    for _ in 0..repeats {
        let outcome = measure::run(args.to_vec(), None, scale_limits());
        outcome.assert_exit_0_or_1();
        best = Some(match best {
            None => (outcome.elapsed, outcome.cpu, outcome),
            Some((wall, cpu, kept)) => {
                let cpu = match (cpu, outcome.cpu) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    _ => None,
                };
                (wall.min(outcome.elapsed), cpu, kept)
            }
        });
    }
    best.expect("at least one run")
}

/// Defect: with a declared track that has no frames, get-clip looked for the track's next frame in
/// every later fragment, for each fragment (quadratic: 5× the fragments took ~16-25× the time); the
/// contract: 100 000 fragments take less than 15× the time of 20 000 (wall time, and CPU time when
/// GNU time measures it; the fastest of a few runs each).
#[test]
fn clip_time_is_linear_with_an_empty_track() {
    let started = Instant::now();
    let dir = TempDir::new("linear");
    let mut measured = Vec::new();
    for (count, repeats) in [(20_000, 3), (100_000, 2)] {
        let input = dir.join(&format!("{count}.mkv"));
        write_archive_with_empty_audio_track(&input, count);
        let output = dir.join(&format!("{count}.mp4"));
        let args = os(&[&"get-clip", &input, &output, &"--no-limits"]);
        let (wall, cpu, outcome) = fastest_of(repeats, &args);
        println!(
            "{count} fragments ({} bytes): fastest wall {wall:.2?}, CPU {cpu:.2?}; {}",
            std::fs::metadata(&input).unwrap().len(),
            outcome.describe()
        );
        std::fs::remove_file(&input).unwrap();
        measured.push((wall, cpu));
    }
    let wall = measured[1].0.as_secs_f64() / measured[0].0.as_secs_f64().max(1e-3);
    // GNU time counts CPU in 10 ms steps: a ratio is only meaningful once the small run takes 200 ms.
    let cpu = match (measured[0].1, measured[1].1) {
        (Some(a), Some(b)) if a >= Duration::from_millis(200) => {
            Some(b.as_secs_f64() / a.as_secs_f64())
        }
        _ => None,
    };
    println!(
        "100k / 20k: wall {wall:.1}, CPU {cpu:.1?} (linear ≈ 5); test {:.2?}",
        started.elapsed()
    );
    assert!(
        wall < 15.0,
        "100k / 20k fragments took {wall:.1}× the wall time (want < 15)"
    );
    if let Some(cpu) = cpu {
        assert!(
            cpu < 15.0,
            "100k / 20k fragments took {cpu:.1}× the CPU time (want < 15)"
        );
    }
}

/// Defect: a directory input mapped every file before reading any, and failed past
/// vm.max_map_count (65 530 maps); the contract reads 70 000 one-fragment files.
#[test]
fn directory_of_70k_fragment_files() {
    const FILES: u64 = 70_000;
    let started = Instant::now();
    let dir = TempDir::new("70k-files");
    let input = dir.join("fragments");
    std::fs::create_dir(&input).unwrap();
    let blocks = [simple_block(1, 0, true, &key())];
    for i in 0..FILES {
        let fragment = KvsFragment::new(i, T0_MS + i * 1000, vec![Track::h264(1)], &blocks);
        std::fs::write(input.join(format!("{i:06}.mkv")), fragment.to_bytes()).unwrap();
    }
    let outcome = measure::run(os(&[&"inspect", &input, &"--json"]), None, scale_limits());
    println!(
        "70k files: inspect --json {:.2?}, peak RSS {:?} KiB; test {:.2?}",
        outcome.elapsed,
        outcome.max_rss_kib,
        started.elapsed()
    );
    outcome.assert_code(0);
    let report = json_of(&outcome);
    assert_eq!(
        report["Fragments"].as_array().unwrap().len() as u64,
        FILES,
        "one fragment per file"
    );
}

// ---------------------------------------------------------------------------------------------
// Live stream
// ---------------------------------------------------------------------------------------------

/// Checks that a sample fragment ends with a Tags element carrying AWS_KINESISVIDEO_CONTINUATION_TOKEN,
/// as GetMedia ends every fragment (so a reader can close the fragment there without waiting for more).
fn assert_ends_with_continuation_token(fragment: &[u8]) {
    let tags_id = [0x12, 0x54, 0xC3, 0x67];
    let at = fragment
        .windows(4)
        .rposition(|w| w == tags_id)
        .expect("a Tags element");
    let size_at = at + 4;
    let first = fragment[size_at];
    let width = first.leading_zeros() as usize + 1;
    let mut size = u64::from(first) & ((1u64 << (8 - width)) - 1);
    for &b in &fragment[size_at + 1..size_at + width] {
        size = size << 8 | u64::from(b);
    }
    let end = size_at + width + size as usize;
    assert_eq!(
        end,
        fragment.len(),
        "the last Tags element ends the fragment"
    );
    let tags = &fragment[at..];
    let token = b"AWS_KINESISVIDEO_CONTINUATION_TOKEN";
    assert!(tags.windows(token.len()).any(|w| w == token));
}

/// Kills and reaps `child`, then fails the test with `message`.
fn kill_and_fail(child: &mut std::process::Child, message: &str) -> ! {
    // The child may already have exited; either way it must not outlive the test.
    let _killed = child.kill();
    let _reaped = child.wait();
    panic!("{message}");
}

/// Defect: `inspect -` printed nothing until stdin closed (and could not close a fragment before the
/// next one began); the contract: with stdin kept open, each fragment's table row appears within
/// 5 s of the fragment being written, before the next one is written.
#[test]
fn live_stream_rows_appear_as_fragments_arrive() {
    const FRAGMENTS: usize = 3;
    let bytes = sample_bytes();
    let fragments: Vec<Vec<u8>> = sample_fragments(&bytes)
        .iter()
        .take(FRAGMENTS)
        .map(|f| f.to_vec())
        .collect();
    for fragment in &fragments {
        assert_ends_with_continuation_token(fragment);
    }
    let numbers: Vec<String> = fragments.iter().map(|f| fragment_number_of(f)).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvs-remux"))
        .args(["inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // stdin, stdout and stderr each have a thread, so no pipe can block the test itself.
    let mut stdin = child.stdin.take().unwrap();
    let (permit, permits) = mpsc::channel::<usize>();
    let (written, writes) = mpsc::channel::<std::io::Result<()>>();
    let writer = std::thread::spawn(move || {
        for i in permits {
            let result = stdin.write_all(&fragments[i]).and_then(|()| stdin.flush());
            if written.send(result).is_err() {
                break;
            }
        }
        // Dropping stdin here closes the child's input.
    });
    let mut stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let mut reader = BufReader::new(&mut stdout);
        while reader.read_line(&mut text).is_ok_and(|n| n > 0) {
            if lines.send(std::mem::take(&mut text)).is_err() {
                break;
            }
        }
    });
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        // Whatever arrives is shown on failure; a read error only shortens it.
        let _read = stderr_pipe.read_to_string(&mut text);
        text
    });
    let mut seen = String::new();
    for (i, number) in numbers.iter().enumerate() {
        permit.send(i).unwrap();
        match writes.recv_timeout(Duration::from_secs(30)) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => kill_and_fail(&mut child, &format!("writing fragment {i}: {e}")),
            Err(_) => kill_and_fail(
                &mut child,
                &format!("fragment {i}: kvs-remux did not take it from the pipe in 30 s"),
            ),
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while !seen.contains(number.as_str()) {
            let left = deadline.saturating_duration_since(Instant::now());
            match received.recv_timeout(left) {
                Ok(line) => seen.push_str(&line),
                Err(_) => kill_and_fail(
                    &mut child,
                    &format!(
                        "fragment {i} ({number}) written, stdin kept open: no table row within 5 s; \
                         stdout so far:\n{seen}"
                    ),
                ),
            }
        }
    }
    drop(permit);
    writer.join().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            kill_and_fail(&mut child, "no exit within 30 s of closing stdin");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    reader.join().unwrap();
    let stderr = stderr_reader.join().unwrap();
    assert!(status.success(), "{status:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

/// Issue 10 item 1: on the generated gap fixtures (a camera offline 1 h, 20 h, 30 days; a Cluster
/// timecode reset) every command succeeds, writes output sized by the media and not by the time
/// between fragments, and peaks within 64 MB (the fixtures are read into memory, 65 KB each).
#[test]
fn gap_fixtures_succeed_in_bounded_memory() {
    let mut problems = Vec::new();
    for name in ["gap-1h", "gap-20h", "gap-30d", "timecode-reset"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fixtures")
            .join(format!("{name}.mkv"));
        let input = std::fs::read(&path).unwrap();
        let (found, outcomes) = run_all_commands(name, &input, true);
        problems.extend(found);
        for outcome in &outcomes {
            if outcome.code != Some(0) {
                problems.push(format!("[{name}] must exit 0: {}", outcome.describe()));
            }
        }
    }
    assert_no_problems("gap fixtures", &problems);
}
