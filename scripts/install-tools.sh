#!/usr/bin/env bash
# Installs the project's pinned tools into .tools/bin, built by package name from the Go
# module proxy. A quick no-op when the pinned versions are already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

pin() { node -p "require('$root/versions.json').$1"; }
nats_server_version="$(pin natsServer)"
nats_cli_version="$(pin natsCli)"
actionlint_version="$(pin actionlint)"
pulumi_version="$(pin pulumi)"
promtool_version="$(pin promtool)"

log() { printf '[install-tools] %s\n' "$*" >&2; }

# A stamp per tool records what was built, so a bump of versions.json rebuilds it.
installed() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }

go_build() { # name module@version
  local name="$1" pkg="$2" version="$3"
  if installed "$name" "$version"; then
    log "$name $version already installed"
    return
  fi
  local started=$SECONDS
  log "building $name $version from the Go module proxy ($pkg@v$version)"
  GOBIN="$bin" CGO_ENABLED=0 go install "$pkg@v$version"
  echo "$version" > "$bin/.$name.version"
  log "$name $version built in $((SECONDS - started))s"
}

# The Pulumi engine: a tools module in .tools/src/pulumi requires github.com/pulumi/pulumi/pkg/v3
# at the pin (its own go.mod's requirements decide the rest, so the build is repeatable) and
# builds cmd/pulumi, stamped with its version as the release build does.
build_pulumi() {
  if installed pulumi "$pulumi_version"; then
    log "pulumi $pulumi_version already installed"
    return
  fi
  local started=$SECONDS src="$root/.tools/src/pulumi"
  log "building pulumi $pulumi_version from the Go module proxy (github.com/pulumi/pulumi/pkg/v3@v$pulumi_version)"
  rm -rf "$src" && mkdir -p "$src"
  (
    cd "$src"
    go mod init event-bus.local/tools/pulumi >/dev/null 2>&1
    go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$pulumi_version" >/dev/null 2>&1 ||
      go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$pulumi_version"
    CGO_ENABLED=0 go build -o "$bin/pulumi" \
      -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$pulumi_version" \
      github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  )
  echo "$pulumi_version" > "$bin/.pulumi.version"
  log "pulumi $pulumi_version built in $((SECONDS - started))s"
}

# The plugins the official CLI ships beside its binary, where the engine looks first: the Node.js
# language host (ours stands in, scripts/engine/) and the dynamic-provider host of @pulumi/pulumi.
link_pulumi_plugins() {
  ln -sf "../../scripts/engine/plugins/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
  ln -sf "../../node_modules/@pulumi/pulumi/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
}

if command -v go >/dev/null 2>&1; then
  build_pulumi
  link_pulumi_plugins
  go_build nats-server github.com/nats-io/nats-server/v2 "$nats_server_version"
  go_build nats github.com/nats-io/natscli/nats "$nats_cli_version"
  go_build actionlint github.com/rhysd/actionlint/cmd/actionlint "$actionlint_version"
  go_build promtool github.com/prometheus/prometheus/cmd/promtool "$promtool_version"
else
  log "Go is missing: falling back to Debian's nats-server package, which is NOT the pinned $nats_server_version"
  log "(tests that depend on newer server behaviour may fail; install Go for the pinned build)"
  if ! command -v nats-server >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nats-server
  fi
  ln -sf "$(command -v nats-server)" "$bin/nats-server"
  echo "debian-$(nats-server --version | awk '{print $NF}')" > "$bin/.nats-server.version"
  log "the nats CLI, actionlint, promtool and the Pulumi engine need Go; skipped"
fi
