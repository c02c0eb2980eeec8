//! A bounded load test of `kvs-remux serve` on loopback: 200 concurrent players, each with its
//! own HLS session, fetch playlists, init and media segments of one archive for a fixed time.
//! Every request must succeed, and the server's memory must not grow with the number of requests
//! (resident set after the warm-up vs at the end). Prints requests, p50/p99 latency and RSS.

use crate::support::{self, server};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use server::{Server, archive_root, playlist_uris};

/// Concurrent players.
const PLAYERS: usize = 200;
/// Warm-up, then the measured run.
const WARM_UP: Duration = Duration::from_secs(3);
const RUN: Duration = Duration::from_secs(9);

/// A player's requests: (latency, error) per request.
type Log = Vec<(Duration, Option<String>)>;

/// `VmRSS` and `VmHWM` of process `pid`, in KiB.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// GETs `url`, logging its latency and any failure; the body when it succeeded.
async fn fetch(client: &reqwest::Client, url: &str, log: &mut Log) -> Option<String> {
    let start = Instant::now();
    let result = async {
        let response = client.get(url).send().await.map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status != 200 {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        Ok(body)
    }
    .await;
    log.push((start.elapsed(), result.as_ref().err().cloned()));
    let body = result.ok()?;
    Some(String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]).into_owned())
}

/// One player: a session of its own, then the master playlist, both media playlists, their init
/// and media segments, over and over until `stop`.
async fn player(client: reqwest::Client, server_url: String, stop: Arc<AtomicBool>) -> Log {
    let mut log = Log::new();
    let request = json!({
        "StreamName": "cam",
        "PlaybackMode": "ON_DEMAND",
        "HLSFragmentSelector": {
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 1_699_999_000, "EndTimestamp": 1_700_001_000},
        },
    });
    let start = Instant::now();
    let session = client
        .post(format!("{server_url}/getHLSStreamingSessionURL"))
        .body(request.to_string())
        .send()
        .await;
    let master_url = match session {
        Ok(response) if response.status() == 200 => {
            let body: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
            body["HLSStreamingSessionURL"].as_str().unwrap().to_owned()
        }
        other => {
            log.push((start.elapsed(), Some(format!("session: {other:?}"))));
            return log;
        }
    };
    log.push((start.elapsed(), None));
    while !stop.load(Ordering::Relaxed) {
        let Some(master) = fetch(&client, &master_url, &mut log).await else {
            continue;
        };
        for media_url in playlist_uris(&master, &master_url) {
            let Some(media) = fetch(&client, &media_url, &mut log).await else {
                continue;
            };
            for uri in playlist_uris(&media, &media_url) {
                fetch(&client, &uri, &mut log).await;
                if stop.load(Ordering::Relaxed) {
                    return log;
                }
            }
        }
    }
    log
}

#[test]
fn two_hundred_players_get_every_answer_and_memory_stays_flat() {
    let root = archive_root(support::fixture("h264-high-aac"));
    let server = Server::start(root.path(), &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(PLAYERS)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let players: Vec<_> = (0..PLAYERS)
        .map(|_| {
            runtime.spawn(player(
                client.clone(),
                server.url.clone(),
                Arc::clone(&stop),
            ))
        })
        .collect();
    std::thread::sleep(WARM_UP);
    let (warm_rss, _) = memory_kib(server.pid());
    std::thread::sleep(RUN);
    let (end_rss, peak_rss) = memory_kib(server.pid());
    stop.store(true, Ordering::Relaxed);
    let logs: Vec<Log> = players
        .into_iter()
        .map(|p| runtime.block_on(p).unwrap())
        .collect();
    let mut latencies: Vec<Duration> = logs.iter().flatten().map(|(t, _)| *t).collect();
    let errors: Vec<&String> = logs
        .iter()
        .flatten()
        .filter_map(|(_, e)| e.as_ref())
        .collect();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q) as usize];
    let seconds = (WARM_UP + RUN).as_secs_f64();
    eprintln!(
        "{PLAYERS} players, {:.0} s: {} requests ({:.0}/s), {} errors, latency p50 {:.1} ms, \
         p99 {:.1} ms, max {:.1} ms; server RSS {} MiB after warm-up, {} MiB at the end, peak {} MiB",
        seconds,
        latencies.len(),
        latencies.len() as f64 / seconds,
        errors.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
        warm_rss / 1024,
        end_rss / 1024,
        peak_rss / 1024,
    );
    assert!(
        errors.is_empty(),
        "{} errors, e.g. {:?}",
        errors.len(),
        &errors[..errors.len().min(5)]
    );
    assert!(
        latencies.len() > 10 * PLAYERS,
        "only {} requests",
        latencies.len()
    );
    // Three times the requests after the warm-up: the resident set stays where it was (allowing
    // 16 MiB of allocator slack).
    assert!(
        end_rss <= warm_rss + 16 * 1024,
        "RSS grew from {warm_rss} KiB to {end_rss} KiB"
    );
}
