#!/usr/bin/env bash
# Checks (and where it can, installs) what the test suite needs besides node_modules:
# Java 17 + Maven for the local Kafka broker, and Chromium for the built-in pages' browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v java >/dev/null || missing+=("java (Java 17+: the local Kafka broker runs on it)")
command -v mvn >/dev/null || missing+=("mvn (Maven: resolves the Kafka broker jars from Maven Central)")

if ! command -v chromium >/dev/null && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
    echo "test-prereqs: installing Debian's chromium for the browser test…" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ||
      missing+=("chromium (apt-get install chromium failed)")
  else
    missing+=("chromium (Debian: sudo apt-get install chromium)")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "test-prereqs: missing:" >&2
  printf '  - %s\n' "${missing[@]}" >&2
  exit 1
fi

# Resolve the broker jars once (cached in ~/.m2) so the first test does not pay for it.
mvn -q -B -f infra/kafka-local/pom.xml dependency:build-classpath -Dmdep.outputFile=target/classpath.txt >/dev/null
