#!/usr/bin/env bash
# Checks a YARN cluster (Weir's `weir mini-yarn`, or a real one) with the real Hadoop YARN Java
# client: YarnClient, AMRMClient and NMClient (yarn-client/conformance/).
#
# Hadoop's jars come from the PyPI package pyspark, which bundles the shaded Hadoop client
# (hadoop-client-api + hadoop-client-runtime) in pyspark/jars/. The script
#   1. creates a venv in target/java-conformance/venv and pip-installs the pinned pyspark into it
#      (once; about 460 MB),
#   2. picks the few jars the client needs from pyspark/jars/,
#   3. compiles the Java program into target/java-conformance/classes (only when the sources,
#      the jars or the JDK changed),
#   4. runs it.
#
# Usage:
#   scripts/yarn-conformance.sh --setup-only
#   scripts/yarn-conformance.sh self-check                       (no cluster needed)
#   scripts/yarn-conformance.sh all --rm 127.0.0.1:8032 --scheduler 127.0.0.1:8030 \
#       [--nm-log-dir DIR]... [--am-command CMD] [--timeout-s N] ...
#   scripts/yarn-conformance.sh client --rm HOST:PORT
# Script options (before the subcommand):
#   --setup-only              prepare venv, classpath and classes; run nothing
#   --pyspark-version V       use another pyspark (default: the pinned one below)
# Everything else goes to the Java program; run `scripts/yarn-conformance.sh --help` for its
# options. Exit code: the program's (0 = all checks passed, 1 = a check failed,
# 2 = bad arguments, 3 = deadline), or 10 when the setup failed.
#
# Environment: WEIR_JAVA_CONFORMANCE_DIR overrides target/java-conformance.
set -euo pipefail

# pyspark 4.3.0 bundles Hadoop 3.5.0 (the newest Hadoop client on PyPI; needs Java 17).
# pyspark 3.5.x (smaller: ~320 MB) bundles Hadoop 3.3.4, 4.0.x Hadoop 3.4.1.
PYSPARK_VERSION_PINNED="4.3.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SOURCES_DIR="$ROOT/yarn-client/conformance/src"
LOG_CONFIG="$ROOT/yarn-client/conformance/log4j2.properties"
WORK="${WEIR_JAVA_CONFORMANCE_DIR:-$ROOT/target/java-conformance}"
VENV="$WORK/venv"
CLASSES="$WORK/classes"
MAIN_CLASS="WeirYarnConformance"

say() { echo "yarn-conformance: $*" >&2; }
die() { say "error: $*"; exit 10; }

setup_only=0
pyspark_version="$PYSPARK_VERSION_PINNED"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --setup-only) setup_only=1; shift ;;
    --pyspark-version)
      [[ $# -ge 2 ]] || die "--pyspark-version needs a value"
      pyspark_version="$2"; shift 2 ;;
    *) break ;;
  esac
done

# --- tools ---------------------------------------------------------------------------------
command -v python3 >/dev/null || die "python3 not found (needed to create the pyspark venv)"
command -v java >/dev/null || die "java not found: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)"
command -v javac >/dev/null || die "javac not found: install a JDK 17 or newer, not only a JRE (Debian: apt-get install openjdk-17-jdk-headless)"
javac_version="$(javac -version 2>&1)"
javac_major="$(sed -E 's/^javac ([0-9]+).*/\1/' <<<"$javac_version")"
[[ "$javac_major" =~ ^[0-9]+$ && "$javac_major" -ge 17 ]] \
  || die "need javac 17 or newer (Hadoop 3.5 classes are Java 17 bytecode), found: $javac_version"

# --- venv with pyspark ---------------------------------------------------------------------
installed_pyspark() {
  "$VENV/bin/python" - <<'EOF' 2>/dev/null || true
import importlib.metadata as metadata
try:
    print(metadata.version("pyspark"))
except metadata.PackageNotFoundError:
    pass
EOF
}

mkdir -p "$WORK"
if [[ ! -x "$VENV/bin/python" ]]; then
  say "creating venv $VENV"
  python3 -m venv "$VENV" || die "python3 -m venv failed (Debian: apt-get install python3-venv)"
fi
current="$(installed_pyspark)"
if [[ "$current" != "$pyspark_version" ]]; then
  say "installing pyspark==$pyspark_version into $VENV${current:+ (replacing $current)}; about 460 MB, this takes a minute"
  start_s=$SECONDS
  # --no-deps: only the bundled jars are wanted, not py4j or the Python API's dependencies.
  "$VENV/bin/pip" install --disable-pip-version-check --no-cache-dir --no-deps "pyspark==$pyspark_version" >&2 \
    || die "pip install pyspark==$pyspark_version failed (is PyPI reachable?)"
  say "installed pyspark $pyspark_version in $((SECONDS - start_s)) s"
fi

site_packages="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
JARS="$site_packages/pyspark/jars"
[[ -d "$JARS" ]] || die "$JARS does not exist: the pyspark package has no bundled jars"

# One jar per pattern, or a clear error naming what is there.
jar() {
  local pattern="$1" matches=()
  shopt -s nullglob
  matches=("$JARS"/$pattern)
  shopt -u nullglob
  if [[ ${#matches[@]} -ne 1 ]]; then
    die "want exactly one $pattern in $JARS, found ${#matches[@]}: ${matches[*]:-none}"
  fi
  echo "${matches[0]}"
}
# Needed by the client: the shaded Hadoop client (API + its relocated third-party classes) and
# slf4j, which Hadoop's classes log through.
hadoop_api="$(jar 'hadoop-client-api-*.jar')"
hadoop_runtime="$(jar 'hadoop-client-runtime-*.jar')"
slf4j_api="$(jar 'slf4j-api-*.jar')"
# Not needed to run, added so that Hadoop's warnings (retries, SASL failures) reach stderr.
log4j_binding="$(jar 'log4j-slf4j2-impl-*.jar')"
log4j_api="$(jar 'log4j-api-*.jar')"
log4j_core="$(jar 'log4j-core-*.jar')"
runtime_jars="$hadoop_api:$hadoop_runtime:$slf4j_api:$log4j_binding:$log4j_api:$log4j_core"
hadoop_version="$(basename "$hadoop_api" .jar)"; hadoop_version="${hadoop_version#hadoop-client-api-}"

# --- compile (only when something changed) -------------------------------------------------
shopt -s nullglob
sources=("$SOURCES_DIR"/*.java)
shopt -u nullglob
[[ ${#sources[@]} -gt 0 ]] || die "no Java sources in $SOURCES_DIR"
stamp="$( { echo "$javac_version"; echo "$runtime_jars"; cat "${sources[@]}"; } | sha256sum | cut -d' ' -f1)"
if [[ ! -f "$CLASSES/.stamp" || "$(cat "$CLASSES/.stamp")" != "$stamp" ]]; then
  say "compiling ${#sources[@]} Java source(s) against Hadoop $hadoop_version"
  rm -rf "$CLASSES"
  mkdir -p "$CLASSES"
  javac --release 17 -Xlint:all -Werror -encoding UTF-8 -d "$CLASSES" -cp "$hadoop_api" "${sources[@]}" \
    || die "javac failed"
  echo "$stamp" >"$CLASSES/.stamp"
fi

classpath="$CLASSES:$runtime_jars"
if [[ $setup_only -eq 1 ]]; then
  say "ready: pyspark $pyspark_version, Hadoop client $hadoop_version, $javac_version"
  say "classpath: $classpath"
  exit 0
fi

exec java -Dlog4j2.configurationFile="$LOG_CONFIG" -cp "$classpath" "$MAIN_CLASS" "$@"
