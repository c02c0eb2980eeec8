#!/usr/bin/env python3
"""End-to-end check of `kvs-remux serve` through boto3/botocore and plain HTTP (urllib).

Every SDK answer is compared with what the kvs-remux CLI prints or writes for the same request
(the request body botocore serializes is handed to the CLI as --cli-input-json). The session URLs
are followed as a player would: master playlist, media playlists, init and media segments, the
MPD and every URL its SegmentTemplates name. Bad requests must come back as the service's
modeled exceptions, and with --credentials unsigned or badly signed requests as the SigV4 errors.

Usage: serve_sdk.py --endpoint URL --archive-root DIR --stream NAME --kvs-remux BIN
                    [--credentials FILE]

Prints one `ok: ...` line per check, `FAIL: ...` with the reason for a failed one, and
`serve_sdk: N checks passed` at the end; exits 1 when any check failed.
"""

import argparse
import base64
import configparser
import datetime
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import boto3
import botocore
import botocore.config
import botocore.exceptions
import botocore.serialize

SERVICE = "kinesis-video-archived-media"
DUMMY_KEY = ("AKIDSERVESDKDUMMY000", "serve-sdk-dummy-secret")
MPD_NS = "{urn:mpeg:dash:schema:mpd:2011}"
JPEG_MAGIC = b"\xff\xd8\xff"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# --- helpers ------------------------------------------------------------------------------------


def epoch_ms(value):
    """Milliseconds since the epoch of a botocore datetime or a JSON number of seconds."""
    if isinstance(value, datetime.datetime):
        return round(value.timestamp() * 1000)
    return round(float(value) * 1000)


def utc(ms):
    """A timezone-aware datetime for epoch milliseconds (botocore serializes it exactly)."""
    return datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc) + datetime.timedelta(
        milliseconds=ms
    )


def md5(data):
    return hashlib.md5(data).hexdigest()


def error_code(header_value):
    """`NotAuthorizedException:http://...` → `NotAuthorizedException` (as botocore reads it)."""
    return (header_value or "").split(":", 1)[0]


def http_get(url, headers=None, method="GET"):
    """(status, headers, body) of a plain HTTP request; 4xx/5xx are returned, not raised."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def mp4_boxes(data, what):
    """Top-level box types of an MP4 byte string; asserts the boxes tile it exactly."""
    boxes = []
    at = 0
    while at < len(data):
        assert at + 8 <= len(data), f"{what}: truncated box header at {at}"
        size = int.from_bytes(data[at : at + 4], "big")
        kind = data[at + 4 : at + 8].decode("latin-1")
        header = 8
        if size == 1:
            size = int.from_bytes(data[at + 8 : at + 16], "big")
            header = 16
        elif size == 0:
            size = len(data) - at
        assert size >= header and at + size <= len(data), (
            f"{what}: box {kind!r} at {at} has size {size} (file {len(data)} bytes)"
        )
        boxes.append(kind)
        at += size
    return boxes


class Checks:
    """Runs checks one by one; a failing one is reported and the rest still run."""

    def __init__(self):
        self.passed = 0
        self.failed = []

    def run(self, name, function):
        try:
            detail = function()
        except Exception as error:  # noqa: BLE001 - every failure is reported the same way
            self.failed.append(name)
            kind = "" if isinstance(error, AssertionError) else f"{type(error).__name__}: "
            print(f"FAIL: {name}: {kind}{error}", flush=True)
            traceback.print_exc(file=sys.stderr)
            return
        self.passed += 1
        print(f"ok: {name}" + (f" ({detail})" if detail else ""), flush=True)


# --- the checks ---------------------------------------------------------------------------------


class ServeSdk:
    def __init__(self, args):
        self.args = args
        self.endpoint = args.endpoint.rstrip("/")
        self.stream = args.stream
        self.keys = read_credentials(args.credentials) if args.credentials else DUMMY_KEY
        self.client = self.make_client(*self.keys)
        # For requests botocore would refuse client-side (values below a model minimum).
        self.raw = self.make_client(*self.keys, parameter_validation=False)
        model = self.client.meta.service_model
        self.model = model
        self.serializer = botocore.serialize.create_serializer(model.metadata["protocol"])
        self.work = tempfile.mkdtemp(prefix="serve-sdk-")
        self.cli_fragments = None

    def make_client(self, key_id, secret, **config):
        return boto3.client(
            SERVICE,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
            config=botocore.config.Config(
                retries={"max_attempts": 1, "mode": "standard"},
                connect_timeout=30,
                read_timeout=120,
                **config,
            ),
        )

    # CLI side ----------------------------------------------------------------------------------

    def cli(self, command, *extra):
        out = subprocess.run(
            [
                self.args.kvs_remux,
                command,
                "--archive-root",
                self.args.archive_root,
                "--stream-name",
                self.stream,
                *extra,
            ],
            capture_output=True,
            timeout=300,
        )
        assert out.returncode == 0, (
            f"kvs-remux {command} {' '.join(extra)} exited {out.returncode}: "
            f"{out.stderr.decode(errors='replace')}"
        )
        return out.stdout

    def request_body(self, operation, params):
        """The JSON body botocore sends for `params` (the CLI takes it as --cli-input-json)."""
        request = self.serializer.serialize_to_request(
            params, self.model.operation_model(operation)
        )
        return request["body"].decode()

    def fragments(self):
        """`kvs-remux list-fragments` of the stream, sorted by fragment number."""
        if self.cli_fragments is None:
            listed = json.loads(self.cli("list-fragments"))["Fragments"]
            assert listed, "the CLI lists no fragment: the archive is empty"
            self.cli_fragments = sorted(listed, key=lambda f: int(f["FragmentNumber"]))
        return self.cli_fragments

    def producer_range(self):
        """(first, last) producer start of the archive, in epoch ms."""
        starts = sorted(epoch_ms(f["ProducerTimestamp"]) for f in self.fragments())
        return starts[0], starts[-1]

    # ListFragments ------------------------------------------------------------------------------

    @staticmethod
    def normalize(fragments):
        return sorted(
            (
                f["FragmentNumber"],
                f["FragmentSizeInBytes"],
                epoch_ms(f["ProducerTimestamp"]),
                epoch_ms(f["ServerTimestamp"]),
                f["FragmentLengthInMilliseconds"],
            )
            for f in fragments
        )

    def page_all(self, selector=None, page_size=1):
        listed, token, pages = [], None, 0
        while True:
            params = {"StreamName": self.stream, "MaxResults": page_size}
            if token:
                params["NextToken"] = token
            elif selector:
                params["FragmentSelector"] = selector
            response = self.client.list_fragments(**params)
            assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
            page = response["Fragments"]
            assert len(page) <= page_size, f"page of {len(page)} > MaxResults {page_size}"
            listed += page
            pages += 1
            assert pages <= 10_000, "NextToken never ends"
            token = response.get("NextToken")
            if not token:
                return listed, pages

    def check_list_fragments(self):
        expected = self.normalize(self.fragments())
        listed, pages = self.page_all()
        assert self.normalize(listed) == expected, (
            f"ListFragments MaxResults=1 paged\n got {self.normalize(listed)}\n"
            f" CLI {expected}"
        )
        assert pages >= len(expected), f"{pages} pages for {len(expected)} fragments"
        return f"{len(listed)} fragments in {pages} pages of MaxResults=1, equal to the CLI's"

    def check_list_fragments_paginator(self):
        assert self.client.can_paginate("list_fragments"), "the model has a ListFragments paginator"
        paginator = self.client.get_paginator("list_fragments")
        pages = list(
            paginator.paginate(StreamName=self.stream, PaginationConfig={"PageSize": 2})
        )
        listed = [f for page in pages for f in page["Fragments"]]
        assert self.normalize(listed) == self.normalize(self.fragments()), (
            "the boto3 paginator's fragments differ from the CLI's"
        )
        return f"{len(listed)} fragments in {len(pages)} pages of 2"

    def check_list_fragments_selector(self):
        fragments = self.fragments()
        details = []
        for kind, field in (
            ("PRODUCER_TIMESTAMP", "ProducerTimestamp"),
            ("SERVER_TIMESTAMP", "ServerTimestamp"),
        ):
            starts = sorted(epoch_ms(f[field]) for f in fragments)
            # From just after the first fragment's start to exactly the last one's (inclusive).
            low = starts[0] + 1 if len(starts) > 1 else starts[0]
            high = starts[-1]
            selector = {
                "FragmentSelectorType": kind,
                "TimestampRange": {"StartTimestamp": utc(low), "EndTimestamp": utc(high)},
            }
            want = self.normalize(f for f in fragments if low <= epoch_ms(f[field]) <= high)
            listed, pages = self.page_all(selector)
            assert self.normalize(listed) == want, (
                f"ListFragments {kind} [{low}, {high}] ms\n got {self.normalize(listed)}\n"
                f" want {want}"
            )
            body = self.request_body(
                "ListFragments", {"StreamName": self.stream, "FragmentSelector": selector}
            )
            cli = json.loads(self.cli("list-fragments", "--cli-input-json", body))["Fragments"]
            assert self.normalize(cli) == want, f"the CLI differs for {body}"
            details.append(f"{kind}: {len(listed)}/{len(fragments)} in {pages} pages")
        return "; ".join(details)

    # GetMediaForFragmentList -------------------------------------------------------------------

    def check_get_media(self):
        numbers = [f["FragmentNumber"] for f in self.fragments()]
        unknown = str(int(numbers[-1]) + 12345)
        cases = [
            ("all", numbers),
            ("reversed subset", list(reversed(numbers[1:]))[:3] or numbers),
            ("with an unknown number", [numbers[0], unknown]),
        ]
        details = []
        for label, request in cases:
            response = self.client.get_media_for_fragment_list(
                StreamName=self.stream, Fragments=request
            )
            assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
            assert response["ContentType"] == "video/webm", (
                f"{label}: ContentType {response['ContentType']!r}"
            )
            body = response["Payload"].read()
            out = os.path.join(self.work, "media.mkv")
            self.cli("get-media-for-fragment-list", out, "--fragments", *request)
            with open(out, "rb") as file:
                want = file.read()
            assert body == want, (
                f"{label}: SDK body {len(body)} bytes md5 {md5(body)}, CLI {len(want)} bytes "
                f"md5 {md5(want)}"
            )
            assert body.startswith(b"\x1a\x45\xdf\xa3"), f"{label}: not an EBML document"
            if label.startswith("with an unknown"):
                assert b"FRAGMENT_NOT_FOUND" in body and unknown.encode() in body, (
                    "no in-band FRAGMENT_NOT_FOUND chunk for the unknown number"
                )
            details.append(f"{label} {len(body)} B")
        return "; ".join(details) + " — equal to the CLI's"

    # GetClip ------------------------------------------------------------------------------------

    def check_get_clip(self):
        first, last = self.producer_range()
        params = {
            "StreamName": self.stream,
            "ClipFragmentSelector": {
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": utc(first), "EndTimestamp": utc(last)},
            },
        }
        response = self.client.get_clip(**params)
        assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
        assert response["ContentType"] == "video/mp4", f"ContentType {response['ContentType']!r}"
        body = response["Payload"].read()
        out = os.path.join(self.work, "clip.mp4")
        self.cli("get-clip", "--cli-input-json", self.request_body("GetClip", params), out)
        with open(out, "rb") as file:
            want = file.read()
        assert body == want, (
            f"SDK clip {len(body)} bytes md5 {md5(body)}, CLI {len(want)} bytes md5 {md5(want)}"
        )
        boxes = mp4_boxes(body, "GetClip")
        assert boxes[0] == "ftyp" and "moov" in boxes and "mdat" in boxes, f"boxes {boxes}"
        return f"{len(body)} B {boxes}, equal to the CLI's"

    # GetImages ----------------------------------------------------------------------------------

    def images_params(self, image_format):
        first, last = self.producer_range()
        return {
            "StreamName": self.stream,
            "ImageSelectorType": "PRODUCER_TIMESTAMP",
            "StartTimestamp": utc(first),
            "EndTimestamp": utc(min(last, first + 3000)),
            "SamplingInterval": 500,
            "Format": image_format,
        }

    def check_get_images(self):
        details = []
        for image_format, magic in (("JPEG", JPEG_MAGIC), ("PNG", PNG_MAGIC)):
            params = self.images_params(image_format)
            images, token, pages = [], None, 0
            while True:
                page_params = dict(params, MaxResults=3)
                if token:
                    page_params["NextToken"] = token
                response = self.client.get_images(**page_params)
                assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
                assert len(response["Images"]) <= 3, f"{len(response['Images'])} images > 3"
                images += response["Images"]
                pages += 1
                assert pages <= 1000, "NextToken never ends"
                token = response.get("NextToken")
                if not token:
                    break
            assert pages >= 2, f"{len(images)} images came in one page of MaxResults=3"
            start = epoch_ms(params["StartTimestamp"])
            end = epoch_ms(params["EndTimestamp"])
            stamps = [epoch_ms(image["TimeStamp"]) for image in images]
            want_stamps = list(range(start, end + 1, 500))
            assert stamps == want_stamps, f"{image_format} TimeStamps {stamps}, want {want_stamps}"
            decoded = 0
            for image in images:
                content = image.get("ImageContent")
                if content is None:
                    assert image.get("Error") in ("NO_MEDIA", "MEDIA_ERROR"), (
                        f"image at {image['TimeStamp']} has neither content nor error: {image}"
                    )
                    continue
                data = base64.b64decode(content, validate=True)
                assert data.startswith(magic), (
                    f"{image_format} image at {image['TimeStamp']} starts {data[:8].hex()}"
                )
                decoded += 1
            assert decoded >= len(images) // 2, (
                f"only {decoded} of {len(images)} {image_format} slots have an image: "
                f"{[image.get('Error') for image in images]}"
            )
            # The CLI answers the same request with the same images.
            body = self.request_body("GetImages", params)
            cli = json.loads(self.cli("get-images", "--cli-input-json", body))["Images"]
            assert [
                (epoch_ms(i["TimeStamp"]), i.get("Error"), i.get("ImageContent")) for i in cli
            ] == [
                (epoch_ms(i["TimeStamp"]), i.get("Error"), i.get("ImageContent")) for i in images
            ], f"{image_format}: the SDK's images differ from the CLI's"
            details.append(f"{image_format} {decoded}/{len(images)} images in {pages} pages")
        # The boto3 paginator walks the same pages.
        paginator = self.client.get_paginator("get_images")
        pages = list(
            paginator.paginate(**self.images_params("JPEG"), PaginationConfig={"PageSize": 2})
        )
        count = sum(len(page["Images"]) for page in pages)
        assert count == len(want_stamps), f"the paginator got {count} images"
        details.append(f"paginator {count} in {len(pages)} pages")
        return "; ".join(details)

    # HLS / DASH ---------------------------------------------------------------------------------

    def fetch(self, url, content_type, origin=None):
        headers = {"Origin": origin} if origin else {}
        status, response_headers, body = http_get(url, headers)
        assert status == 200, f"GET {url} → {status}: {body[:300]!r}"
        got = (response_headers.get("Content-Type") or "").split(";")[0].strip()
        assert got == content_type, f"GET {url}: Content-Type {got!r}, want {content_type!r}"
        return response_headers, body

    def check_segment(self, url, kind):
        if kind == "init":
            _, body = self.fetch(url, "video/mp4")
            boxes = mp4_boxes(body, url)
            assert boxes[0] == "ftyp" and "moov" in boxes, f"init {url}: boxes {boxes}"
        elif kind == "mp4":
            _, body = self.fetch(url, "video/mp4")
            boxes = mp4_boxes(body, url)
            assert boxes[0] in ("moof", "styp", "sidx"), f"media {url}: boxes {boxes}"
            assert "moof" in boxes and "mdat" in boxes, f"media {url}: boxes {boxes}"
        else:
            _, body = self.fetch(url, "video/mp2t")
            assert body and len(body) % 188 == 0, f"TS {url}: {len(body)} bytes"
            assert all(body[i] == 0x47 for i in range(0, len(body), 188)), f"TS {url}: sync lost"
        return len(body)

    def hls_session(self, container):
        first, last = self.producer_range()
        response = self.client.get_hls_streaming_session_url(
            StreamName=self.stream,
            PlaybackMode="ON_DEMAND",
            ContainerFormat=container,
            HLSFragmentSelector={
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {
                    "StartTimestamp": utc(first),
                    "EndTimestamp": utc(last + 1000),
                },
            },
        )
        assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
        url = response["HLSStreamingSessionURL"]
        assert "/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=" in url, url
        return url

    @staticmethod
    def playlist_uris(text):
        """URIs of a playlist: the non-tag lines and every URI="..." attribute, in order."""
        uris = []
        for line in text.splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                uris += [(line.split(":", 1)[0], uri) for uri in re.findall(r'URI="([^"]*)"', line)]
            else:
                uris.append(("", line))
        return uris

    def check_hls(self, container):
        master_url = self.hls_session(container)
        _, body = self.fetch(master_url, "application/vnd.apple.mpegurl")
        master = body.decode()
        assert master.startswith("#EXTM3U"), f"master playlist starts {master[:40]!r}"
        media_urls = [urllib.parse.urljoin(master_url, uri) for _, uri in self.playlist_uris(master)]
        assert media_urls, f"the master playlist names no media playlist:\n{master}"
        fragments = len(self.fragments())
        segments = inits = size = 0
        for media_url in media_urls:
            _, body = self.fetch(media_url, "application/vnd.apple.mpegurl")
            media = body.decode()
            assert media.startswith("#EXTM3U"), f"{media_url} starts {media[:40]!r}"
            assert "#EXT-X-ENDLIST" in media, f"ON_DEMAND playlist without ENDLIST:\n{media}"
            listed = 0
            for tag, uri in self.playlist_uris(media):
                url = urllib.parse.urljoin(media_url, uri)
                if tag == "#EXT-X-MAP":
                    assert container == "FRAGMENTED_MP4", f"EXT-X-MAP in a TS playlist: {uri}"
                    size += self.check_segment(url, "init")
                    inits += 1
                else:
                    assert tag == "", f"unexpected URI in {tag}: {uri}"
                    size += self.check_segment(url, "mp4" if container == "FRAGMENTED_MP4" else "ts")
                    listed += 1
            assert listed == fragments, (
                f"{media_url} lists {listed} segments for {fragments} fragments:\n{media}"
            )
            segments += listed
        if container == "FRAGMENTED_MP4":
            assert inits == len(media_urls), f"{inits} EXT-X-MAP for {len(media_urls)} playlists"
        return (
            f"{len(media_urls)} media playlists, {inits} init + {segments} segments, "
            f"{size} B, all 200 with the right Content-Type and bytes"
        )

    def dash_session(self):
        first, last = self.producer_range()
        response = self.client.get_dash_streaming_session_url(
            StreamName=self.stream,
            PlaybackMode="ON_DEMAND",
            DASHFragmentSelector={
                "FragmentSelectorType": "PRODUCER_TIMESTAMP",
                "TimestampRange": {
                    "StartTimestamp": utc(first),
                    "EndTimestamp": utc(last + 1000),
                },
            },
        )
        assert response["ResponseMetadata"].get("RequestId"), "no RequestId on success"
        url = response["DASHStreamingSessionURL"]
        assert "/dash/v1/getDASHManifest.mpd?SessionToken=" in url, url
        return url

    @staticmethod
    def iso_duration(text):
        match = re.fullmatch(
            r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?)?", text or ""
        )
        assert match, f"not an ISO 8601 duration: {text!r}"
        days, hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        return ((days * 24 + hours) * 60 + minutes) * 60 + seconds

    @staticmethod
    def expand(template, representation, number, time):
        def substitute(match):
            name, width = match.group(1), match.group(2)
            if name == "":
                return "$"
            value = {
                "RepresentationID": representation.get("id"),
                "Number": number,
                "Time": time,
                "Bandwidth": representation.get("bandwidth"),
            }[name]
            return format(int(value), width[1:]) if width else str(value)

        return re.sub(r"\$(RepresentationID|Number|Time|Bandwidth|)(%0\d+d)?\$", substitute, template)

    def check_dash(self):
        mpd_url = self.dash_session()
        _, body = self.fetch(mpd_url, "application/dash+xml")
        assert body.lstrip().startswith(b"<?xml") or body.lstrip().startswith(b"<MPD"), (
            f"MPD starts {body[:40]!r}"
        )
        root = ET.fromstring(body)
        assert root.tag == f"{MPD_NS}MPD", f"root element {root.tag}"
        total = self.iso_duration(root.get("mediaPresentationDuration")) if root.get(
            "mediaPresentationDuration"
        ) else None
        fragments = len(self.fragments())
        representations = inits = segments = size = 0
        for period in root.iter(f"{MPD_NS}Period"):
            for adaptation in period.iter(f"{MPD_NS}AdaptationSet"):
                for representation in adaptation.iter(f"{MPD_NS}Representation"):
                    representations += 1
                    # SegmentTemplate: the Representation's, inheriting the AdaptationSet's/Period's.
                    attributes, timeline = {}, None
                    for level in (period, adaptation, representation):
                        template = level.find(f"{MPD_NS}SegmentTemplate")
                        if template is not None:
                            attributes.update(template.attrib)
                            found = template.find(f"{MPD_NS}SegmentTimeline")
                            timeline = found if found is not None else timeline
                    assert "media" in attributes, (
                        f"Representation {representation.get('id')} has no SegmentTemplate@media"
                    )
                    base = mpd_url
                    for level in (root, period, adaptation, representation):
                        base_url = level.find(f"{MPD_NS}BaseURL")
                        if base_url is not None and base_url.text:
                            base = urllib.parse.urljoin(base, base_url.text.strip())
                    timescale = int(attributes.get("timescale", "1"))
                    number = int(attributes.get("startNumber", "1"))
                    times = []
                    if timeline is not None:
                        time = 0
                        for s in timeline.findall(f"{MPD_NS}S"):
                            time = int(s.get("t", time))
                            repeat = int(s.get("r", "0"))
                            assert repeat >= 0, "open-ended S@r in an ON_DEMAND MPD"
                            for _ in range(repeat + 1):
                                times.append(time)
                                time += int(s.get("d"))
                    else:
                        assert total is not None and "duration" in attributes, (
                            "neither a SegmentTimeline nor duration + mediaPresentationDuration"
                        )
                        count = math.ceil(total * timescale / int(attributes["duration"]) - 1e-9)
                        times = [None] * count
                    if "initialization" in attributes:
                        init = self.expand(attributes["initialization"], representation, number, 0)
                        size += self.check_segment(urllib.parse.urljoin(base, init), "init")
                        inits += 1
                    for index, time in enumerate(times):
                        media = self.expand(attributes["media"], representation, number + index, time)
                        size += self.check_segment(urllib.parse.urljoin(base, media), "mp4")
                    assert len(times) == fragments, (
                        f"Representation {representation.get('id')}: {len(times)} segments for "
                        f"{fragments} fragments"
                    )
                    segments += len(times)
        assert representations, "the MPD has no Representation"
        return (
            f"{representations} representations, {inits} init + {segments} media segments, "
            f"{size} B, all 200 video/mp4 with ftyp/moof"
        )

    def check_cors_and_token(self):
        master_url = self.hls_session("FRAGMENTED_MP4")
        origin = "http://player.example"
        headers, _ = self.fetch(master_url, "application/vnd.apple.mpegurl", origin=origin)
        allow = headers.get("Access-Control-Allow-Origin")
        assert allow in ("*", origin), f"Access-Control-Allow-Origin {allow!r} on the master playlist"
        # A preflight (players adding headers, e.g. Range, trigger one).
        preflight_status, preflight, _ = http_get(
            master_url,
            {"Origin": origin, "Access-Control-Request-Method": "GET"},
            method="OPTIONS",
        )
        assert preflight_status in (200, 204), f"OPTIONS preflight → {preflight_status}"
        assert preflight.get("Access-Control-Allow-Origin") in ("*", origin), (
            f"preflight Access-Control-Allow-Origin {preflight.get('Access-Control-Allow-Origin')!r}"
        )
        # Flip one character in the middle of the token.
        parts = urllib.parse.urlsplit(master_url)
        query = urllib.parse.parse_qs(parts.query)
        token = query["SessionToken"][0]
        at = len(token) // 2
        flipped = token[:at] + ("A" if token[at] != "A" else "B") + token[at + 1 :]
        bad_url = master_url.replace(token, flipped)
        results = []
        for url in (bad_url, bad_url.replace("getHLSMasterPlaylist.m3u8", "getHLSMediaPlaylist.m3u8")
                    + "&TrackNumber=1"):
            status, headers, body = http_get(url, {"Origin": origin})
            assert status == 401, f"altered SessionToken: GET {url} → {status}: {body[:200]!r}"
            assert error_code(headers.get("x-amzn-ErrorType")) == "NotAuthorizedException", (
                f"x-amzn-ErrorType {headers.get('x-amzn-ErrorType')!r}"
            )
            assert error_code(headers.get("x-amz-ErrorType")) == "NotAuthorizedException", (
                f"x-amz-ErrorType {headers.get('x-amz-ErrorType')!r}"
            )
            assert headers.get("Access-Control-Allow-Origin") in ("*", origin), (
                "no CORS header on the 401 (a browser player could not read the error)"
            )
            message = json.loads(body).get("Message")
            assert message, f"401 body without Message: {body[:200]!r}"
            results.append(message)
        return f"ACAO {allow!r}, preflight {preflight_status}, altered token → 401 NotAuthorized ({results[0]!r})"

    # errors -------------------------------------------------------------------------------------

    def expect_error(self, call, code, status=None, **params):
        try:
            response = call(**params)
        except botocore.exceptions.ClientError as error:
            got = error.response["Error"]["Code"]
            assert got == code, (
                f"{call.__name__}: Error.Code {got!r} ({error.response['Error'].get('Message')!r}),"
                f" want {code!r}"
            )
            meta = error.response["ResponseMetadata"]
            assert meta.get("RequestId"), f"{call.__name__} {code}: no RequestId"
            headers = meta.get("HTTPHeaders", {})
            for header in ("x-amzn-errortype", "x-amz-errortype"):
                assert error_code(headers.get(header)) == code, (
                    f"{call.__name__} {code}: header {header} {headers.get(header)!r}"
                )
            if status is not None:
                assert meta["HTTPStatusCode"] == status, (
                    f"{call.__name__} {code}: HTTP {meta['HTTPStatusCode']}, want {status}"
                )
            assert error.response["Error"].get("Message"), f"{call.__name__} {code}: no Message"
            return error
        if "Payload" in response:
            response["Payload"].read()
        raise AssertionError(f"{call.__name__}({params}) succeeded, want {code}")

    def check_unknown_stream(self):
        first, last = self.producer_range()
        missing = "no-such-stream-" + md5(self.stream.encode())[:8]
        range_ = {"StartTimestamp": utc(first), "EndTimestamp": utc(last)}
        c = self.client
        calls = [
            (c.list_fragments, {}),
            (c.get_media_for_fragment_list, {"Fragments": [self.fragments()[0]["FragmentNumber"]]}),
            (c.get_clip, {"ClipFragmentSelector": {
                "FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": range_}}),
            (c.get_images, {"ImageSelectorType": "PRODUCER_TIMESTAMP", "Format": "JPEG",
                            "SamplingInterval": 500, **range_}),
            (c.get_hls_streaming_session_url, {"PlaybackMode": "ON_DEMAND", "HLSFragmentSelector": {
                "FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": range_}}),
            (c.get_dash_streaming_session_url, {"PlaybackMode": "ON_DEMAND", "DASHFragmentSelector": {
                "FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": range_}}),
        ]
        for call, params in calls:
            self.expect_error(call, "ResourceNotFoundException", 404, StreamName=missing, **params)
        return f"all six operations → 404 ResourceNotFoundException for {missing!r}"

    def check_invalid_arguments(self):
        first, last = self.producer_range()
        c, raw = self.client, self.raw
        done = []
        # GetClip with End before Start.
        self.expect_error(
            c.get_clip, "InvalidArgumentException", 400, StreamName=self.stream,
            ClipFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": {
                "StartTimestamp": utc(last), "EndTimestamp": utc(first)}},
        )
        done.append("GetClip End<Start")
        # ListFragments MaxResults above the model's maximum (botocore checks only minimums).
        self.expect_error(c.list_fragments, "InvalidArgumentException", 400,
                          StreamName=self.stream, MaxResults=1001)
        done.append("ListFragments MaxResults=1001")
        # ... and below the minimum, which only an unvalidated client sends.
        try:
            c.list_fragments(StreamName=self.stream, MaxResults=0)
            raise AssertionError("botocore sent MaxResults=0")
        except botocore.exceptions.ParamValidationError:
            pass
        self.expect_error(raw.list_fragments, "InvalidArgumentException", 400,
                          StreamName=self.stream, MaxResults=0)
        done.append("ListFragments MaxResults=0 (unvalidated client)")
        # GetImages SamplingInterval below 200 ms.
        params = self.images_params("JPEG")
        params["SamplingInterval"] = 100
        self.expect_error(c.get_images, "InvalidArgumentException", 400, **params)
        done.append("GetImages SamplingInterval=100")
        # HLS Expires below 300 s (botocore refuses it client-side).
        selector = {"FragmentSelectorType": "PRODUCER_TIMESTAMP", "TimestampRange": {
            "StartTimestamp": utc(first), "EndTimestamp": utc(last)}}
        self.expect_error(raw.get_hls_streaming_session_url, "InvalidArgumentException", 400,
                          StreamName=self.stream, PlaybackMode="ON_DEMAND", Expires=10,
                          HLSFragmentSelector=selector)
        done.append("HLS Expires=10 (unvalidated client)")
        self.expect_error(raw.get_dash_streaming_session_url, "InvalidArgumentException", 400,
                          StreamName=self.stream, PlaybackMode="ON_DEMAND", Expires=10,
                          DASHFragmentSelector=selector)
        done.append("DASH Expires=10")
        # GetMediaForFragmentList with a non-numeric fragment number.
        self.expect_error(c.get_media_for_fragment_list, "InvalidArgumentException", 400,
                          StreamName=self.stream, Fragments=["not-a-number"])
        done.append("GetMediaForFragmentList ['not-a-number']")
        return ", ".join(done) + " → InvalidArgumentException with RequestId"

    # credentials --------------------------------------------------------------------------------

    def check_signed(self):
        response = self.client.list_fragments(StreamName=self.stream)
        assert response["Fragments"], "the signed client lists nothing"
        clip = self.client.get_media_for_fragment_list(
            StreamName=self.stream, Fragments=[self.fragments()[0]["FragmentNumber"]]
        )
        assert clip["Payload"].read().startswith(b"\x1a\x45\xdf\xa3"), "no MKV from the signed client"
        return f"key {self.keys[0]} from the credentials file: ListFragments and a streamed body work"

    def check_bad_signatures(self):
        key_id, secret = self.keys
        wrong_secret = self.make_client(key_id, secret + "x")
        unknown_key = self.make_client("AKIDUNKNOWN000000000", secret)
        unsigned = self.make_client(key_id, secret, signature_version=botocore.UNSIGNED)
        for client, code in (
            (wrong_secret, "SignatureDoesNotMatch"),
            (unknown_key, "InvalidClientTokenId"),
            (unsigned, "MissingAuthenticationToken"),
        ):
            self.expect_error(client.list_fragments, code, 403, StreamName=self.stream)
            self.expect_error(
                client.get_media_for_fragment_list, code, 403, StreamName=self.stream,
                Fragments=[self.fragments()[0]["FragmentNumber"]],
            )
        return "wrong secret → SignatureDoesNotMatch, unknown key → InvalidClientTokenId, " \
               "unsigned → MissingAuthenticationToken (all 403)"

    def check_unsigned_accepted(self):
        unsigned = self.make_client(*self.keys, signature_version=botocore.UNSIGNED)
        response = unsigned.list_fragments(StreamName=self.stream)
        assert len(response["Fragments"]) == len(self.fragments()), "unsigned ListFragments"
        return "without --credentials an unsigned request is served"

    def run(self):
        try:
            return self.run_checks()
        finally:
            shutil.rmtree(self.work, ignore_errors=True)

    def run_checks(self):
        checks = Checks()
        checks.run("ListFragments MaxResults=1 pages = CLI list-fragments", self.check_list_fragments)
        checks.run("ListFragments boto3 paginator", self.check_list_fragments_paginator)
        checks.run("ListFragments FragmentSelector ranges", self.check_list_fragments_selector)
        checks.run("GetMediaForFragmentList bodies = CLI output", self.check_get_media)
        checks.run("GetClip whole range = CLI get-clip", self.check_get_clip)
        checks.run("GetImages JPEG/PNG paged", self.check_get_images)
        checks.run("HLS ON_DEMAND FRAGMENTED_MP4 crawl", lambda: self.check_hls("FRAGMENTED_MP4"))
        checks.run("HLS ON_DEMAND MPEG_TS crawl", lambda: self.check_hls("MPEG_TS"))
        checks.run("DASH ON_DEMAND crawl", self.check_dash)
        checks.run("CORS and altered SessionToken", self.check_cors_and_token)
        checks.run("unknown stream", self.check_unknown_stream)
        checks.run("invalid arguments", self.check_invalid_arguments)
        if self.args.credentials:
            checks.run("signed by the credentials file", self.check_signed)
            checks.run("bad signatures", self.check_bad_signatures)
        else:
            checks.run("unsigned accepted without --credentials", self.check_unsigned_accepted)
        if checks.failed:
            print(f"serve_sdk: {len(checks.failed)} of {checks.passed + len(checks.failed)} checks "
                  f"FAILED: {', '.join(checks.failed)}", flush=True)
            return 1
        print(f"serve_sdk: {checks.passed} checks passed", flush=True)
        return 0


def read_credentials(path):
    """(key id, secret) of the first section of an AWS shared-credentials file that has both."""
    parser = configparser.ConfigParser()
    assert parser.read(path), f"cannot read {path}"
    sections = parser.sections()
    if "default" in sections:
        sections.remove("default")
        sections.insert(0, "default")
    for section in sections:
        key_id = parser.get(section, "aws_access_key_id", fallback=None)
        secret = parser.get(section, "aws_secret_access_key", fallback=None)
        if key_id and secret:
            return key_id.strip(), secret.strip()
    raise AssertionError(f"{path} has no section with aws_access_key_id and aws_secret_access_key")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="http://127.0.0.1:PORT of kvs-remux serve")
    parser.add_argument("--archive-root", required=True, help="the server's --archive-root")
    parser.add_argument("--stream", required=True, help="StreamName of a stream in the root")
    parser.add_argument("--kvs-remux", required=True, help="the kvs-remux binary (for the CLI)")
    parser.add_argument("--credentials", help="the server's --credentials file")
    return ServeSdk(parser.parse_args()).run()


if __name__ == "__main__":
    sys.exit(main())
