# shellcheck shell=bash
# Shared by scripts/test, scripts/develop, scripts/bench and scripts/lint:
# find Python 3.13 and create or refresh a virtualenv from a requirements file.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

find_python313() {
  local candidate
  if candidate="$(command -v python3.13 2>/dev/null)" && "$candidate" -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1; then
    echo "$candidate"
    return 0
  fi
  local pyenv_root="${PYENV_ROOT:-}"
  if [ -z "$pyenv_root" ] && command -v pyenv >/dev/null 2>&1; then
    pyenv_root="$(pyenv root)"
  fi
  [ -n "$pyenv_root" ] || pyenv_root="$HOME/.pyenv"
  for candidate in $(ls -d "$pyenv_root"/versions/3.13.* 2>/dev/null | sort -V -r); do
    if [ -x "$candidate/bin/python3.13" ]; then
      echo "$candidate/bin/python3.13"
      return 0
    fi
  done
  return 1
}

# ensure_venv DIR REQUIREMENTS [pip options...]
# Creates DIR with Python 3.13 and installs REQUIREMENTS, unless the hash of the
# requirement files (and the interpreter) matches the one recorded last time.
ensure_venv() {
  local venv="$1" requirements="$2"
  shift 2
  local python
  if ! python="$(find_python313)"; then
    echo "error: Python 3.13 not found (looked for python3.13 on PATH and \$(pyenv root)/versions/3.13.*); install it, e.g. 'pyenv install 3.13'." >&2
    return 1
  fi
  local hash
  hash="$( (cat "$ROOT"/requirements*.txt; "$python" --version; echo "$*") | sha256sum | cut -d' ' -f1)"
  local stamp="$venv/.requirements.sha256"
  if [ -x "$venv/bin/python" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
    return 0
  fi
  if [ ! -x "$venv/bin/python" ]; then
    echo "==> creating $venv with $python"
    "$python" -m venv "$venv"
  fi
  echo "==> installing $requirements into $venv (takes a few minutes the first time)"
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip 2>&1 | grep -v '^WARNING: Location' || true
  # pip prints harmless warnings about absent local find-links dirs on these machines.
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check -q "$@" -r "$requirements" > "$venv/pip-install.log" 2>&1; then
    grep -v '^WARNING: Location' "$venv/pip-install.log" >&2
    echo "error: installing $requirements failed (log: $venv/pip-install.log)" >&2
    return 1
  fi
  echo "$hash" > "$stamp"
}
