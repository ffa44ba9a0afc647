#!/usr/bin/env bash
# npm run setup:docker: everything the Docker backend, docker-compose.yml and the local
# backend's link faults need, each step skipped when already done (one line per step):
#   1. a Docker engine that answers `docker info` (as root with apt: installs docker.io and
#      starts dockerd in the background, log in $DOCKERD_LOG), and docker-compose or `docker compose`
#   2. Toxiproxy 2.12.0 built statically from the Go module proxy into
#      node_modules/.cache/hyparview-harness/toxiproxy/ (toxiproxy-server, toxiproxy-cli)
#   3. the images: ghcr.io/shopify/toxiproxy:2.12.0 and node:20-bookworm-slim, pulled, or
#      where no registry answers, imported offline (the static Toxiproxy binary; a root
#      filesystem holding this machine's node binary and the libraries it links)
#   4. the node image hyparview-harness-node:<hash> and :latest (clusters/images/build.ts)
# Exit 0 when all is there; 2 with one line naming the step that failed.
# The image names and the version are those of clusters/images/images.ts: keep them in step.
set -euo pipefail

TOXIPROXY_VERSION=2.12.0
TOXIPROXY_IMAGE="ghcr.io/shopify/toxiproxy:${TOXIPROXY_VERSION}"
NODE_BASE_IMAGE="node:20-bookworm-slim"
DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="$REPO/node_modules/.cache/hyparview-harness"
TP_DIR="$CACHE/toxiproxy"
LOG="$CACHE/setup-docker.log"
STARTED=$SECONDS

say() { printf 'setup:docker: %s\n' "$*"; }
fail() {
  printf 'setup:docker: %s\n' "$*" >&2
  exit 2
}
trap 'fail "unexpected failure (line $LINENO: $BASH_COMMAND); output of the steps: $LOG"' ERR

mkdir -p "$CACHE"
printf '\n=== setup:docker %s\n' "$(date -u +%FT%TZ)" >>"$LOG"

# Runs a command with its output in $LOG; on failure shows the log's tail and names the step.
run() {
  local what=$1
  shift
  printf '+ %s\n' "$*" >>"$LOG"
  if ! "$@" >>"$LOG" 2>&1; then
    tail -n 15 "$LOG" | sed 's/^/  | /' >&2
    fail "$what failed (full output: $LOG)"
  fi
}

is_root() { [ "$(id -u)" = 0 ]; }
can_apt() { is_root && command -v apt-get >/dev/null 2>&1; }
APT_UPDATED=0
apt_install() {
  if [ "$APT_UPDATED" = 0 ]; then
    run "apt-get update" apt-get update
    APT_UPDATED=1
  fi
  run "apt-get install $*" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"
}

# ---- 1. Docker engine and compose ------------------------------------------------------
engine_version() { docker info --format '{{.ServerVersion}}' 2>/dev/null; }

if v=$(engine_version) && [ -n "$v" ]; then
  say "docker engine $v: answering (skip)"
else
  info_err=$(docker info 2>&1 || true)
  if [[ $info_err == *"permission denied"* ]]; then
    fail "the Docker engine refuses this user (permission denied on its socket): run as root or join the docker group"
  fi
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    can_apt || fail "no Docker engine answers and dockerd is not installed: install and start Docker (as root on Debian/Ubuntu this script installs docker.io itself)"
    say "docker engine: installing docker.io docker-compose (apt-get, about a minute)"
    apt_install docker.io docker-compose
  fi
  if pgrep -x dockerd >/dev/null 2>&1; then
    say "docker engine: dockerd already running, waiting for it to answer"
  else
    is_root || fail "no Docker engine answers: start Docker (dockerd needs root) or run this as root"
    say "docker engine: starting dockerd (log: $DOCKERD_LOG)"
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  fi
  for _ in $(seq 1 60); do
    if v=$(engine_version) && [ -n "$v" ]; then break; fi
    sleep 1
  done
  if ! { v=$(engine_version) && [ -n "$v" ]; }; then
    why=$(docker info 2>&1 | grep -v '^\s*$' | tail -n 1 || true)
    fail "docker engine did not answer within 60 s (${why:-no output}); see $DOCKERD_LOG"
  fi
  say "docker engine $v: answering"
fi

if c=$(docker-compose version --short 2>/dev/null); then
  say "docker-compose $c: present (skip)"
elif c=$(docker compose version --short 2>/dev/null); then
  say "docker compose $c: present (skip)"
else
  can_apt || fail "neither docker-compose nor docker compose is installed: install one (as root on Debian/Ubuntu this script installs docker-compose itself)"
  say "docker-compose: installing (apt-get)"
  apt_install docker-compose
  c=$(docker-compose version --short 2>/dev/null) || fail "docker-compose installed but does not run; see $LOG"
  say "docker-compose $c: installed"
fi

# ---- 2. Toxiproxy ----------------------------------------------------------------------
# A registry that serves the image makes the import below unnecessary.
have_image() { docker image inspect --format '{{.Id}}' "$1" >/dev/null 2>&1; }
try_pull() {
  printf '+ docker pull %s\n' "$1" >>"$LOG"
  timeout 300 docker pull --quiet "$1" >>"$LOG" 2>&1
}

TP_IMAGE_STATE=missing
if have_image "$TOXIPROXY_IMAGE"; then
  TP_IMAGE_STATE=present
elif try_pull "$TOXIPROXY_IMAGE"; then
  TP_IMAGE_STATE=pulled
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then PATH="$PATH:/usr/local/go/bin"; fi
tp_version_ok() { "$TP_DIR/toxiproxy-server" -version 2>/dev/null | grep -q "version ${TOXIPROXY_VERSION}\$"; }

if tp_version_ok; then
  say "toxiproxy-server $TOXIPROXY_VERSION: built (skip) $TP_DIR/toxiproxy-server"
elif command -v go >/dev/null 2>&1; then
  say "toxiproxy-server $TOXIPROXY_VERSION: building from the Go module proxy (about a minute cold)"
  gobin=$(mktemp -d)
  run "go install of Toxiproxy $TOXIPROXY_VERSION" env CGO_ENABLED=0 GOBIN="$gobin" go install \
    -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=${TOXIPROXY_VERSION}" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v${TOXIPROXY_VERSION}" \
    "github.com/Shopify/toxiproxy/v2/cmd/cli@v${TOXIPROXY_VERSION}"
  mkdir -p "$TP_DIR"
  mv -f "$gobin/cli" "$TP_DIR/toxiproxy-cli"
  mv -f "$gobin/server" "$TP_DIR/toxiproxy-server"
  rmdir "$gobin" 2>/dev/null || true
  tp_version_ok || fail "the toxiproxy-server just built does not print version $TOXIPROXY_VERSION; see $LOG"
  say "toxiproxy-server $TOXIPROXY_VERSION: built $TP_DIR/toxiproxy-server (+ toxiproxy-cli)"
elif [ "$TP_IMAGE_STATE" = missing ]; then
  fail "Go is needed to build Toxiproxy $TOXIPROXY_VERSION (no go on PATH, and $TOXIPROXY_IMAGE is neither present nor pullable)"
else
  say "toxiproxy-server: not built (no Go); the image is there, but the local backend will need TOXIPROXY_SERVER"
fi

case $TP_IMAGE_STATE in
  present) say "image $TOXIPROXY_IMAGE: present (skip)" ;;
  pulled) say "image $TOXIPROXY_IMAGE: pulled" ;;
  missing)
    ctx=$(mktemp -d)
    cp "$TP_DIR/toxiproxy-server" "$ctx/toxiproxy"
    cp "$TP_DIR/toxiproxy-cli" "$ctx/toxiproxy-cli"
    printf '+ docker import %s\n' "$TOXIPROXY_IMAGE" >>"$LOG"
    if ! tar --owner=0 --group=0 --numeric-owner -C "$ctx" -c . |
      docker import -c 'ENTRYPOINT ["/toxiproxy"]' -c 'CMD ["-host=0.0.0.0"]' -c 'EXPOSE 8474' -c 'ENV LOG_LEVEL=info' - "$TOXIPROXY_IMAGE" >>"$LOG" 2>&1; then
      rm -rf "$ctx"
      fail "importing $TOXIPROXY_IMAGE failed; see $LOG"
    fi
    rm -rf "$ctx"
    out=$(docker run --rm --label hyparview-harness=setup "$TOXIPROXY_IMAGE" -version 2>&1 || true)
    case $out in
      *"version $TOXIPROXY_VERSION"*) ;;
      *) docker rmi "$TOXIPROXY_IMAGE" >/dev/null 2>&1 || true
         fail "the imported $TOXIPROXY_IMAGE does not run (${out:-no output})" ;;
    esac
    say "image $TOXIPROXY_IMAGE: imported offline from the static server (no registry)"
    ;;
esac

# ---- 3. Node base image ----------------------------------------------------------------
# Offline stand-in for the official image: this machine's node, the libraries ldd lists, and
# the /etc files glibc's name resolution and user lookup read. Checked by resolving another
# container's alias on a user-defined network, as compose and the Docker backend need.
seed_node_base() {
  local node_bin rootfs lib version
  node_bin=$(readlink -f "$(command -v node)")
  version=$("$node_bin" --version)
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/usr/local/bin" "$rootfs/etc" "$rootfs/tmp" "$rootfs/root" "$rootfs/home/node" "$rootfs/app"
  chmod 1777 "$rootfs/tmp"
  cp "$node_bin" "$rootfs/usr/local/bin/node"
  for lib in $(ldd "$node_bin" | grep -o '/[^ ]*'); do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n' >"$rootfs/etc/nsswitch.conf"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnode:x:1000:1000::/home/node:/usr/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnode:x:1000:\n' >"$rootfs/etc/group"
  printf '+ docker import %s (node %s)\n' "$NODE_BASE_IMAGE" "$version" >>"$LOG"
  if ! tar --owner=0 --group=0 --numeric-owner -C "$rootfs" -c . |
    docker import -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c "ENV NODE_VERSION=${version#v}" -c 'CMD ["node"]' - "$NODE_BASE_IMAGE" >>"$LOG" 2>&1; then
    rm -rf "$rootfs"
    fail "importing $NODE_BASE_IMAGE failed; see $LOG"
  fi
  rm -rf "$rootfs"
  NODE_BASE_VERSION=$version
}

check_node_base_dns() {
  local net="hyparview-setup-dns-$$" target="hyparview-setup-dns-target-$$" out ok=0
  docker network create --label hyparview-harness=setup "$net" >>"$LOG" 2>&1 || return 1
  if docker run -d --rm --label hyparview-harness=setup --name "$target" --network "$net" --network-alias dns-target \
    "$NODE_BASE_IMAGE" node -e 'setTimeout(() => {}, 30000)' >>"$LOG" 2>&1; then
    out=$(docker run --rm --label hyparview-harness=setup --network "$net" "$NODE_BASE_IMAGE" node -e \
      "require('dns').lookup('dns-target', (e, a) => { if (e) { console.log('lookup failed: ' + e.code); process.exit(1); } console.log('resolved ' + a); })" 2>&1) && ok=1
    printf '%s\n' "$out" >>"$LOG"
  fi
  docker rm -f "$target" >/dev/null 2>&1 || true
  docker network rm "$net" >/dev/null 2>&1 || true
  [ "$ok" = 1 ]
}

if have_image "$NODE_BASE_IMAGE"; then
  say "image $NODE_BASE_IMAGE: present (skip)"
elif try_pull "$NODE_BASE_IMAGE"; then
  say "image $NODE_BASE_IMAGE: pulled"
else
  command -v node >/dev/null 2>&1 || fail "$NODE_BASE_IMAGE cannot be pulled and there is no node binary to import one from"
  NODE_BASE_VERSION=
  seed_node_base
  if ! check_node_base_dns; then
    docker rmi "$NODE_BASE_IMAGE" >/dev/null 2>&1 || true
    fail "the imported $NODE_BASE_IMAGE cannot resolve another container's name on a user-defined network; see $LOG"
  fi
  case $NODE_BASE_VERSION in
    v20.*) say "image $NODE_BASE_IMAGE: imported offline from this machine's node $NODE_BASE_VERSION (no registry); container DNS checked" ;;
    *) say "image $NODE_BASE_IMAGE: imported offline from this machine's node $NODE_BASE_VERSION (NOT Node 20: the tag is only a stand-in); container DNS checked" ;;
  esac
fi

# ---- 4. Node image ---------------------------------------------------------------------
[ -d "$REPO/node_modules/tsx" ] || fail "node_modules is missing: run npm ci first"
printf '+ build.ts\n' >>"$LOG"
if ! out=$(cd "$REPO" && node --import tsx clusters/images/build.ts 2>>"$LOG"); then
  line=$(tail -n 1 "$LOG")
  fail "${line:-node image build failed; see $LOG}"
fi
while IFS= read -r line; do say "$line"; done <<<"$out"

say "ready in $((SECONDS - STARTED)) s"
