#!/usr/bin/env bash
# A local Dask Gateway for the test suites: dask-gateway-server with the UnsafeLocalBackend
# (schedulers and workers are local processes) and the SimpleAuthenticator (one password).
#
#   gateway.sh up      create the virtualenv if needed, start the server in the background,
#                      wait for its health check and its proxy, print KEY=VALUE lines
#   gateway.sh down    stop the server and every scheduler, worker and proxy it started
#   gateway.sh status  exit 0 when the server answers, 1 otherwise
#   gateway.sh env     print the KEY=VALUE lines again (also kept in $JDC_GATEWAY_DIR/env)
#   gateway.sh check   end-to-end check with the dask_gateway client (options, a cluster,
#                      a computation, shutdown); needs the gateway to be up
#
# Settings (environment):
#   JDC_GATEWAY_DIR          state directory (default /tmp/jdc-gateway): venv, log, pid, password
#   JDC_GATEWAY_PASSWORD     password to use; otherwise one is generated once and kept in
#                            $JDC_GATEWAY_DIR/password (mode 0600)
#   JDC_GATEWAY_API_PORT, JDC_GATEWAY_PROXY_PORT   fixed ports instead of free ones
#   JDC_GATEWAY_DISTRIBUTED  distributed version for schedulers and workers; default: the one
#                            installed in the project's .venv (so clients and workers agree)
#   JDC_GATEWAY_VERSION      dask-gateway(-server) version (default below)
#   JDC_MAIN_VENV            the project's virtualenv (default: <repo>/.venv)
#   JDC_GATEWAY_PYTHON       interpreter for the virtualenv (default: the project's, else python3)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${JDC_GATEWAY_DIR:-/tmp/jdc-gateway}
VENV=$STATE/venv
PIDFILE=$STATE/gateway.pid
LOG=$STATE/gateway.log
PASSWORD_FILE=$STATE/password
MAIN_VENV=${JDC_MAIN_VENV:-$REPO/.venv}
GATEWAY_VERSION=${JDC_GATEWAY_VERSION:-2026.3.0}

die() { echo "gateway.sh: error: $*" >&2; exit 1; }
say() { echo "gateway.sh: $*" >&2; }

# A process that exists and is not a zombie (an init that does not reap leaves zombies behind).
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
pid_alive() { [ -f "$PIDFILE" ] && running "$(cat "$PIDFILE")"; }

# The distributed version schedulers and workers must run: the client's.
wanted_distributed() {
  if [ -n "${JDC_GATEWAY_DISTRIBUTED:-}" ]; then
    echo "$JDC_GATEWAY_DISTRIBUTED"
  else
    main_version distributed
  fi
}

# A package's version in the project's virtualenv; empty when it has none.
main_version() {
  [ -x "$MAIN_VENV/bin/python" ] || return 0
  "$MAIN_VENV/bin/python" -c "from importlib.metadata import version; print(version('$1'))" \
    2>/dev/null || true
}

base_python() {
  if [ -n "${JDC_GATEWAY_PYTHON:-}" ]; then echo "$JDC_GATEWAY_PYTHON"
  elif [ -x "$MAIN_VENV/bin/python" ]; then echo "$MAIN_VENV/bin/python"
  else command -v python3 || die "no python3 found; set JDC_GATEWAY_PYTHON"
  fi
}

ensure_venv() {
  local dist spec bokeh
  dist=$(wanted_distributed)
  spec="dask-gateway-server[local]==$GATEWAY_VERSION dask-gateway==$GATEWAY_VERSION"
  # dask and distributed are released together and pin each other.
  [ -z "$dist" ] || spec="$spec distributed==$dist dask==$dist"
  # Without bokeh the schedulers serve an empty dashboard; use the project's version.
  bokeh=$(main_version bokeh)
  spec="$spec bokeh${bokeh:+==$bokeh}"
  if [ -x "$VENV/bin/python" ] && [ "$(cat "$VENV/.jdc-spec" 2>/dev/null)" = "$spec" ]; then
    return 0
  fi
  local py
  py=$(base_python)
  say "creating $VENV with: $spec"
  rm -rf "$VENV"
  if ! "$py" -m venv "$VENV" 2>"$STATE/venv.err"; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      say "python -m venv failed; installing Debian's python3-venv"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-venv >/dev/null \
        || die "apt-get install python3-venv failed"
      rm -rf "$VENV"
      "$py" -m venv "$VENV" || die "cannot create a virtualenv with $py (see $STATE/venv.err)"
    else
      die "cannot create a virtualenv with $py: $(cat "$STATE/venv.err")"
    fi
  fi
  # shellcheck disable=SC2086
  "$VENV/bin/python" -m pip install --quiet $spec \
    || die "pip install failed for: $spec"
  "$VENV/bin/python" -m pip check >/dev/null || die "broken requirements in $VENV: $("$VENV/bin/python" -m pip check)"
  [ -x "$VENV/bin/dask" ] && [ -x "$VENV/bin/dask-gateway-server" ] \
    || die "$VENV lacks the dask or dask-gateway-server command"
  echo "$spec" >"$VENV/.jdc-spec"
}

venv_version() {
  "$VENV/bin/python" -c "from importlib.metadata import version; print(version('$1'))"
}

free_port() {
  "$VENV/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ensure_password() {
  ( umask 077
    if [ -n "${JDC_GATEWAY_PASSWORD:-}" ]; then
      printf '%s\n' "$JDC_GATEWAY_PASSWORD" >"$PASSWORD_FILE"
    elif [ ! -s "$PASSWORD_FILE" ]; then
      "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$PASSWORD_FILE"
    fi )
  chmod 0600 "$PASSWORD_FILE"
}

# GET a URL; succeed when it answers 200 with {"status": "pass"}.
healthy() {
  "$VENV/bin/python" - "$1" <<'EOF' 2>/dev/null
import json, sys, urllib.request
with urllib.request.urlopen(sys.argv[1], timeout=2) as r:
    sys.exit(0 if json.load(r).get("status") == "pass" else 1)
EOF
}

# The proxy fetches its routing table from the private API once it runs; the access log shows it.
proxy_contacted() { grep -q 'GET /api/v1/routes' "$LOG"; }

read_env() { sed -n "s/^$1=//p" "$STATE/env" 2>/dev/null; }

write_env() {
  local api=$1 proxy=$2
  cat >"$STATE/env" <<EOF
JDC_GATEWAY_DIR=$STATE
JDC_GATEWAY_ADDRESS=http://127.0.0.1:$proxy
JDC_GATEWAY_PROXY_ADDRESS=gateway://127.0.0.1:$proxy
JDC_GATEWAY_API_ADDRESS=http://127.0.0.1:$api
JDC_GATEWAY_PASSWORD_FILE=$PASSWORD_FILE
JDC_GATEWAY_LOG=$LOG
JDC_GATEWAY_VENV=$VENV
JDC_GATEWAY_VERSION=$(venv_version dask-gateway-server)
JDC_GATEWAY_DISTRIBUTED=$(venv_version distributed)
DASK_GATEWAY__ADDRESS=http://127.0.0.1:$proxy
DASK_GATEWAY__PROXY_ADDRESS=gateway://127.0.0.1:$proxy
DASK_GATEWAY__AUTH__TYPE=basic
EOF
}

wait_ready() {
  local api=$1 proxy=$2 deadline=$((SECONDS + 60))
  until healthy "http://127.0.0.1:$api/api/health" && proxy_contacted \
        && healthy "http://127.0.0.1:$proxy/api/health"; do
    pid_alive || die "dask-gateway-server exited; last lines of $LOG:
$(tail -n 20 "$LOG")"
    [ "$SECONDS" -lt "$deadline" ] || die "dask-gateway-server not ready after 60s; see $LOG"
    sleep 0.3
  done
}

cmd_up() {
  mkdir -p "$STATE"
  ensure_venv
  local dist main
  dist=$(venv_version distributed)
  main=$(wanted_distributed)
  [ -z "$main" ] || [ "$dist" = "$main" ] \
    || die "distributed $dist in $VENV differs from $main wanted for clients"
  if pid_alive; then
    local api proxy
    api=$(read_env JDC_GATEWAY_API_ADDRESS); api=${api##*:}
    proxy=$(read_env JDC_GATEWAY_ADDRESS); proxy=${proxy##*:}
    [ -n "$api" ] && [ -n "$proxy" ] || die "server running (pid $(cat "$PIDFILE")) but $STATE/env is missing; run down first"
    wait_ready "$api" "$proxy"
  else
    ensure_password
    local api=${JDC_GATEWAY_API_PORT:-$(free_port)} proxy=${JDC_GATEWAY_PROXY_PORT:-}
    while [ -z "$proxy" ] || [ "$proxy" = "$api" ]; do proxy=$(free_port); done
    mkdir -p "$STATE/clusters"
    [ ! -f "$LOG" ] || mv -f "$LOG" "$LOG.prev"
    # Its own session, so the caller's terminal or CI step cannot signal it by accident.
    ( cd "$STATE" && JDC_GATEWAY_DIR=$STATE JDC_GATEWAY_VENV=$VENV \
        JDC_GATEWAY_API_PORT=$api JDC_GATEWAY_PROXY_PORT=$proxy \
        JDC_GATEWAY_PASSWORD_FILE=$PASSWORD_FILE PATH="$VENV/bin:$PATH" \
        "$VENV/bin/python" - "$VENV/bin/dask-gateway-server" -f "$HERE/gateway_config.py" \
          >"$PIDFILE" 2>>"$LOG" <<'EOF'
import subprocess, sys
log = open("gateway.log", "ab")
p = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                     start_new_session=True)
print(p.pid)
EOF
    ) || die "could not start dask-gateway-server; see $LOG"
    write_env "$api" "$proxy"
    wait_ready "$api" "$proxy"
  fi
  cat "$STATE/env"
  echo "GATEWAY ready"
}

# Every process started from the venv: server, proxy, schedulers, workers and their children.
venv_processes() {
  local p cmd
  for p in /proc/[0-9]*; do
    cmd=$(tr '\0' ' ' 2>/dev/null <"$p/cmdline") || continue
    case "$cmd" in *"$VENV/"*) echo "${p#/proc/}" ;; esac
  done
}

cmd_down() {
  if pid_alive; then
    local pid deadline
    pid=$(cat "$PIDFILE")
    # On SIGTERM the server stops its clusters (SIGINT, then SIGTERM, then SIGKILL each).
    kill "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 45))
    while running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.3; done
    if running "$pid"; then
      say "dask-gateway-server (pid $pid) still running after 45s; killing it"
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDFILE"
  local left
  left=$(venv_processes)
  if [ -n "$left" ]; then
    say "stopping leftover processes of $VENV: ${left//$'\n'/ }"
    # shellcheck disable=SC2086
    kill $left 2>/dev/null || true
    sleep 2
    left=$(venv_processes)
    # shellcheck disable=SC2086
    [ -z "$left" ] || kill -9 $left 2>/dev/null || true
    sleep 0.5
    [ -z "$(venv_processes)" ] || die "processes of $VENV survived SIGKILL: $(venv_processes)"
  fi
  echo "GATEWAY stopped"
}

cmd_status() {
  if ! pid_alive; then echo "dask-gateway-server: stopped"; return 1; fi
  local api
  api=$(read_env JDC_GATEWAY_API_ADDRESS)
  if healthy "$api/api/health"; then
    echo "dask-gateway-server: running (pid $(cat "$PIDFILE")), healthy at $api"
    echo "processes from $VENV: $(venv_processes | wc -l)"
    cat "$STATE/env"
  else
    echo "dask-gateway-server: running (pid $(cat "$PIDFILE")) but $api/api/health does not pass"
    return 1
  fi
}

cmd_env() {
  [ -f "$STATE/env" ] || die "no $STATE/env: run 'gateway.sh up' first"
  cat "$STATE/env"
}

cmd_check() {
  pid_alive || die "the gateway is not running: run 'gateway.sh up' first"
  local python=${JDC_GATEWAY_CHECK_PYTHON:-$VENV/bin/python}
  set -a
  # shellcheck disable=SC1091
  . "$STATE/env"
  set +a
  "$python" "$HERE/check_gateway.py"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  check) cmd_check ;;
  *) echo "usage: $0 up|down|status|env|check" >&2; exit 2 ;;
esac
