# shellcheck shell=bash
# Sourced, not run: shapes ffmpeg `-f segment` pieces like a KVS GetMedia response (spec §7.2). Every
# piece becomes its own MKV (EBML header + unknown-size Segment + Info + Tracks + KVS Tags + one
# Cluster) with the service tags AWS_KINESISVIDEO_FRAGMENT_NUMBER (47 digits, +2^92 per fragment
# index), _SERVER_TIMESTAMP and _PRODUCER_TIMESTAMP (epoch seconds, 3 decimals), appended to OUT.
# Used by scripts/gen-archive.sh (benchmarks) and testdata/gen-fixtures.sh (oracle fixtures).
#
#   kvs_shape_pieces OUT DIR CSV FIRST_INDEX FRAGMENT_SECONDS [SKIP_INDICES]
#
# DIR/CSV: the pieces and the `-segment_list_type csv` list of `-f segment -reset_timestamps 0`
# (piece start times are then absolute). Fragment i (FIRST_INDEX, FIRST_INDEX+1, ... over the
# list) gets number KVS_SHAPE_BASE + i·2^92, producer 1700000000 + its Cluster timestamp, and server
# producer + FRAGMENT_SECONDS + a deterministic 0.150–0.399 s upload latency. Indices listed in
# SKIP_INDICES (space-separated) are left out but keep their number and time slot (a gap, as in the
# service's sparse output). KVS_SHAPE_CRC32=0 leaves out the CRC-32 elements ffmpeg writes by default.
# KVS_SHAPE_PRODUCER_BASE (default 1700000000) is the producer time of Cluster timestamp 0: a producer
# that restarts its Cluster timestamps at 0 (relative timecodes) keeps a later base.
# Needs ffmpeg and bc. Sets KVS_SHAPE_NEXT to the index after the last piece.
KVS_SHAPE_BASE=91343852333181432392682062607743920146159169392
KVS_SHAPE_STEP=4951760157141521099596496896

kvs_shape_pieces() {
  local out="$1" dir="$2" csv="$3" i="$4" seconds="$5" skip=" ${6:-} "
  local name _piece_start _piece_end number first producer server
  while IFS=, read -r name _piece_start _piece_end; do
    if [[ "$skip" != *" $i "* ]]; then
      number=$(echo "$KVS_SHAPE_BASE + $i * $KVS_SHAPE_STEP" | BC_LINE_LENGTH=0 bc)
      # The producer timestamp is the fragment's Cluster timestamp (spec §7.1, ABSOLUTE timecodes),
      # which ffmpeg's muxer takes from the first packet it writes: the first packet in file order.
      # (The csv's start time differs: 0 for the first piece, and it ignores -output_ts_offset.)
      first=$(ffprobe -v error -read_intervals %+#1 -show_entries packet=pts_time -of csv=p=0 "$dir/$name" | head -1)
      producer=$(printf '%.3f' "$(echo "${KVS_SHAPE_PRODUCER_BASE:-1700000000} + $first" | bc -l)")
      server=$(printf '%.3f' "$(echo "$producer + $seconds + $((150 + i * 37 % 250)) / 1000" | bc -l)")
      # ffmpeg writes global metadata as a Tags element before the first Cluster, in insertion
      # order (FN, server, producer); a pipe makes the Segment unknown-size and drops the Cues, as
      # in a GetMedia response. The cluster limits keep the whole piece (one GOP) in one Cluster.
      ffmpeg -nostdin -hide_banner -loglevel error -copyts -i "$dir/$name" \
        -map 0 -c copy -map_metadata -1 -map_chapters -1 \
        -metadata AWS_KINESISVIDEO_FRAGMENT_NUMBER="$number" \
        -metadata AWS_KINESISVIDEO_SERVER_TIMESTAMP="$server" \
        -metadata AWS_KINESISVIDEO_PRODUCER_TIMESTAMP="$producer" \
        -cluster_size_limit 1000000000 -cluster_time_limit 1000000 -write_crc32 "${KVS_SHAPE_CRC32:-1}" \
        -fflags +bitexact -f matroska - >>"$out"
    fi
    i=$((i + 1))
  done <"$csv"
  KVS_SHAPE_NEXT=$i
}
