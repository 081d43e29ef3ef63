#!/usr/bin/env bash
# Builds a container image of Apache Kafka (the version in deploy/kafka/VERSION) without any
# container registry: the broker and its runtime dependencies come from Maven Central
# (pom.xml), the Java runtime is the host JDK trimmed with jlink plus the shared libraries it
# links, and busybox-static provides /bin/sh for the entrypoint. The image is tagged with the
# name the compose file and the tests use (KAFKA_IMAGE, default: the official apache/kafka
# name), so nothing else differs between a laptop with Docker and our podman machines.
# Usage: bash deploy/kafka/build-image.sh   (ENGINE=docker to build with Docker)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=$(cat "$HERE/VERSION")
IMAGE=${KAFKA_IMAGE:-docker.io/apache/kafka:$VERSION}
ENGINE=${ENGINE:-podman}
WORK=${KAFKA_BUILD_DIR:-$HERE/.build}
ROOT="$WORK/rootfs"

if [ "${FORCE_BUILD:-0}" != 1 ] && $ENGINE image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "[kafka-image] $IMAGE already present" >&2
  exit 0
fi

rm -rf "$WORK" && mkdir -p "$ROOT/opt/kafka/libs" "$ROOT/opt/kafka/config" "$ROOT/bin" \
  "$ROOT/tmp" "$ROOT/var/lib/kafka/data" "$ROOT/etc"
chmod 1777 "$ROOT/tmp"

echo "[kafka-image] resolving kafka_2.13:$VERSION from Maven Central" >&2
mvn -q -B -f "$HERE/pom.xml" dependency:copy-dependencies -Dkafka.version="$VERSION" \
  -DincludeScope=runtime -DoutputDirectory="$ROOT/opt/kafka/libs" >&2

echo "[kafka-image] trimming the host JDK with jlink" >&2
JAVA_HOME=${JAVA_HOME:-$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")}
"$JAVA_HOME/bin/jlink" --no-header-files --no-man-pages --strip-debug --compress=2 \
  --add-modules java.base,java.compiler,java.desktop,java.instrument,java.logging,java.management,java.management.rmi,java.naming,java.net.http,java.prefs,java.rmi,java.scripting,java.security.jgss,java.security.sasl,java.sql,java.transaction.xa,java.xml,jdk.crypto.ec,jdk.jfr,jdk.management,jdk.management.agent,jdk.naming.dns,jdk.net,jdk.security.auth,jdk.unsupported,jdk.zipfs \
  --output "$ROOT/opt/kafka/jre" 2>/dev/null

# The shared libraries the runtime links (glibc, zlib, ...), at the paths it expects.
{ ldd "$ROOT/opt/kafka/jre/bin/java"; find "$ROOT/opt/kafka/jre/lib" -name '*.so' -exec ldd {} \; ; } 2>/dev/null \
  | grep -oE '/[^ ]+\.so[^ ]*' | sort -u | while read -r lib; do
    mkdir -p "$ROOT$(dirname "$lib")"
    cp -L "$lib" "$ROOT$lib"
  done

cp /bin/busybox "$ROOT/bin/busybox"
for applet in sh ls cat tr sed grep cut env mkdir echo rm sleep; do ln -sf busybox "$ROOT/bin/$applet"; done
echo 'root:x:0:0:root:/root:/bin/sh' > "$ROOT/etc/passwd"
echo '127.0.0.1 localhost' > "$ROOT/etc/hosts"
install -m 0755 "$HERE/entrypoint.sh" "$ROOT/opt/kafka/entrypoint.sh"
cp "$HERE/log4j2.properties" "$ROOT/opt/kafka/config/"

echo "[kafka-image] building $IMAGE" >&2
pull=--pull=never
[ "$ENGINE" = docker ] && pull=
$ENGINE build $pull -t "$IMAGE" -f "$HERE/Containerfile" "$WORK" >&2
rm -rf "$WORK"
echo "[kafka-image] built $IMAGE" >&2
