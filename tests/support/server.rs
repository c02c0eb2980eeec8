//! A `kvs-remux serve` process for a test: started on a free port, stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A running server.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Server {
    /// `kvs-remux serve --archive-root ROOT --listen 127.0.0.1:0 ARGS...`, once it printed its address.
    pub fn start(root: &Path, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_kvs-remux"))
            .args(["serve", "--listen", "127.0.0.1:0", "--archive-root"])
            .arg(root)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("kvs-remux serve starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the ready line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("serve printed {line:?}"))
            .to_owned();
        Server { child, url }
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().expect("wait works").is_none()
    }

    /// The process id (for reading its memory use).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Ending the test ends the server; a kill error means it had already exited.
        if self.child.kill().is_ok() {
            self.child.wait().expect("wait after kill");
        }
    }
}

/// A fresh archive root holding the fixture `fixture` (a path from `support::fixture`) as
/// stream `cam`; removed when dropped.
pub fn archive_root(fixture: PathBuf) -> tempfile::TempDir {
    let root = tempfile::Builder::new()
        .prefix("kvs-serve-")
        .tempdir()
        .unwrap();
    std::fs::copy(fixture, root.path().join("cam")).unwrap();
    root
}

/// The URIs of an HLS playlist (lines that are not tags, and `URI="..."` attributes), resolved
/// against the playlist's URL `base`.
pub fn playlist_uris(playlist: &str, base: &str) -> Vec<String> {
    let path = &base[..base.find('?').unwrap_or(base.len())];
    let dir = &path[..=path.rfind('/').unwrap()];
    let mut uris = Vec::new();
    for line in playlist.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(at) = line.find("URI=\"") {
            let rest = &line[at + 5..];
            uris.push(format!("{dir}{}", &rest[..rest.find('"').unwrap()]));
        } else if !line.starts_with('#') {
            uris.push(format!("{dir}{line}"));
        }
    }
    uris
}
