#!/usr/bin/env bash
# One-time set-up on a fresh machine: Java 17 + Maven (for the local Neo4j), a virtual environment
# with priorgraph and its dependencies, and the Neo4j jars. Safe to run again: each step is skipped
# when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

java_ok() { command -v java >/dev/null && command -v javac >/dev/null && command -v mvn >/dev/null &&
  java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; }
if ! java_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "bootstrap: installing Java 17 and Maven (Debian packages)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven >/dev/null
  else
    echo "bootstrap: Java 17+ (java, javac) and Maven (mvn) are needed for the local Neo4j;" >&2
    echo "           install them, or set NEO4J_URI to use another Neo4j." >&2
    exit 1
  fi
fi

stamp="$VENV/.priorgraph-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: creating $VENV and installing priorgraph[dev]"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e '.[dev]'
  touch "$stamp"
fi

"$VENV/bin/priorgraph" server provision
