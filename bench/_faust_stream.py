"""A faust worker that does nothing with the waste-flow events but take them: the same app
class as the scoring worker (``ReadCommittedApp``), an agent taking the topic in batches of
the worker's size, no tables and no output. ``bench/scoring.py`` runs it over the same topic
as the scoring worker to time faust's per-event path: Kafka fetch, faust's messages and
events, the stream and the acks (the path of every faust agent; the scoring worker has
taken the waste flows off it since 2026-12-07, see ``zw_shared.adapters.faust_batches``).

Run by bench/scoring.py: ``python bench/_faust_stream.py worker -l warn --without-web``
with BENCH_BOOTSTRAP, BENCH_TOPIC, BENCH_GROUP, BENCH_EVENTS, BENCH_BATCH_MAX_EVENTS and
BENCH_BATCH_WITHIN_S (the scoring worker's defaults) and BENCH_OUT (a file that
receives ``events_per_s``: from the first batch to the last event, excluding the first
batch). Not a benchmark itself.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from zw_shared.adapters.faust_app import ReadCommittedApp

EVENTS = int(os.environ.get("BENCH_EVENTS", "0"))
BATCH_MAX_EVENTS = int(os.environ["BENCH_BATCH_MAX_EVENTS"])
BATCH_WITHIN_S = float(os.environ["BENCH_BATCH_WITHIN_S"])
app = ReadCommittedApp(
    os.environ.get("BENCH_GROUP", "bench-faust-stream"),
    broker=f"kafka://{os.environ.get('BENCH_BOOTSTRAP', 'localhost:9092')}",
    store="memory://",
    web_enabled=False,
)
topic = app.topic(
    os.environ.get("BENCH_TOPIC", "bench"),
    key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw",
)  # fmt: skip


@app.agent(topic)
async def take(stream: Any) -> None:
    seen, first = 0, None
    async for events in stream.take_events(BATCH_MAX_EVENTS, within=BATCH_WITHIN_S):
        if first is None:
            began, first = time.perf_counter(), len(events)
        seen += len(events)
        if seen >= EVENTS:
            rate = (seen - first) / max(time.perf_counter() - began, 1e-9)
            Path(os.environ["BENCH_OUT"]).write_text(f"{rate:.1f}\n")  # noqa: ASYNC240  # last act
            os._exit(0)  # the figure is written; nothing to commit or clean up


if __name__ == "__main__":
    app.main()
