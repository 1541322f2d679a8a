#!/usr/bin/env bash
# Builds the container image from a built `ruststack` binary, with docker or
# podman (CONTAINER_RUNTIME chooses; otherwise whichever answers):
#   image/build.sh BINARY TAG
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
tag=$2
context="$here/../target/image-context"

runtime=${CONTAINER_RUNTIME:-}
if [ -z "$runtime" ]; then
    if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
        runtime=docker
    elif command -v podman >/dev/null 2>&1; then
        runtime=podman
    else
        echo "image/build.sh: neither docker nor podman answers; install one" >&2
        exit 1
    fi
fi

"$here/assemble.sh" "$bin" "$context"
# Podman keeps HEALTHCHECK only in Docker's image format.
format=()
[ "$(basename "$runtime")" != podman ] || format=(--format docker)
"$runtime" build "${format[@]}" -t "$tag" -f "$context/Containerfile" "$context"
echo "built $tag with $runtime: $("$runtime" image inspect "$tag" --format '{{.Size}}') bytes"
