#!/usr/bin/env bash
# A second Unix account for the shared-host tests, and a Python it can run with the same
# `distributed` as the project's virtualenv (run as root; idempotent).
#
#   other-user.sh [OWNER_PYTHON]    OWNER_PYTHON defaults to .venv/bin/python
#
# The project's interpreter may live where another account cannot go (a pyenv build under
# /root, mode 0700), so the account gets its own virtualenv, built from Debian's
# /usr/bin/python3 in a world-readable place, with the owner's versions of distributed, dask,
# cryptography and every dependency they share (pip freeze of the owner's venv as constraints).
# At the end it writes $ENV_FILE (KEY=VALUE lines) for the tests, which fail when it is missing.
#
# Settings (environment): JDC_OTHER_USER (default jdc-other), JDC_OTHER_VENV (default
# /var/tmp/jdc-other-venv), JDC_OTHER_ENV (default /var/tmp/jdc-other.env).
set -euo pipefail
umask 022

ACCOUNT=${JDC_OTHER_USER:-jdc-other}
VENV=${JDC_OTHER_VENV:-/var/tmp/jdc-other-venv}
ENV_FILE=${JDC_OTHER_ENV:-/var/tmp/jdc-other.env}
OWNER_PYTHON=${1:-.venv/bin/python}
SYSTEM_PYTHON=/usr/bin/python3
PACKAGES=(distributed dask cryptography)

die() { echo "other-user.sh: error: $*" >&2; exit 1; }
say() { echo "other-user.sh: $*" >&2; }

[ "$(id -u)" -eq 0 ] || die "must run as root (it creates the account $ACCOUNT)"
[ -x "$OWNER_PYTHON" ] || die "$OWNER_PYTHON is not an interpreter; set up the project first (make setup)"

apt_install() {
  say "installing Debian packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || die "apt-get install $* failed"
}

# The account: an ordinary user in a group of its own, never root's.
id "$ACCOUNT" >/dev/null 2>&1 || useradd -m -s /bin/bash "$ACCOUNT" || die "useradd $ACCOUNT failed"
[ "$(id -u "$ACCOUNT")" -ne 0 ] || die "$ACCOUNT has uid 0"
if id -nG "$ACCOUNT" | tr ' ' '\n' | grep -qx root; then die "$ACCOUNT is in group root"; fi

[ -x "$SYSTEM_PYTHON" ] || apt_install python3 python3-venv
"$SYSTEM_PYTHON" -c 'import ensurepip, venv' 2>/dev/null || apt_install python3-venv

# What the owner has: exact versions, the editable checkout itself left out.
constraints=$("$OWNER_PYTHON" -m pip freeze --exclude-editable | grep -E '^[A-Za-z0-9_.-]+==' || true)
[ -n "$constraints" ] || die "pip freeze of $OWNER_PYTHON listed nothing"
wanted=$(for p in "${PACKAGES[@]}"; do
  echo "$constraints" | grep -iE "^${p}==" || die "$p is not installed in $OWNER_PYTHON"
done)
stamp=$(printf '%s\n---\n%s\n' "$wanted" "$constraints")

if [ ! -f "$VENV/.jdc-stamp" ] || [ "$(cat "$VENV/.jdc-stamp")" != "$stamp" ]; then
  say "building $VENV from $SYSTEM_PYTHON with: $(echo $wanted)"
  rm -rf "$VENV"
  "$SYSTEM_PYTHON" -m venv "$VENV" || die "$SYSTEM_PYTHON -m venv $VENV failed"
  echo "$constraints" >"$VENV/owner-constraints.txt"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install --quiet -c "$VENV/owner-constraints.txt" $wanted \
    || die "pip install $(echo $wanted) into $VENV failed"
  echo "$stamp" >"$VENV/.jdc-stamp"
fi

# The account must be able to run it, and see the owner's versions.
check='import sys, dask, distributed, cryptography; print(distributed.__version__, dask.__version__)'
mine=$("$OWNER_PYTHON" -c "$check") || die "$OWNER_PYTHON cannot import distributed"
theirs=$(cd / && runuser -u "$ACCOUNT" -- "$VENV/bin/python" -c "$check") \
  || die "$ACCOUNT cannot run $VENV/bin/python with distributed (see above)"
[ "$mine" = "$theirs" ] || die "versions differ: owner has '$mine', $ACCOUNT has '$theirs'"

cat >"$ENV_FILE" <<EOF
JDC_OTHER_USER=$ACCOUNT
JDC_OTHER_UID=$(id -u "$ACCOUNT")
JDC_OTHER_PYTHON=$VENV/bin/python
JDC_OTHER_VERSIONS=$theirs
EOF
say "ready: $ACCOUNT (uid $(id -u "$ACCOUNT")) runs $VENV/bin/python (distributed, dask: $theirs)"
