# shellcheck shell=bash
# Shared by scripts/test, scripts/develop, scripts/bench, scripts/setup and
# scripts/lint: find (or provide) Python 3.14 and keep a virtualenv per Home
# Assistant version in step with its requirements file.
#
# Two ways to get Python 3.14:
#   1. python3.14 on PATH, or $(pyenv root)/versions/3.14.*: used directly; the
#      venvs are .venv (newest HA) and .venv-min (minimum HA) in the checkout.
#   2. Neither (Debian 12 and most CI machines today): a Debian-testing root
#      filesystem with Python 3.14 is built once with debootstrap in .rootfs/
#      (ignored by git; needs root) and Python runs inside it with chroot. The
#      venvs then live inside it (/opt/venv, /opt/venv-min). Every command runs
#      in a private mount namespace (unshare): the checkout is bind-mounted at
#      its own path, /proc and a /dev/shm tmpfs are mounted, and all of it
#      vanishes with the last process, even after kill -9. The host's /dev is
#      never mounted, so deleting .rootfs can never reach the host's devices.
#
# Environment: SMS_GATEWAY_PYTHON=/path/to/python3.14 forces a host interpreter;
# SMS_GATEWAY_CHROOT=1 forces the root filesystem even when 3.14 is installed;
# SMS_GATEWAY_DEBIAN_MIRROR overrides the mirror read from the apt sources.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY_MINOR="3.14"
ROOTFS="$ROOT/.rootfs"
ROOTFS_PACKAGES="python3,python3-venv,python3-dev,ca-certificates,gcc,g++,libc6-dev,git"
ROOTFS_STAMP_VALUE="forky minbase $ROOTFS_PACKAGES v1"

# find_python314: print a host Python 3.14 interpreter, or fail.
find_python314() {
  local candidate
  if [ -n "${SMS_GATEWAY_PYTHON:-}" ]; then
    echo "$SMS_GATEWAY_PYTHON"
    return 0
  fi
  [ "${SMS_GATEWAY_CHROOT:-0}" = 1 ] && return 1
  if candidate="$(command -v "python$PY_MINOR" 2>/dev/null)" \
    && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 14)' >/dev/null 2>&1; then
    echo "$candidate"
    return 0
  fi
  local pyenv_root="${PYENV_ROOT:-}"
  if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root)"
  fi
  [ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
  for candidate in $(ls -d "$pyenv_root"/versions/"$PY_MINOR".* 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/bin/python$PY_MINOR" ]; then
      echo "$candidate/bin/python$PY_MINOR"
      return 0
    fi
  done
  return 1
}

# Decide once per script: host interpreter or root filesystem.
if HOST_PYTHON="$(find_python314)"; then
  USE_CHROOT=0
else
  HOST_PYTHON=""
  USE_CHROOT=1
fi

# debian_mirror: the Debian archive this machine's apt already uses (not the
# security archive), so no host name is written into the repository.
debian_mirror() {
  if [ -n "${SMS_GATEWAY_DEBIAN_MIRROR:-}" ]; then
    echo "$SMS_GATEWAY_DEBIAN_MIRROR"
    return 0
  fi
  local uri
  uri="$(
    {
      grep -hE '^[[:space:]]*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -E 's/^[[:space:]]*URIs:[[:space:]]*//' | tr ' ' '\n'
      grep -hE '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | cut -d' ' -f1
    } | grep -E '^https?://' | grep -v security | grep -i debian | head -1
  )"
  if [ -z "$uri" ]; then
    echo "error: no Debian mirror found in /etc/apt/sources.list*; set SMS_GATEWAY_DEBIAN_MIRROR" >&2
    return 1
  fi
  echo "${uri%/}"
}

# ensure_rootfs: build .rootfs (Debian testing, Python 3.14) once.
ensure_rootfs() {
  if [ -f "$ROOTFS/.sms-gateway-rootfs" ] && [ "$(cat "$ROOTFS/.sms-gateway-rootfs")" = "$ROOTFS_STAMP_VALUE" ]; then
    return 0
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "error: Python $PY_MINOR not found, and building the Debian-testing root filesystem that provides it needs root (debootstrap, chroot, mount)." >&2
    echo "       Install Python $PY_MINOR (python$PY_MINOR on PATH or 'pyenv install $PY_MINOR'), or run as root." >&2
    return 1
  fi
  if ! command -v debootstrap >/dev/null 2>&1; then
    echo "==> installing debootstrap with apt-get"
    { DEBIAN_FRONTEND=noninteractive apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap; } \
      > /tmp/sms-gateway-apt-debootstrap.log 2>&1 || {
      tail -20 /tmp/sms-gateway-apt-debootstrap.log >&2
      echo "error: installing debootstrap failed" >&2
      return 1
    }
  fi
  local mirror building="$ROOT/.rootfs.building"
  mirror="$(debian_mirror)" || return 1
  echo "==> Python $PY_MINOR not found on this machine: building a Debian-testing root filesystem in .rootfs (about a minute, once)"
  rootfs_unmount_stale "$building"
  rm -rf --one-file-system "$building"
  mkdir -p "$building"
  # Debian testing ("forky") has no script of its own in older debootstraps; sid's fits.
  if ! debootstrap --variant=minbase --include="$ROOTFS_PACKAGES" forky "$building" "$mirror" \
    /usr/share/debootstrap/scripts/sid > "$ROOT/.rootfs-debootstrap.log" 2>&1; then
    tail -20 "$ROOT/.rootfs-debootstrap.log" >&2
    echo "error: debootstrap failed (log: .rootfs-debootstrap.log)" >&2
    return 1
  fi
  rootfs_unmount_stale "$ROOTFS"
  rm -rf --one-file-system "$ROOTFS"
  mv "$building" "$ROOTFS"
  echo "$ROOTFS_STAMP_VALUE" > "$ROOTFS/.sms-gateway-rootfs"
  rm -f "$ROOT/.rootfs-debootstrap.log"
}

# rootfs_unmount_stale DIR: a mount left below DIR (from an older script that
# mounted in the host namespace) is unmounted before DIR is deleted.
rootfs_unmount_stale() {
  local dir="$1" mnt
  [ -d "$dir" ] || return 0
  while read -r mnt; do
    umount -l "$mnt" 2>/dev/null || true
  done < <(awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
}

# Refresh the files the root filesystem takes from the host on every use:
# name resolution and the CA bundle pip must trust here.
rootfs_sync_host_files() {
  cp -f /etc/resolv.conf "$ROOTFS/etc/resolv.conf" 2>/dev/null || true
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    mkdir -p "$ROOTFS/etc/ssl/certs"
    cp -f /etc/ssl/certs/ca-certificates.crt "$ROOTFS/etc/ssl/certs/ca-certificates.crt"
  fi
}

# in_env CMD...: run CMD in the Python 3.14 environment, in $ROOT. With
# IN_ENV_EXEC=1 the calling (sub)shell is replaced, so that `IN_ENV_EXEC=1
# in_env CMD &` leaves $! as CMD's own pid (scripts/develop stops it by pid).
in_env() {
  local run=()
  [ "${IN_ENV_EXEC:-0}" = 1 ] && run=(exec)
  if [ "$USE_CHROOT" = 0 ]; then
    if [ "${#run[@]}" = 1 ]; then
      cd "$ROOT" && exec "$@"
    fi
    (cd "$ROOT" && "$@")
    return
  fi
  rootfs_sync_host_files
  mkdir -p "$ROOTFS$ROOT"
  # A private mount namespace: its mounts vanish with its last process.
  # shellcheck disable=SC2016
  ${run[@]+"${run[@]}"} unshare --mount --propagation private -- /bin/sh -c '
    set -e
    rootfs="$1"; repo="$2"; shift 2
    mount --bind "$repo" "$rootfs$repo"
    mount -t proc proc "$rootfs/proc"
    mkdir -p "$rootfs/dev/shm"
    mount -t tmpfs -o mode=1777,size=2g tmpfs "$rootfs/dev/shm"
    exec chroot "$rootfs" /usr/bin/env -u PIP_FIND_LINKS HOME=/root \
      PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$repo" "$@"
  ' sms-gateway-env "$ROOTFS" "$ROOT" "$@"
}

# venv_dir NAME: where venv NAME (newest | min) lives, as seen by in_env.
venv_dir() {
  local suffix=""
  [ "$1" = min ] && suffix="-min"
  if [ "$USE_CHROOT" = 0 ]; then
    echo "$ROOT/.venv$suffix"
  else
    echo "/opt/venv$suffix"
  fi
}

# host_path PATH: a path as seen by in_env, as seen from the host.
host_path() {
  if [ "$USE_CHROOT" = 0 ] || [[ "$1" == "$ROOT"* ]]; then
    echo "$1"
  else
    echo "$ROOTFS$1"
  fi
}

# ensure_venv NAME REQUIREMENTS: create venv NAME (newest | min) with Python 3.14
# and install REQUIREMENTS, unless the hash of the requirement files (and the
# interpreter) matches the one recorded last time.
ensure_venv() {
  local name="$1" requirements="$2"
  local venv python hash stamp
  if [ "$USE_CHROOT" = 1 ]; then
    ensure_rootfs || return 1
    python="/usr/bin/python$PY_MINOR"
  else
    python="$HOST_PYTHON"
  fi
  venv="$(venv_dir "$name")"
  hash="$( (cat "$ROOT"/requirements*.txt; in_env "$python" --version; echo "$USE_CHROOT") | sha256sum | cut -d' ' -f1)"
  stamp="$(host_path "$venv")/.requirements.sha256"
  # pyvenv.cfg marks a venv (bin/python may be a link that only resolves in the chroot).
  if [ -f "$(host_path "$venv")/pyvenv.cfg" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    return 0
  fi
  # A venv of another Python (e.g. the 3.13 .venv of older checkouts) is made anew.
  local cfg wanted
  cfg="$(host_path "$venv")/pyvenv.cfg"
  wanted="$(in_env "$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
  if [ -f "$cfg" ] && ! grep -Eq "^version(_info)? *= *${wanted//./\.}(\.|$)" "$cfg"; then
    echo "==> $venv was made with another Python; making it anew with $wanted"
    rm -rf --one-file-system "$(host_path "$venv")"
  fi
  if [ ! -f "$cfg" ]; then
    echo "==> creating $venv with $(in_env "$python" --version)"
    in_env "$python" -m venv "$venv"
  fi
  echo "==> installing $requirements into $venv (a few minutes the first time)"
  local log
  log="$(host_path "$venv")/pip-install.log"
  in_env "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip > "$log" 2>&1 || true
  if ! in_env "$venv/bin/python" -m pip install --disable-pip-version-check -q -r "$requirements" >> "$log" 2>&1; then
    grep -v '^WARNING: Location' "$log" >&2
    echo "error: installing $requirements failed (log: $log)" >&2
    return 1
  fi
  echo "$hash" > "$stamp"
}

# ha_version VENV: "Home Assistant X on Python Y" of a venv.
ha_version() {
  in_env "$1/bin/python" -c 'import sys, homeassistant.const as c; print(f"Home Assistant {c.__version__} on Python {sys.version.split()[0]}")'
}
