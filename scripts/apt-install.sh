# shellcheck shell=bash
# Sourced, not run: `apt_install WHO PACKAGE...` installs Debian packages quietly (sudo when not root),
# and does nothing without packages. WHO names the calling script in the one line it prints.
apt_install() {
  local who="$1"
  shift
  (($#)) || return 0
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "$who: installing $*" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
