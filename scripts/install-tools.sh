#!/usr/bin/env bash
# Installs the project's pinned tools (versions.json) into .tools/bin, built by package name from
# the Go module proxy. A quick no-op when the pinned versions are already there.
#   install-tools.sh local   what the local stack runs: the engine and its plugins, nats-server, the nats CLI
#   install-tools.sh fast    what the fast test tier runs: those, and actionlint
#   install-tools.sh         everything the full tier runs too: the Kubernetes provider plugin and
#                            control plane and kubectl, etcd, kwok, promtool
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="$root/.tools/bin"
mkdir -p "$bin"

pin() { node -p "require('$root/versions.json').$1"; }
log() { printf '[install-tools] %s\n' "$*" >&2; }
# Runs a command quietly; on failure runs it again so that its error is shown.
quiet() { "$@" >/dev/null 2>&1 || "$@"; }
# A field of `go mod download -json` for a module@version.
module_field() { go mod download -json "$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[process.argv[1]]))' "$2"; }

# A stamp per binary records what was built, so a bump of versions.json rebuilds it.
installed() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }

# Builds binaries in a tools module of its own, .tools/src/NAME, with BODY run inside it:
#   tools_module NAME VERSION BODY BINARY...
tools_module() {
  local name="$1" version="$2" body="$3" b missing=0
  shift 3
  for b in "$@"; do installed "$b" "$version" || missing=1; done
  if [ "$missing" = 0 ]; then
    log "$name $version already installed"
    return
  fi
  local started=$SECONDS src="$root/.tools/src/$name"
  log "building $name $version from the Go module proxy"
  rm -rf "$src" && mkdir -p "$src"
  (cd "$src" && quiet go mod init "event-bus.local/tools/$name" && "$body" "$version")
  for b in "$@"; do echo "$version" > "$bin/.$b.version"; done
  log "$name $version built in $((SECONDS - started))s"
}

# A tool whose module builds as it is: go install module/path@version.
go_install() { # name package version
  local name="$1" pkg="$2" version="$3"
  installed "$name" "$version" && { log "$name $version already installed"; return; }
  local started=$SECONDS
  log "building $name $version from the Go module proxy ($pkg@v$version)"
  GOBIN="$bin" CGO_ENABLED=0 go install "$pkg@v$version"
  echo "$version" > "$bin/.$name.version"
  log "$name $version built in $((SECONDS - started))s"
}

# The Pulumi engine: github.com/pulumi/pulumi/pkg/v3 at the pin (its own go.mod decides the
# rest, so the build is repeatable), stamped with its version as the release build does.
pulumi_body() {
  quiet go get -tool "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$1"
  CGO_ENABLED=0 go build -o "$bin/pulumi" -ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$1" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

# The Pulumi Kubernetes provider plugin: github.com/pulumi/pulumi-kubernetes/provider/v4 at the pin
# (a pseudo-version: the module is served at one commit). Its own main.go embeds files that a
# `go generate` step writes from the schema.json and terraform-mapping.json it ships; this module
# embeds those two files as they are and serves the provider as that main does, stamped with the
# pinned version.
kubernetes_provider_body() {
  local module="github.com/pulumi/pulumi-kubernetes/provider/v4" dir
  quiet go get "$module@v$1"
  dir="$(module_field "$module@v$1" Dir)"
  cp "$dir/cmd/pulumi-resource-kubernetes/schema.json" schema.json
  cp "$dir/cmd/pulumi-resource-kubernetes/terraform-mapping.json" terraform-mapping.json
  chmod u+w schema.json terraform-mapping.json
  cat > main.go <<'GO'
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var pulumiSchema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, pulumiSchema, terraformMapping)
}
GO
  quiet go mod tidy
  CGO_ENABLED=0 go build -o "$bin/pulumi-resource-kubernetes" -ldflags "-s -w -X $module/pkg/version.Version=$1" .
}

# The Kubernetes control plane for the tests, and kubectl for the runbook's commands. k8s.io/kubernetes's go.mod points its 33 staging
# modules at local paths; this module points each at its published v0.<minor>.<patch> instead.
kubernetes_body() {
  local upstream minor="${1#1.}"
  upstream="$(module_field "k8s.io/kubernetes@v$1" GoMod)"
  {
    echo "require k8s.io/kubernetes v$1"
    echo "replace ("
    grep -E '^\s+k8s.io/[a-z0-9-]+ => ./staging/' "$upstream" | awk -v v="v0.${minor}" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
    echo "tool ("
    printf '\tk8s.io/kubernetes/cmd/%s\n' kube-apiserver kube-controller-manager kube-scheduler kubectl
    echo ")"
  } >> go.mod
  quiet go mod tidy
  minor="${minor%%.*}"
  CGO_ENABLED=0 go build -o "$bin/" \
    -ldflags "-X k8s.io/component-base/version.gitVersion=v$1 -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
}

# etcd for that control plane: a main of three lines around etcdmain.Main, as etcd's own.
etcd_body() {
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' > main.go
  quiet go get "go.etcd.io/etcd/server/v3@v$1"
  quiet go mod tidy
  CGO_ENABLED=0 go build -o "$bin/etcd" .
}

# kwok's fake nodes, pods and volumes follow its stage definitions, which ship in its module. The
# nodes beat through Leases (kwok --node-lease-duration-seconds), as kubelets do, so that the node
# controller never takes them, and every pod on them, for lost.
install_kwok_stages() {
  local dir="$root/.tools/share/kwok-stages" stage stamp="$1 with node leases"
  [ "$(cat "$dir/.version" 2>/dev/null)" = "$stamp" ] && return
  stage="$(module_field "sigs.k8s.io/kwok@v$1" Dir)/kustomize/stage"
  rm -rf "$dir" && mkdir -p "$dir/objects"
  cp "$stage"/node/fast/node-initialize.yaml "$stage"/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml "$stage"/pod/fast/pod-{ready,complete,delete}.yaml "$stage"/volume/fast/{pv-bind,pv-delete,pvc-delete,pvc-provision}.yaml "$dir/"
  cp "$stage"/volume/fast/storage-class.yaml "$dir/objects/"
  echo "$stamp" > "$dir/.version"
}

# The plugins the official CLI ships beside its binary, where the engine looks first: the Node.js
# language host (ours stands in, scripts/engine/) and the dynamic-provider host of @pulumi/pulumi
# (run by scripts/engine/dynamic-provider.ts, which ends it when the engine is gone); and the
# random plugin's stand-in (scripts/engine/random-provider.ts), which the engine finds on PATH
# (scripts/pulumi puts .tools/bin there).
link_pulumi_plugins() {
  ln -sf "../../scripts/engine/plugins/pulumi-language-nodejs" "$bin/pulumi-language-nodejs"
  ln -sf "../../scripts/engine/plugins/pulumi-resource-pulumi-nodejs" "$bin/pulumi-resource-pulumi-nodejs"
  ln -sf "../../scripts/engine/plugins/pulumi-resource-random" "$bin/pulumi-resource-random"
}

set_="${1:-all}"
case "$set_" in local | fast | all) ;; *) log "unknown set '$set_': expected local, fast or all" && exit 2 ;; esac
if command -v go >/dev/null 2>&1; then
  tools_module pulumi "$(pin pulumi)" pulumi_body pulumi
  link_pulumi_plugins
  go_install nats-server github.com/nats-io/nats-server/v2 "$(pin natsServer)"
  go_install nats github.com/nats-io/natscli/nats "$(pin natsCli)"
  [ "$set_" = local ] && exit 0
  go_install actionlint github.com/rhysd/actionlint/cmd/actionlint "$(pin actionlint)"
  [ "$set_" = fast ] && exit 0
  tools_module pulumi-kubernetes "$(pin pulumiKubernetes)" kubernetes_provider_body pulumi-resource-kubernetes
  go_install promtool github.com/prometheus/prometheus/cmd/promtool "$(pin promtool)"
  tools_module etcd "$(pin etcd)" etcd_body etcd
  go_install kwok sigs.k8s.io/kwok/cmd/kwok "$(pin kwok)"
  install_kwok_stages "$(pin kwok)"
  tools_module kubernetes "$(pin kubernetes)" kubernetes_body kube-apiserver kube-controller-manager kube-scheduler kubectl
else
  log "Go is missing: falling back to Debian's nats-server package, which is NOT the pinned $(pin natsServer)"
  log "(tests that depend on newer server behaviour may fail; install Go for the pinned build)"
  if ! command -v nats-server >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nats-server
  fi
  ln -sf "$(command -v nats-server)" "$bin/nats-server"
  echo "debian-$(nats-server --version | awk '{print $NF}')" > "$bin/.nats-server.version"
  log "the nats CLI, actionlint, promtool, the Pulumi engine and the Kubernetes control plane need Go; skipped"
fi
