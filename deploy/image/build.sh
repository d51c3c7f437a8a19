#!/usr/bin/env bash
# Builds the bgplb container image without Docker, a registry or a base image: the Native AOT executables
# bgplb and bgplbctl plus the few shared libraries they load, taken from this (Debian) machine, in one
# layer, written as a docker-archive tarball that `docker load -i`, `kind load image-archive` and
# `ctr images import` all read (docs/kubernetes.md, docs/kind.md).
#
#   deploy/image/build.sh [-t bgplb:dev] [-o bgplb-image.tar] [--bin DIR]
#
# --bin DIR takes bgplb and bgplbctl already published there instead of publishing them.
# The layer is reproducible: files sorted, owner 0:0, mtime 0, so the same binaries give the same digests.
set -euo pipefail

tag=bgplb:dev
out=bgplb-image.tar
bin=
while [ $# -gt 0 ]; do
    case "$1" in
        -t) tag=$2; shift 2 ;;
        -o) out=$2; shift 2 ;;
        --bin) bin=$2; shift 2 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "build.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$tag" in *:*) ;; *) tag=$tag:latest ;; esac
[ "$(uname -m)" = x86_64 ] || { echo "build.sh: only linux-x64 images are built (this is $(uname -m))" >&2; exit 1; }
for tool in tar sha256sum ldd; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$(realpath -m "$out")
work=$(mktemp -d /tmp/bgplb-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

if [ -z "$bin" ]; then
    bin=$work/publish
    # RunAnalyzers=false: the analyzers only report (the solution's build runs them, warnings as errors) and
    # take half the compile; source generators still run, and Native AOT's own trim and AOT analysis too.
    for project in Daemon Ctl; do
        dotnet publish "$repo/src/$project" -c Release -r linux-x64 -p:PublishAot=true -p:RunAnalyzers=false -nologo -v quiet -o "$bin" >&2
    done
fi
for exe in bgplb bgplbctl; do
    [ -x "$bin/$exe" ] || { echo "build.sh: no executable $bin/$exe" >&2; exit 1; }
done

root=$work/rootfs
mkdir -p "$root/usr/local/bin" "$root/usr/share/doc" "$root/run/bgplb" "$root/var/lib/bgplb" "$root/tmp" "$root/etc"
install -m 0755 "$bin/bgplb" "$bin/bgplbctl" "$root/usr/local/bin/"
chmod 1777 "$root/tmp"
# A name for uid 65534, which the controller's Deployment runs as.
printf 'root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"

# What the executables link, and what .NET loads at run time with dlopen: OpenSSL, for the TLS of the
# API server connection and of the admin API over TCP. Each library with what it links in turn.
libraries() {
    ldd "$1" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
}
wanted=$(
    for file in "$bin/bgplb" "$bin/bgplbctl" /usr/lib/x86_64-linux-gnu/libssl.so.3 /usr/lib/x86_64-linux-gnu/libcrypto.so.3; do
        case "$file" in /usr/lib/*) echo "$file" ;; esac
        libraries "$file"
    done | sort -u
)
for lib in $wanted; do
    real=$(realpath "$lib")
    [ -f "$real" ] || { echo "build.sh: $lib is missing (apt-get install libssl3)" >&2; exit 1; }
    dest=$root/usr/lib/x86_64-linux-gnu/$(basename "$lib")
    mkdir -p "$(dirname "$dest")"
    cp "$real" "$dest"
done
# The program interpreter is named by absolute path in every executable (PT_INTERP).
mkdir -p "$root/lib64"
ln -s ../usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 "$root/lib64/ld-linux-x86-64.so.2"
ln -s usr/lib "$root/lib"
# The libraries' licences travel with them.
for package in libc6 libssl3; do
    mkdir -p "$root/usr/share/doc/$package"
    cp "/usr/share/doc/$package/copyright" "$root/usr/share/doc/$package/"
done

layer=$work/layer.tar
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime -C "$root" -cf "$layer" .
layer_sha=$(sha256sum "$layer" | cut -d' ' -f1)

image=$work/image
mkdir -p "$image/$layer_sha"
mv "$layer" "$image/$layer_sha/layer.tar"
config='{"architecture":"amd64","os":"linux","created":"1970-01-01T00:00:00Z",'
config+='"config":{"Entrypoint":["/usr/local/bin/bgplb"],"Env":["PATH=/usr/local/bin:/usr/bin:/bin"],"WorkingDir":"/",'
config+='"Labels":{"org.opencontainers.image.title":"bgplb"}},'
config+='"rootfs":{"type":"layers","diff_ids":["sha256:'$layer_sha'"]},'
config+='"history":[{"created":"1970-01-01T00:00:00Z","created_by":"deploy/image/build.sh"}]}'
printf '%s' "$config" > "$image/config.json"
config_sha=$(sha256sum "$image/config.json" | cut -d' ' -f1)
mv "$image/config.json" "$image/$config_sha.json"
printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config_sha" "$tag" "$layer_sha" > "$image/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$image" -cf "$out" .
echo "$out: $tag, image id sha256:$config_sha, $(du -h "$out" | cut -f1)"
