#!/bin/sh
# Entrypoint of the offline-built Apache Kafka image (KRaft, no ZooKeeper).
# It honours the environment contract of the official apache/kafka image, so that the
# compose file and the tests configure either image the same way:
#   KAFKA_FOO_BAR=x      -> foo.bar=x
#   KAFKA_FOO__BAR=x     -> foo_bar=x      (double underscore = underscore)
#   KAFKA_FOO___BAR=x    -> foo-bar=x      (triple underscore = dash)
#   CLUSTER_ID           -> the KRaft cluster id used to format the log directory
set -eu

KAFKA_HOME=/opt/kafka
CONF=/tmp/kafka/server.properties
mkdir -p /tmp/kafka

: "${KAFKA_LOG_DIRS:=/var/lib/kafka/data}"
export KAFKA_LOG_DIRS
: "${CLUSTER_ID:=5L6g3nShT-eMCtK--X86sw}"

env | grep '^KAFKA_' | grep -v -E '^KAFKA_(HEAP_OPTS|JVM_OPTS|OPTS)=' | while IFS='=' read -r name value; do
  key=$(echo "${name#KAFKA_}" | tr 'A-Z' 'a-z' | sed -e 's/___/-/g' -e 's/__/@/g' -e 's/_/./g' -e 's/@/_/g')
  echo "$key=$value"
done > "$CONF"

CP=$(ls "$KAFKA_HOME"/libs/*.jar | tr '\n' ':')
JAVA="$KAFKA_HOME/jre/bin/java"
HEAP=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
LOG="-Dlog4j2.configurationFile=$KAFKA_HOME/config/log4j2.properties"

if [ ! -f "$(echo "$KAFKA_LOG_DIRS" | cut -d, -f1)/meta.properties" ]; then
  "$JAVA" $LOG -cp "$CP" kafka.tools.StorageTool format --standalone --ignore-formatted \
      -t "$CLUSTER_ID" -c "$CONF" 2>/dev/null \
    || "$JAVA" $LOG -cp "$CP" kafka.tools.StorageTool format --ignore-formatted \
      -t "$CLUSTER_ID" -c "$CONF"
fi

# shellcheck disable=SC2086
exec "$JAVA" $HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
  ${KAFKA_JVM_OPTS:-} $LOG -cp "$CP" kafka.Kafka "$CONF"
