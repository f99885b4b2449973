#!/usr/bin/env bash
# One-time set-up on a fresh machine: Java 17 + Maven (for the local Neo4j), Debian's chromium (for
# the Neo4j Browser test), a virtual environment with priorgraph and its dependencies, and the
# Neo4j jars. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}

can_apt() { [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; }
apt_updated=
apt_install() {
  [ -n "$apt_updated" ] || { apt-get update -qq; apt_updated=1; }
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

java_ok() { command -v java >/dev/null && command -v javac >/dev/null && command -v mvn >/dev/null &&
  java -version 2>&1 | grep -Eq 'version "(1[7-9]|[2-9][0-9])'; }
if ! java_ok; then
  if can_apt; then
    echo "bootstrap: installing Java 17 and Maven (Debian packages)"
    apt_install openjdk-17-jdk-headless maven
  else
    echo "bootstrap: Java 17+ (java, javac) and Maven (mvn) are needed for the local Neo4j;" >&2
    echo "           install them, or set NEO4J_URI to use another Neo4j." >&2
    exit 1
  fi
fi

# tests/kg/test_browser.py drives Neo4j Browser in /usr/bin/chromium (`make test` requires it).
if [ ! -x /usr/bin/chromium ]; then
  if can_apt; then
    echo "bootstrap: installing chromium (Debian package) for the Neo4j Browser test"
    apt_install chromium
  else
    echo "bootstrap: the Neo4j Browser test needs Debian's chromium at /usr/bin/chromium;" >&2
    echo "           install it as root (apt-get install chromium), or \`make test\` fails there." >&2
  fi
fi

stamp="$VENV/.priorgraph-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: creating $VENV and installing priorgraph[dev,gears]"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q -e '.[dev,gears]'
  touch "$stamp"
fi

"$VENV/bin/priorgraph" server provision
