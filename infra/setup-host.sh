#!/usr/bin/env bash
# What `make up` and `make test` need on this machine, set up when it is not:
#   - Redis and RabbitMQ answering at REDIS_URL / AMQP_URI (started here when they are local and down);
#   - RabbitMQ's management plugin (nameko's test fixtures use its HTTP API): enabled when
#     RabbitMQ is local, else checked and explained;
#   - with --browser: Debian's chromium for the page tests (installed when root, else the command).
# Usage: infra/setup-host.sh [--browser]. Exit 1, saying what to do, when something is missing.
set -euo pipefail

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

AMQP_URI="${AMQP_URI:-amqp://guest:guest@127.0.0.1:5672/}"
REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
MANAGEMENT_PORT="${RABBITMQ_MANAGEMENT_PORT:-15672}"

log() { echo "setup: $*"; }
fail() { echo "setup: $*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }
# host and port of a URL such as amqp://user:pass@host:5672/vhost
url_host() { local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"; echo "${rest%%:*}"; }
url_port() {
  local rest="${1#*://}"; rest="${rest#*@}"; rest="${rest%%/*}"
  if [ "${rest#*:}" != "$rest" ]; then echo "${rest##*:}"; else echo "$2"; fi
}
url_userinfo() { local rest="${1#*://}"; case "$rest" in *@*) echo "${rest%%@*}" ;; *) echo "guest:guest" ;; esac; }
is_local() { case "$1" in 127.*|localhost|::1|"") return 0 ;; *) return 1 ;; esac; }
answers() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_for() {  # wait_for SECONDS COMMAND...: poll until the command succeeds
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || return 1
    sleep 1
  done
}

# Redis
redis_host="$(url_host "$REDIS_URL")"; redis_port="$(url_port "$REDIS_URL" 6379)"
if ! answers "$redis_host" "$redis_port"; then
  is_local "$redis_host" || fail "Redis does not answer at $REDIS_URL (not on this machine: start it there)"
  command -v redis-server >/dev/null || fail "Redis is not installed: sudo apt-get install redis-server"
  log "starting Redis on port $redis_port"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  wait_for 20 answers 127.0.0.1 "$redis_port" || fail "Redis did not start on port $redis_port"
fi

# RabbitMQ
amqp_host="$(url_host "$AMQP_URI")"; amqp_port="$(url_port "$AMQP_URI" 5672)"
management_api() {
  curl -fs -o /dev/null -u "$(url_userinfo "$AMQP_URI")" "http://$amqp_host:$MANAGEMENT_PORT/api/overview"
}
if ! answers "$amqp_host" "$amqp_port"; then
  is_local "$amqp_host" || fail "RabbitMQ does not answer at $AMQP_URI (not on this machine: start it there)"
  command -v rabbitmq-server >/dev/null || fail "RabbitMQ is not installed: sudo apt-get install rabbitmq-server"
  log "starting RabbitMQ"
  rabbitmq-server -detached >/dev/null 2>&1 || true
  wait_for 120 answers 127.0.0.1 "$amqp_port" || fail "RabbitMQ did not start: see /var/log/rabbitmq/"
fi
if ! management_api; then
  if is_local "$amqp_host"; then
    log "enabling RabbitMQ's management plugin"
    rabbitmq-plugins -q enable rabbitmq_management >/dev/null \
      || fail "could not enable the management plugin: sudo rabbitmq-plugins enable rabbitmq_management"
    wait_for 60 management_api \
      || fail "the management API does not answer on port $MANAGEMENT_PORT after enabling the plugin"
  else
    fail "RabbitMQ's management API does not answer at http://$amqp_host:$MANAGEMENT_PORT/:" \
      "enable it there with  rabbitmq-plugins enable rabbitmq_management"
  fi
fi

# Chromium for the page tests
if [ "$want_browser" = 1 ] && [ ! -x /usr/bin/chromium ]; then
  is_root || fail "the page tests need Debian's Chromium: sudo apt-get install chromium"
  log "installing Debian's chromium for the page tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
    || fail "could not install chromium: apt-get install chromium"
fi
ready="Redis, RabbitMQ with its management plugin"
[ "$want_browser" = 1 ] && ready="$ready, Chromium"
log "$ready: ready"
