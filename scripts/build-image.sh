#!/bin/sh
# The image's build steps, one script for the Dockerfile and for test/deploy/image.test.ts (which
# runs it on a clean copy of the repository, without a Docker engine, and starts what it made).
#
#   scripts/build-image.sh OUT        (from the repository root)
#
# 1. installs every dependency (the compiler is a dev dependency) and compiles the workspace
#    (tsc -b tsconfig.build.json: each package's dist/);
# 2. copies into OUT what runs: the manifests, the lockfile, and per workspace package its
#    package.json, dist/ and the files read at run time (migrations, generated dashboards, the
#    pages' browser script), never sources, tests or build info;
# 3. installs production dependencies only into OUT, from the same lockfile (frozen: the image
#    runs exactly the versions the suite tested).
# OUT then holds /app of the image: `node services/<service>/dist/main.js`, and bin/orgpulse
# (services/cli/dist/main.js) and bin/healthcheck.mjs. PNPM (default `npx --yes pnpm@10.34.8`) and PNPM_FLAGS
# (default --prefer-offline: a machine with a pnpm store installs without the network) can be set.
set -eu

out=${1:?usage: scripts/build-image.sh OUT_DIR}
pnpm=${PNPM:-npx --yes pnpm@10.34.8}
flags=${PNPM_FLAGS:---prefer-offline}
root=$(pwd)
[ -f "$root/pnpm-workspace.yaml" ] || { echo "build-image: run from the repository root" >&2; exit 1; }

echo "build-image: install (all dependencies) and compile" >&2
$pnpm install --frozen-lockfile $flags --reporter=silent
node node_modules/typescript/bin/tsc -b tsconfig.build.json

echo "build-image: stage runtime files in $out" >&2
mkdir -p "$out"
out=$(cd "$out" && pwd)
cp package.json pnpm-lock.yaml "$out/"
cp -R patches "$out/"
# the workspace the image holds: what runs (services/, the libraries they import, dashboards/);
# test/ and bench/ stay out, so their dependencies are never installed
cat > "$out/pnpm-workspace.yaml" <<YAML
packages:
  - "packages/*"
  - "services/*"
  - "dashboards"
YAML
sed -n '/^onlyBuiltDependencies:/,$p' pnpm-workspace.yaml >> "$out/pnpm-workspace.yaml"
for pkg in packages/* services/* dashboards; do
  [ -f "$pkg/package.json" ] || continue
  mkdir -p "$out/$pkg"
  # tar keeps the tree; the excludes drop what only building and testing need
  tar -cf - \
    --exclude=./node_modules --exclude=./test --exclude='./*.tsbuildinfo' --exclude='./tsconfig*.json' \
    --exclude='./src/*.ts' --exclude='*.test.*' --exclude='*.d.ts' --exclude='*.map' \
    -C "$pkg" . | tar -xf - -C "$out/$pkg"
done
find "$out" -type d -empty -delete
# the image's commands: `orgpulse` and the HEALTHCHECK probe (on PATH in the image)
mkdir -p "$out/bin"
cp infra/image/orgpulse infra/image/healthcheck.mjs "$out/bin/"
chmod +x "$out/bin/orgpulse" "$out/bin/healthcheck.mjs"

echo "build-image: install production dependencies in $out" >&2
cd "$out"
$pnpm install --prod --frozen-lockfile $flags --reporter=silent
echo "build-image: done ($out)" >&2
