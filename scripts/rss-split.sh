# Sourced by the bench scripts: rss_split COMMAND [ARG ...] runs COMMAND (stdout to /dev/null) and
# prints its peak RssAnon and RssFile in kB: heap and other anonymous memory, and file-backed pages
# (for kvs-remux, the pages of the memory-mapped input it touched). It polls /proc/PID/status with
# bash builtins only (no sleep, no subprocess), so even a sub-second run gets many samples.
rss_split() {
  "$@" > /dev/null &
  local pid=$! anon=0 file=0 state=R key value
  while [ "$state" != Z ] && [ -r "/proc/$pid/status" ]; do
    while IFS=$': \t' read -r key value _; do
      case "$key" in
        State) state=$value ;;
        RssAnon) ((value > anon)) && anon=$value ;;
        RssFile) ((value > file)) && file=$value ;;
      esac
    done < "/proc/$pid/status" 2>/dev/null || state=Z
  done
  wait "$pid"
  echo "$anon $file"
}
