#!/usr/bin/env bash
# Starts or stops a local moto server (wire-level AWS emulator) for the AWS tests.
#
#   scripts/moto.sh start   # installs moto into .build/venv if missing, starts it,
#                           # writes .build/moto.env (source it before cargo test)
#   scripts/moto.sh stop    # stops the server started by `start`
#
# Everything lives under the project's ignored .build folder.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$root/.build"
venv="$build/venv"
envfile="$build/moto.env"
pidfile="$build/moto.pid"
logfile="$build/moto.log"

install() {
    if [ ! -x "$venv/bin/moto_server" ]; then
        mkdir -p "$build"
        python3 -m venv "$venv"
        # Only the services runbook and the SSM document's test talk to: the full `server` extra is twice the size.
        "$venv/bin/pip" install --quiet --disable-pip-version-check \
            'moto[iam,sts,secretsmanager,ssm,s3]' flask flask-cors
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
    if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
        echo "moto already running (pid $(cat "$pidfile")); see $envfile"
        return 0
    fi
    install
    local port pid
    port="$(free_port)"
    "$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$logfile" 2>&1 &
    pid=$!
    echo "$pid" >"$pidfile"
    for _ in $(seq 1 100); do
        if curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" 2>/dev/null; then
            break
        fi
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "moto_server exited; log:" >&2
            cat "$logfile" >&2
            exit 1
        fi
        sleep 0.1
    done
    curl -fsS -o /dev/null "http://127.0.0.1:$port/moto-api/" || {
        echo "moto_server does not answer on port $port" >&2
        exit 1
    }
    mkdir -p "$build/home"
    cat >"$envfile" <<ENV
export AWS_ENDPOINT_URL=http://127.0.0.1:$port
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_REGION=us-east-1
export AWS_DEFAULT_REGION=us-east-1
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONFIG_FILE=$build/home/.aws/config
export AWS_SHARED_CREDENTIALS_FILE=$build/home/.aws/credentials
export MOTO_PID=$pid
ENV
    echo "moto listening on http://127.0.0.1:$port (pid $pid); source $envfile"
}

stop() {
    if [ -f "$pidfile" ]; then
        local pid
        pid="$(cat "$pidfile")"
        kill "$pid" 2>/dev/null || true
        rm -f "$pidfile" "$envfile"
        echo "moto stopped (pid $pid)"
    else
        echo "moto is not running"
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
