#!/usr/bin/env bash
# Sourced by the project's scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: $JAVA_HOME if it is new enough, then the newest JDK under /usr/lib/jvm (or $ANIMA_JVM_DIR),
# then `javac` on PATH. Fails with a clear message when none is found.

_av_java_major() {
  # prints the feature version of the java binary given as $1, or nothing
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9][0-9]*\).*/\1/p' | head -n1
}

_av_find_java_home() {
  local min=21 candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    major=$(_av_java_major "$JAVA_HOME/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then echo "$JAVA_HOME"; return 0; fi
  fi
  for candidate in "${ANIMA_JVM_DIR:-/usr/lib/jvm}"/*/; do
    candidate=${candidate%/}
    [ -x "$candidate/bin/java" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(_av_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best=$candidate; best_major=$major
    fi
  done
  if [ -n "$best" ]; then echo "$best"; return 0; fi
  if command -v javac >/dev/null 2>&1; then
    candidate=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
    major=$(_av_java_major "$candidate/bin/java")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then echo "$candidate"; return 0; fi
  fi
  return 1
}

if ! AV_JAVA_HOME=$(_av_find_java_home); then
  echo "error: Anima Vault needs a JDK >= 21 (Helidon 4.5). None found in \$JAVA_HOME, ${ANIMA_JVM_DIR:-/usr/lib/jvm} or on PATH." >&2
  echo "       Install one (e.g. Temurin 25) or set JAVA_HOME to it." >&2
  return 1 2>/dev/null || exit 1
fi
export JAVA_HOME=$AV_JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
