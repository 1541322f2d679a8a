#!/usr/bin/env bash
# Assembles the image's build context from a built `ruststack` binary:
#   image/assemble.sh BINARY CONTEXT_DIR
# The context holds the Containerfile, `rootfs/` (the binary, the shared
# libraries it links, busybox with its applets, this folder's rootfs) and
# `owned/` (the folders the server's user owns).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1
out=$2

busybox=$(command -v busybox || true)
# (ldd fails on a static executable.)
if [ -z "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then
    echo "assemble.sh: a static busybox is needed (Debian: apt-get install busybox-static)" >&2
    exit 1
fi

rm -rf "$out"
mkdir -p "$out/rootfs" "$out/owned"
cp "$here/Containerfile" "$out/"
cp -a "$here/rootfs/." "$out/rootfs/"
install -D -m 755 "$bin" "$out/rootfs/usr/local/bin/ruststack"

# The shared libraries, at the paths the dynamic loader looks them up by.
ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
    install -D -m 755 "$(readlink -f "$lib")" "$out/rootfs$lib"
done

install -D -m 755 "$busybox" "$out/rootfs/bin/busybox"
for applet in $("$busybox" --list); do
    case "$applet" in busybox | bash) continue ;; esac
    [ -e "$out/rootfs/bin/$applet" ] || ln -s busybox "$out/rootfs/bin/$applet"
done
# A `#!/usr/bin/env` script finds env where it looks.
mkdir -p "$out/rootfs/usr/bin"
ln -s ../../bin/busybox "$out/rootfs/usr/bin/env"

mkdir -p "$out/rootfs/tmp" "$out/rootfs/etc/localstack/init"/{boot,start,ready,shutdown}.d
chmod 1777 "$out/rootfs/tmp"
mkdir -p "$out/owned/var/lib/ruststack" "$out/owned/home/ruststack"
