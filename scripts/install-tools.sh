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
kubernetes_version="$(pin kubernetes)"
etcd_version="$(pin etcd)"
kwok_version="$(pin kwok)"

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

# The Kubernetes control plane for the tests: kube-apiserver, kube-controller-manager and
# kube-scheduler from k8s.io/kubernetes, whose go.mod points its 33 staging modules at local
# paths; the tools module points each at its published v0.<minor>.<patch> instead.
build_kubernetes() {
  if installed kube-apiserver "$kubernetes_version" && installed kube-controller-manager "$kubernetes_version" && installed kube-scheduler "$kubernetes_version"; then
    log "kubernetes $kubernetes_version control plane already installed"
    return
  fi
  local started=$SECONDS src="$root/.tools/src/kubernetes" staging="v0.${kubernetes_version#1.}"
  log "building kube-apiserver, kube-controller-manager, kube-scheduler $kubernetes_version from the Go module proxy"
  rm -rf "$src" && mkdir -p "$src"
  (
    cd "$src"
    go mod init event-bus.local/tools/kubernetes >/dev/null 2>&1
    local upstream
    upstream="$(go mod download -json "k8s.io/kubernetes@v$kubernetes_version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).GoMod))')"
    {
      echo "require k8s.io/kubernetes v$kubernetes_version"
      echo "replace ("
      grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging/' "$upstream" | awk -v v="$staging" '{print "	" $1 " => " $1 " " v}'
      echo ")"
      echo "tool ("
      printf '	k8s.io/kubernetes/cmd/%s
' kube-apiserver kube-controller-manager kube-scheduler
      echo ")"
    } >> go.mod
    go mod tidy >/dev/null 2>&1 || go mod tidy
    local minor="${kubernetes_version#1.}" && minor="${minor%%.*}"
    CGO_ENABLED=0 go build -o "$bin/" \
      -ldflags "-X k8s.io/component-base/version.gitVersion=v$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
      k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler
  )
  for b in kube-apiserver kube-controller-manager kube-scheduler; do echo "$kubernetes_version" > "$bin/.$b.version"; done
  log "kubernetes $kubernetes_version control plane built in $((SECONDS - started))s"
}

# etcd for that control plane: a main of three lines around etcdmain.Main, as etcd's own.
build_etcd() {
  if installed etcd "$etcd_version"; then
    log "etcd $etcd_version already installed"
    return
  fi
  local started=$SECONDS src="$root/.tools/src/etcd"
  log "building etcd $etcd_version from the Go module proxy"
  rm -rf "$src" && mkdir -p "$src"
  (
    cd "$src"
    go mod init event-bus.local/tools/etcd >/dev/null 2>&1
    printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
    go get "go.etcd.io/etcd/server/v3@v$etcd_version" >/dev/null 2>&1 || go get "go.etcd.io/etcd/server/v3@v$etcd_version"
    go mod tidy >/dev/null 2>&1 || go mod tidy
    CGO_ENABLED=0 go build -o "$bin/etcd" .
  )
  echo "$etcd_version" > "$bin/.etcd.version"
  log "etcd $etcd_version built in $((SECONDS - started))s"
}

# kwok's fake nodes need its stage definitions, which ship in its module's source.
install_kwok_stages() {
  local dir="$root/.tools/share/kwok-stages" modsrc
  [ -f "$dir/.version" ] && [ "$(cat "$dir/.version")" = "$kwok_version" ] && return
  modsrc="$(go mod download -json "sigs.k8s.io/kwok@v$kwok_version" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')"
  rm -rf "$dir" && mkdir -p "$dir/objects"
  local stage="$modsrc/kustomize/stage"
  cp "$stage"/node/fast/node-initialize.yaml "$stage"/pod/fast/pod-{ready,complete,delete}.yaml "$stage"/volume/fast/{pv-bind,pv-delete,pvc-delete,pvc-provision}.yaml "$dir/"
  cp "$stage"/volume/fast/storage-class.yaml "$dir/objects/"
  echo "$kwok_version" > "$dir/.version"
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
  build_etcd
  go_build kwok sigs.k8s.io/kwok/cmd/kwok "$kwok_version"
  install_kwok_stages
  build_kubernetes
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
