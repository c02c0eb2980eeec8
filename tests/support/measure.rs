//! Runs `kvs-remux` as a contained child for hostile-input tests: peak RSS from GNU time
//! (`/usr/bin/time -f %M`), caps on output file size and address space (so a runaway run fails the
//! test instead of filling the disk or the machine's memory), a wall-clock timeout, and the tool's
//! own stderr separated from GNU time's lines.
//!
//! GNU time missing: the run fails under `CI=true` and the RSS part is skipped (loudly) elsewhere.
//! Include it with `#[path = "support/measure.rs"] mod measure;` beside `mod support;`.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// GNU time, which reports the peak RSS of the command it runs.
const GNU_TIME: &str = "/usr/bin/time";

/// What GNU time prints last, with `-f`: our marker, then peak RSS in KiB, user and system CPU seconds.
const TIME_MARKER: &str = "KVS_TIME_RSS_USER_SYS=";

/// Caps for one run.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest file the child may write (RLIMIT_FSIZE; writing past it raises SIGXFSZ).
    pub file_bytes: u64,
    /// Largest address space of the child in KiB (RLIMIT_AS; an allocation past it fails).
    pub address_space_kib: u64,
    /// Wall-clock time after which the child's whole process group is killed.
    pub timeout: Duration,
}

impl Limits {
    /// Caps for a run on a small input: 16 MiB per file, 1 GiB address space, 120 s.
    pub fn small() -> Limits {
        Limits {
            file_bytes: 16 << 20,
            address_space_kib: 1 << 20,
            timeout: Duration::from_secs(120),
        }
    }
}

/// How one run ended.
#[derive(Debug)]
pub struct Outcome {
    /// The arguments given to `kvs-remux`.
    pub args: Vec<OsString>,
    /// Exit code, when the child exited.
    pub code: Option<i32>,
    /// The signal that killed the child, if one did.
    pub signal: Option<i32>,
    /// Whether the timeout killed it.
    pub timed_out: bool,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// The tool's stderr, without GNU time's lines.
    pub stderr: String,
    /// Peak RSS in KiB; `None` when GNU time is not installed.
    pub max_rss_kib: Option<u64>,
    /// User + system CPU time; `None` when GNU time is not installed.
    pub cpu: Option<Duration>,
    /// Wall time of the run.
    pub elapsed: Duration,
}

/// Whether GNU time is there; fails under CI when it is not, prints SKIP once otherwise.
pub fn gnu_time_available() -> bool {
    static CHECKED: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *CHECKED.get_or_init(|| {
        let found = Path::new(GNU_TIME).exists();
        if !found {
            assert!(
                !crate::support::under_ci(),
                "CI=true but {GNU_TIME} is missing (apt-get install time)"
            );
            eprintln!("SKIP: {GNU_TIME} is missing, peak RSS is not measured");
        }
        found
    })
}

fn signal_name(signal: i32) -> &'static str {
    match signal {
        6 => "SIGABRT (an abort: failed allocation or panic=abort)",
        7 => "SIGBUS (a mapped file changed under the reader?)",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        25 => "SIGXFSZ (an output file passed the test's file-size cap)",
        _ => "a signal",
    }
}

impl Outcome {
    /// A one-paragraph account of the run for assertion messages.
    pub fn describe(&self) -> String {
        let args: Vec<String> = self
            .args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let how = match (self.timed_out, self.signal, self.code) {
            (true, _, _) => "killed by the test's timeout".to_owned(),
            (false, Some(signal), _) => {
                format!("killed by signal {signal}: {}", signal_name(signal))
            }
            (false, None, Some(code)) => format!("exit {code}"),
            (false, None, None) => "no exit status".to_owned(),
        };
        let rss = self
            .max_rss_kib
            .map_or_else(|| "not measured".to_owned(), |k| format!("{k} KiB"));
        let cpu = self
            .cpu
            .map_or_else(|| "not measured".to_owned(), |c| format!("{c:.2?}"));
        format!(
            "`kvs-remux {}`: {how}, peak RSS {rss}, wall {:.2?}, CPU {cpu}, stderr:\n{}",
            args.join(" "),
            self.elapsed,
            self.stderr.trim_end()
        )
    }

    /// Contract item 1, as a list of what is wrong: exit 0 or 1 (never 101, never a signal, never the
    /// timeout), no panic message, every `(offset N)` given once per line and not also as "at byte N".
    pub fn contract_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.timed_out || self.signal.is_some() || !matches!(self.code, Some(0 | 1)) {
            problems.push(format!("exit code must be 0 or 1: {}", self.describe()));
        }
        if self.stderr.contains("panicked") {
            problems.push(format!("panic: {}", self.describe()));
        }
        problems.extend(offset_problems(&self.stderr));
        problems
    }

    /// Panics with every contract problem of the run (see `contract_problems`).
    pub fn assert_exit_0_or_1(&self) {
        let problems = self.contract_problems();
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    /// Exit exactly `code` (checked first), plus everything `assert_exit_0_or_1` checks.
    pub fn assert_code(&self, code: i32) {
        assert!(
            !self.timed_out && self.signal.is_none() && self.code == Some(code),
            "expected exit {code}: {}",
            self.describe()
        );
        self.assert_exit_0_or_1();
    }

    /// The problem, if the peak RSS passed `kib` (nothing to check when GNU time is missing outside CI).
    pub fn rss_problem(&self, kib: u64) -> Option<String> {
        let rss = self.max_rss_kib?;
        (rss > kib).then(|| format!("peak RSS {rss} KiB > {kib} KiB: {}", self.describe()))
    }

    /// Panics if the peak RSS passed `kib`.
    pub fn assert_rss_at_most(&self, kib: u64) {
        if let Some(problem) = self.rss_problem(kib) {
            panic!("{problem}");
        }
    }
}

/// Contract item 1: a line's offset appears once, as `(offset N)`; the message does not also say
/// "at byte N" (nor give a second `(offset`).
pub fn offset_problems(stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for line in stderr.lines() {
        let count = line.matches("(offset ").count();
        if count > 1 {
            problems.push(format!("offset given {count} times: {line}"));
        }
        if count == 1 && line.contains("at byte ") {
            problems.push(format!(
                "offset given twice (\"at byte N\" and \"(offset N)\"): {line}"
            ));
        }
    }
    problems
}

/// Runs `kvs-remux ARGS` under `limits`, feeding `stdin` (closed at once when `None`), measuring peak RSS.
pub fn run<I, S>(args: I, stdin: Option<Vec<u8>>, limits: Limits) -> Outcome
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    let timed = gnu_time_available();
    // dash and bash both count `ulimit -f` in 512-byte blocks and `ulimit -v` in KiB.
    let script = format!(
        "ulimit -f {} 2>/dev/null; ulimit -v {} 2>/dev/null; exec \"$@\"",
        limits.file_bytes / 512,
        limits.address_space_kib
    );
    let mut command = Command::new("sh");
    command.arg("-c").arg(script).arg("sh");
    if timed {
        command
            .arg(GNU_TIME)
            .arg("-f")
            .arg(format!("{TIME_MARKER}%M %U %S"));
    }
    command.arg(env!("CARGO_BIN_EXE_kvs-remux")).args(&args);
    command
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, so the timeout can kill GNU time and kvs-remux together.
        .process_group(0);
    let start = Instant::now();
    let mut child = command.spawn().expect("spawn sh");
    let pid = child.id();
    let feeder = stdin.map(|bytes| {
        let mut pipe = child.stdin.take().expect("piped stdin");
        // A child that stops reading early closes the pipe: the write error is its business, not ours.
        std::thread::spawn(move || pipe.write_all(&bytes).is_ok())
    });
    let mut out_pipe = child.stdout.take().expect("piped stdout");
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let out_reader = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        out_pipe.read_to_end(&mut buffer).expect("read stdout");
        buffer
    });
    let err_reader = std::thread::spawn(move || {
        let mut buffer = Vec::new();
        err_pipe.read_to_end(&mut buffer).expect("read stderr");
        buffer
    });
    let (done, finished) = mpsc::channel::<()>();
    let timeout = limits.timeout;
    let watchdog = std::thread::spawn(move || {
        if finished.recv_timeout(timeout).is_err() {
            // Kill the process group the child leads (sh exec'd GNU time, which runs kvs-remux).
            // The kill's own status does not matter: the wait below sees how the child ended.
            let _killed = Command::new("kill")
                .args(["-KILL", "--", &format!("-{pid}")])
                .status();
            return true;
        }
        false
    });
    let status = child.wait().expect("wait for the child");
    let elapsed = start.elapsed();
    // The watchdog may already have given up waiting; then it has reported the timeout.
    let _ = done.send(());
    let timed_out = watchdog.join().expect("watchdog");
    if let Some(feeder) = feeder {
        let _delivered = feeder.join().expect("stdin feeder");
    }
    let stdout = out_reader.join().expect("stdout reader");
    let raw_stderr =
        String::from_utf8_lossy(&err_reader.join().expect("stderr reader")).into_owned();
    let (mut code, mut signal) = (status.code(), status.signal());
    let mut max_rss_kib = None;
    let mut cpu = None;
    let mut stderr = raw_stderr.clone();
    if timed && let Some(at) = raw_stderr.rfind(TIME_MARKER) {
        let fields: Vec<&str> = raw_stderr[at + TIME_MARKER.len()..]
            .split_whitespace()
            .collect();
        if let [rss, user, sys] = fields[..] {
            max_rss_kib = rss.parse().ok();
            cpu = user
                .parse::<f64>()
                .ok()
                .zip(sys.parse::<f64>().ok())
                .map(|(u, s)| Duration::from_secs_f64(u + s));
        }
        // A tool line without its newline would run into the marker; what came before it is kept.
        let mut kept = String::new();
        for line in raw_stderr[..at].lines() {
            if let Some(n) = line.strip_prefix("Command terminated by signal ") {
                signal = n.trim().parse().ok();
                code = None;
            } else if !line.starts_with("Command exited with non-zero status ") {
                kept.push_str(line);
                kept.push('\n');
            }
        }
        stderr = kept;
    }
    Outcome {
        args,
        code,
        signal,
        timed_out,
        stdout,
        stderr,
        max_rss_kib,
        cpu,
        elapsed,
    }
}
