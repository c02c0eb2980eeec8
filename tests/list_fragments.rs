//! ListFragments (spec §1.2) as a library user calls it: against a brute-force filter over random
//! archives (proptest; duplicates, both selectors, every page size), against mkvinfo and a byte
//! scan on the real captures, and every validation rule of the request.

use crate::support::{self, mkv_build};

use std::collections::BTreeMap;

use bytes::Bytes;
use kvs_remux::Archive;
use kvs_remux::UnixMillis;
use kvs_remux::api::list_fragments::{
    Fragment, FragmentSelector, ListFragmentsInput, ListFragmentsOutput, list_fragments,
};
use kvs_remux::archive::TimestampKind;
use kvs_remux::shapes::TimestampRange;
use mkv_build::{
    KvsFragment, Track, cluster, element, fragment_number, h264_frame, id, simple_block,
};
use proptest::prelude::*;

/// One generated fragment: its number index, timestamps (ms) and frame times (ms in its Cluster).
#[derive(Debug, Clone)]
struct Spec {
    index: u64,
    producer: u64,
    server: u64,
    frames: Vec<i16>,
}

const BASE_MS: u64 = 1_700_000_000_000;

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u64..8,
        0u64..20,
        0u64..20,
        prop::collection::vec(1i16..900, 0..4),
    )
        .prop_map(|(index, producer, server, mut later)| {
            later.sort_unstable();
            let mut frames = vec![0];
            frames.extend(later);
            Spec {
                index,
                producer: BASE_MS + producer * 500,
                server: BASE_MS + server * 500,
                frames,
            }
        })
}

/// The archive of `specs` as one GetMedia-shaped file, and each fragment's bytes length.
fn archive_of(specs: &[Spec]) -> (Vec<u8>, Vec<u64>) {
    let mut data = Vec::new();
    let mut sizes = Vec::new();
    for spec in specs {
        let blocks: Vec<Vec<u8>> = spec
            .frames
            .iter()
            .enumerate()
            .map(|(i, &t)| simple_block(1, t, i == 0, &h264_frame(i == 0)))
            .collect();
        let mut fragment = KvsFragment::new(spec.index, spec.producer, vec![Track::h264(1)], &[]);
        fragment.server = Some(mkv_build::kvs_seconds(spec.server));
        fragment.clusters = vec![cluster(0, &blocks)];
        let bytes = fragment.to_bytes();
        sizes.push(bytes.len() as u64);
        data.extend(bytes);
    }
    (data, sizes)
}

/// What ListFragments must list, by brute force: each fragment number once (where it first
/// appears), its timestamp of `kind` inside [start, end], ordered by (timestamp, number).
fn brute_force(
    specs: &[Spec],
    sizes: &[u64],
    range: Option<(TimestampKind, u64, u64)>,
) -> Vec<Fragment> {
    let mut first: BTreeMap<u64, usize> = BTreeMap::new();
    for (i, spec) in specs.iter().enumerate() {
        first.entry(spec.index).or_insert(i);
    }
    let mut listed: Vec<(u64, String, Fragment)> = first
        .values()
        .map(|&i| {
            let spec = &specs[i];
            let fragment = Fragment {
                fragment_number: fragment_number(spec.index),
                fragment_size_in_bytes: sizes[i],
                producer_timestamp: Some(UnixMillis(spec.producer)),
                server_timestamp: Some(UnixMillis(spec.server)),
                fragment_length_in_milliseconds: (spec.frames.iter().max().unwrap()
                    - spec.frames.iter().min().unwrap())
                    as u64,
            };
            let time = match range {
                Some((TimestampKind::Producer, ..)) => spec.producer,
                Some((TimestampKind::Server, ..)) => spec.server,
                None => 0,
            };
            (time, fragment_number(spec.index), fragment)
        })
        .filter(|(time, ..)| range.is_none_or(|(_, start, end)| (start..=end).contains(time)))
        .collect();
    listed.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    listed.into_iter().map(|(.., f)| f).collect()
}

/// Every page of `input` at page size `max`, following NextToken; the pages' fragments.
fn all_pages(archive: &Archive, input: &ListFragmentsInput, max: i64) -> Vec<Fragment> {
    let mut request = ListFragmentsInput {
        max_results: Some(max),
        ..input.clone()
    };
    let mut listed = Vec::new();
    let mut pages = 0;
    loop {
        let page = list_fragments(archive, &request).expect("a valid request");
        assert!(
            page.fragments.len() as i64 <= max,
            "a page holds at most MaxResults"
        );
        pages += 1;
        assert!(pages <= 1000, "paging terminates");
        listed.extend(page.fragments.clone());
        match page.next_token {
            Some(token) => {
                assert_eq!(
                    page.fragments.len() as i64,
                    max,
                    "full pages while more remain"
                );
                // A paginator resends the selector with the token; the token alone also resumes.
                request.next_token = Some(token);
                if pages % 2 == 0 {
                    request.fragment_selector = None;
                } else {
                    request.fragment_selector = input.fragment_selector;
                }
            }
            None => break,
        }
    }
    listed
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every page size from 1 to past the end, both selectors and none, inclusive ends hit exactly.
    #[test]
    fn pages_list_exactly_the_brute_force_selection(
        specs in prop::collection::vec(spec(), 1..10),
        producer in any::<bool>(),
        ends in (0u64..22, 0u64..22),
        exact_ends in any::<bool>(),
    ) {
        let (data, sizes) = archive_of(&specs);
        let archive = Archive::from_bytes(Bytes::from(data)).unwrap();
        let kind = if producer { TimestampKind::Producer } else { TimestampKind::Server };
        let (mut start, mut end) = (BASE_MS + ends.0.min(ends.1) * 500, BASE_MS + ends.0.max(ends.1) * 500);
        if exact_ends {
            // Ends on fragment times, to hit the inclusive rule.
            let times: Vec<u64> = specs.iter().map(|s| if producer { s.producer } else { s.server }).collect();
            start = *times.iter().min().unwrap();
            end = *times.iter().max().unwrap();
        }
        let selector = FragmentSelector {
            fragment_selector_type: kind,
            timestamp_range: TimestampRange {
                start_timestamp: UnixMillis(start),
                end_timestamp: UnixMillis(end),
            },
        };
        for (selector, range) in [(Some(selector), Some((kind, start, end))), (None, None)] {
            let want = brute_force(&specs, &sizes, range);
            let input = ListFragmentsInput { fragment_selector: selector, ..Default::default() };
            let whole = list_fragments(&archive, &input).unwrap();
            prop_assert_eq!(&whole.fragments, &want);
            prop_assert!(whole.next_token.is_none());
            for max in 1..=(want.len() as i64 + 1) {
                prop_assert_eq!(&all_pages(&archive, &input, max), &want, "MaxResults {}", max);
            }
        }
    }
}

proptest! {
    /// Timestamps survive the JSON round trip to the millisecond, up to the year 9999, and are
    /// written as numbers of seconds.
    #[test]
    fn timestamps_round_trip_as_epoch_seconds(ms in 0u64..253_402_300_800_000, length in any::<u64>()) {
        let fragment = Fragment {
            fragment_number: "1".into(),
            fragment_size_in_bytes: 1,
            producer_timestamp: Some(UnixMillis(ms)),
            server_timestamp: None,
            fragment_length_in_milliseconds: length,
        };
        let json = serde_json::to_value(&fragment).unwrap();
        prop_assert!(json["ProducerTimestamp"].is_number());
        prop_assert!(json.get("ServerTimestamp").is_none());
        let seconds: f64 = json["ProducerTimestamp"].as_f64().unwrap();
        prop_assert_eq!((seconds * 1000.0).round() as u64, ms);
        prop_assert_eq!(serde_json::from_value::<Fragment>(json).unwrap(), fragment);
    }
}

fn range(kind: TimestampKind, start: u64, end: u64) -> Option<FragmentSelector> {
    Some(FragmentSelector {
        fragment_selector_type: kind,
        timestamp_range: TimestampRange {
            start_timestamp: UnixMillis(start),
            end_timestamp: UnixMillis(end),
        },
    })
}

/// The spec's example (§1.2): fragments at 0, 2, 4, 6 s and the range 1–4 s give those at 2 and 4.
#[test]
fn the_spec_example() {
    let specs: Vec<Spec> = (0..4)
        .map(|i| Spec {
            index: i,
            producer: BASE_MS + i * 2000,
            server: BASE_MS + i * 2000,
            frames: vec![0],
        })
        .collect();
    let (data, _) = archive_of(&specs);
    let archive = Archive::from_bytes(Bytes::from(data)).unwrap();
    let input = ListFragmentsInput {
        fragment_selector: range(TimestampKind::Server, BASE_MS + 1000, BASE_MS + 4000),
        ..Default::default()
    };
    let listed = list_fragments(&archive, &input).unwrap();
    let numbers: Vec<&str> = listed
        .fragments
        .iter()
        .map(|f| f.fragment_number.as_str())
        .collect();
    assert_eq!(numbers, [fragment_number(1), fragment_number(2)]);
}

/// A fragment whose blocks cannot be read (a block whose track number is not a vint) is still
/// listed, with length 0; the fragments around it keep their lengths. `inspect` names the error.
#[test]
fn a_damaged_fragment_is_listed_with_length_0() {
    let mut data = Vec::new();
    for (index, damaged) in [(0u64, false), (1, true), (2, false)] {
        let mut second = simple_block(1, 500, false, &h264_frame(false));
        if damaged {
            // The track number vint's first byte: 0x00 starts no vint.
            second = element(id::SIMPLE_BLOCK, &[&[0x00][..], &second[3..]].concat());
        }
        let blocks = vec![simple_block(1, 0, true, &h264_frame(true)), second];
        let mut fragment =
            KvsFragment::new(index, BASE_MS + index * 1000, vec![Track::h264(1)], &[]);
        fragment.clusters = vec![cluster(0, &blocks)];
        data.extend(fragment.to_bytes());
    }
    let archive = Archive::from_bytes(Bytes::from(data)).unwrap();
    let listed = list_fragments(&archive, &ListFragmentsInput::default()).unwrap();
    let lengths: Vec<(&str, u64)> = listed
        .fragments
        .iter()
        .map(|f| {
            (
                f.fragment_number.as_str(),
                f.fragment_length_in_milliseconds,
            )
        })
        .collect();
    assert_eq!(
        lengths,
        [
            (fragment_number(0).as_str(), 500),
            (fragment_number(1).as_str(), 0),
            (fragment_number(2).as_str(), 500),
        ]
    );
}

/// Each request constraint of spec §1.2 and §4.1 gives InvalidArgumentException.
#[test]
fn invalid_requests_are_invalid_argument() {
    let archive = Archive::open(&support::sample()).unwrap();
    let token = list_fragments(
        &archive,
        &ListFragmentsInput {
            max_results: Some(1),
            ..Default::default()
        },
    )
    .unwrap()
    .next_token
    .expect("the sample has more than one fragment");
    let cases: Vec<(&str, ListFragmentsInput, &str)> = vec![
        (
            "MaxResults 0",
            ListFragmentsInput {
                max_results: Some(0),
                ..Default::default()
            },
            "Value '0' at 'maxResults' failed to satisfy constraint: Member must have value greater than or equal to 1",
        ),
        (
            "MaxResults 1001",
            ListFragmentsInput {
                max_results: Some(1001),
                ..Default::default()
            },
            "Member must have value less than or equal to 1000",
        ),
        (
            "MaxResults -5",
            ListFragmentsInput {
                max_results: Some(-5),
                ..Default::default()
            },
            "Value '-5' at 'maxResults'",
        ),
        (
            "empty NextToken",
            ListFragmentsInput {
                next_token: Some(String::new()),
                ..Default::default()
            },
            "at 'nextToken' failed to satisfy constraint: Member must have length between 1 and 4096",
        ),
        (
            "NextToken outside the pattern",
            ListFragmentsInput {
                next_token: Some("a-b".into()),
                ..Default::default()
            },
            "Member must satisfy regular expression pattern: [a-zA-Z0-9+/]+={0,2}",
        ),
        (
            "NextToken too long",
            ListFragmentsInput {
                next_token: Some("A".repeat(4097)),
                ..Default::default()
            },
            "Member must have length between 1 and 4096",
        ),
        (
            "NextToken not ours",
            ListFragmentsInput {
                next_token: Some("QUJDRA==".into()),
                ..Default::default()
            },
            "The NextToken QUJDRA== is not valid.",
        ),
        (
            "End before Start",
            ListFragmentsInput {
                fragment_selector: range(TimestampKind::Producer, 10, 9),
                ..Default::default()
            },
            "EndTimestamp must be later than or equal to StartTimestamp.",
        ),
        (
            "NextToken for another selector",
            ListFragmentsInput {
                next_token: Some(token),
                fragment_selector: range(TimestampKind::Server, 0, 1),
                ..Default::default()
            },
            "The NextToken was made for another FragmentSelector.",
        ),
    ];
    for (what, input, message) in cases {
        let error = list_fragments(&archive, &input).unwrap_err();
        assert_eq!(error.code(), "InvalidArgumentException", "{what}");
        assert_eq!(error.http_status(), 400, "{what}");
        assert!(
            error.message().contains(message),
            "{what}: {}",
            error.message()
        );
    }
    // Two violations are reported together, as the service does.
    let both = list_fragments(
        &archive,
        &ListFragmentsInput {
            max_results: Some(0),
            next_token: Some("!".into()),
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(
        both.message().starts_with("2 validation errors detected: "),
        "{}",
        both.message()
    );
}

/// Request JSON is the service's: field names, enums case-sensitive, unknown fields refused,
/// timestamps as epoch seconds (the form SDKs send) or strings (the AWS CLI's input).
#[test]
fn requests_read_the_service_json() {
    let json = r#"{"StreamName":"cam","MaxResults":5,"NextToken":"QUJD",
        "FragmentSelector":{"FragmentSelectorType":"PRODUCER_TIMESTAMP",
        "TimestampRange":{"StartTimestamp":1519423067.997,"EndTimestamp":"2018-02-23T21:58:00Z"}}}"#;
    let input: ListFragmentsInput = serde_json::from_str(json).unwrap();
    assert_eq!(input.stream_name.as_deref(), Some("cam"));
    assert_eq!(input.max_results, Some(5));
    assert_eq!(
        input.fragment_selector,
        range(
            TimestampKind::Producer,
            1_519_423_067_997,
            1_519_423_080_000
        )
    );
    for bad in [
        r#"{"FragmentSelector":{"FragmentSelectorType":"producer_timestamp","TimestampRange":{"StartTimestamp":1,"EndTimestamp":2}}}"#,
        r#"{"fragmentSelector":{}}"#,
        r#"{"FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":1}}}"#,
        r#"{"FragmentSelector":{"FragmentSelectorType":"SERVER_TIMESTAMP","TimestampRange":{"StartTimestamp":-1,"EndTimestamp":2}}}"#,
    ] {
        assert!(
            serde_json::from_str::<ListFragmentsInput>(bad).is_err(),
            "{bad}"
        );
    }
}

/// On every real KVS capture: numbers, timestamps and FragmentLengthInMilliseconds as mkvinfo reads
/// each chunk, FragmentSizeInBytes as a byte scan cuts the chunks, and the response JSON spelled as
/// the service spells it.
#[test]
fn real_captures_list_what_mkvinfo_reads() {
    let mut checked = 0;
    for (path, data) in support::whole_kvs_captures() {
        let chunks = support::ebml_documents(&data);
        let Some(infos) = chunks
            .iter()
            .map(|c| support::mkvinfo_chunk(c))
            .collect::<Option<Vec<_>>>()
        else {
            return; // mkvinfo missing outside CI
        };
        let archive = Archive::from_bytes(Bytes::from(data.clone())).unwrap();
        let listed = list_fragments(&archive, &ListFragmentsInput::default()).unwrap();
        let media: Vec<usize> = (0..chunks.len())
            .filter(|&i| infos[i].frames.values().sum::<usize>() > 0)
            .collect();
        assert_eq!(listed.fragments.len(), media.len(), "{}", path.display());
        if media.is_empty() {
            continue;
        }
        // Without a selector the order is by fragment number, as the captures are.
        for (fragment, &i) in listed.fragments.iter().zip(&media) {
            let info = &infos[i];
            let ms = |name: &str| {
                let (s, f) = info.tag(name).unwrap().split_once('.').unwrap();
                UnixMillis(s.parse::<u64>().unwrap() * 1000 + f.parse::<u64>().unwrap())
            };
            let what = format!("{} chunk {i}", path.display());
            assert_eq!(
                Some(fragment.fragment_number.as_str()),
                info.tag("AWS_KINESISVIDEO_FRAGMENT_NUMBER"),
                "{what}"
            );
            assert_eq!(
                fragment.fragment_size_in_bytes,
                chunks[i].len() as u64,
                "{what}"
            );
            assert_eq!(
                fragment.producer_timestamp,
                Some(ms("AWS_KINESISVIDEO_PRODUCER_TIMESTAMP")),
                "{what}"
            );
            assert_eq!(
                fragment.server_timestamp,
                Some(ms("AWS_KINESISVIDEO_SERVER_TIMESTAMP")),
                "{what}"
            );
            let times = info.block_ns.as_slice();
            let span = times.iter().max().unwrap() - times.iter().min().unwrap();
            assert_eq!(
                fragment.fragment_length_in_milliseconds,
                (span / 1_000_000) as u64,
                "{what}"
            );
        }
        // The JSON, field by field as spec §1.2 names them.
        let json: serde_json::Value = serde_json::to_value(&listed).unwrap();
        let first = &json["Fragments"][0];
        let keys: Vec<&str> = first
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "FragmentNumber",
                "FragmentSizeInBytes",
                "ProducerTimestamp",
                "ServerTimestamp",
                "FragmentLengthInMilliseconds"
            ]
        );
        let producer = listed.fragments[0].producer_timestamp.unwrap().0;
        assert_eq!(
            first["ProducerTimestamp"].as_f64().unwrap(),
            producer as f64 / 1000.0
        );
        assert!(
            json.get("NextToken").is_none(),
            "no NextToken on the last page"
        );
        let back: ListFragmentsOutput = serde_json::from_value(json).unwrap();
        assert_eq!(back, listed);
        checked += 1;
    }
    eprintln!("{checked} captures checked");
    assert!(
        checked >= 5 || !support::under_ci(),
        "{checked} captures checked"
    );
}
