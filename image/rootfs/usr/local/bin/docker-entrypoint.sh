#!/bin/sh
# Starts RustStack in its container, taking LocalStack's settings where no
# RUSTSTACK_* setting says otherwise, so that a Compose file or Testcontainers
# module written for LocalStack only changes the image name.
#
#   docker-entrypoint.sh [serve options]   serve (the default)
#   docker-entrypoint.sh health            the container's health check
#   docker-entrypoint.sh plugins|state|new|serve ...   any ruststack command
#   docker-entrypoint.sh COMMAND ...       run COMMAND (e.g. sh)
set -eu

warn() { echo "docker-entrypoint.sh: $*" >&2; }

# GATEWAY_LISTEN: LocalStack's `[host]:port[,...]`; RustStack listens on one
# address, the first.
if [ -n "${GATEWAY_LISTEN:-}" ]; then
    first=${GATEWAY_LISTEN%%,*}
    [ "$first" = "$GATEWAY_LISTEN" ] || warn "GATEWAY_LISTEN=$GATEWAY_LISTEN: listening on $first only"
    port=${first##*:}
    host=${first%:*}
    [ "$host" != "$first" ] || host=""
    host=${host#[}
    host=${host%]}
    : "${RUSTSTACK_PORT:=$port}"
    [ -z "$host" ] || : "${RUSTSTACK_HOST:=$host}"
fi
: "${RUSTSTACK_HOST:=0.0.0.0}"
: "${RUSTSTACK_PORT:=4566}"

# SERVICES: the built-in services to load (comma-separated).
[ -z "${SERVICES:-}" ] || : "${RUSTSTACK_SERVICES:=$(echo "$SERVICES" | tr -d ' ')}"
# DEFAULT_REGION: the region of requests that name none.
[ -z "${DEFAULT_REGION:-}" ] || : "${RUSTSTACK_DEFAULT_REGION:=$DEFAULT_REGION}"
# PERSISTENCE=0: keep nothing (by default data lives in the volume).
case "${PERSISTENCE:-}" in
    0 | false | False | FALSE) : "${RUSTSTACK_EPHEMERAL:=true}" ;;
esac
# DEBUG=1: debug logs.
case "${DEBUG:-}" in
    1 | true | True | TRUE) : "${RUST_LOG:=debug}" ;;
esac
: "${RUSTSTACK_DATA_DIR:=/var/lib/ruststack}"
: "${RUSTSTACK_INIT_DIR:=/etc/localstack/init}"
export RUSTSTACK_HOST RUSTSTACK_PORT RUSTSTACK_DATA_DIR RUSTSTACK_INIT_DIR
for v in RUSTSTACK_SERVICES RUSTSTACK_DEFAULT_REGION RUSTSTACK_EPHEMERAL RUST_LOG; do
    eval "[ -z \"\${$v:-}\" ] || export $v"
done

case "${1:-}" in
    "" | -*) exec /usr/local/bin/ruststack serve "$@" ;;
    health)
        case "$RUSTSTACK_HOST" in
            0.0.0.0 | :: | "") at=127.0.0.1 ;;
            *:*) at="[$RUSTSTACK_HOST]" ;;
            *) at=$RUSTSTACK_HOST ;;
        esac
        exec /usr/local/bin/ruststack health --url "http://$at:$RUSTSTACK_PORT"
        ;;
    serve | plugins | state | new) exec /usr/local/bin/ruststack "$@" ;;
    *) exec "$@" ;;
esac
