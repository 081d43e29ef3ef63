"""The worker's faust sensors: a partition's end offset is recorded when it changes."""

from __future__ import annotations

from faust.sensors.prometheus import FaustMetrics
from faust.types import TP
from prometheus_client import CollectorRegistry

from scoring.entrypoints.worker_web import EndOffsetsOnChange


def test_the_end_offset_gauge_follows_each_partition_and_skips_repeats() -> None:
    registry = CollectorRegistry()
    monitor = EndOffsetsOnChange(metrics=FaustMetrics.create(registry, "zw_test"))
    flows, other = TP("flows", 0), TP("flows", 1)
    labelled: list[TP] = []
    gauge = monitor._metrics.topic_partition_end_offset
    original = gauge.labels

    def counting_labels(**labels: object) -> object:
        labelled.append(TP(str(labels["topic"]), int(str(labels["partition"]))))
        return original(**labels)

    gauge.labels = counting_labels  # type: ignore[method-assign]
    for offset in (10, 10, 10, 12):
        monitor.track_tp_end_offset(flows, offset)
    monitor.track_tp_end_offset(other, 10)

    def end_offset(tp: TP) -> float | None:
        return registry.get_sample_value(
            "zw_test_topic_partition_end_offset",
            {"topic": tp.topic, "partition": str(tp.partition)},
        )

    assert (end_offset(flows), end_offset(other)) == (12.0, 10.0)
    assert monitor.tp_end_offsets == {flows: 12, other: 10}
    assert labelled == [flows, flows, other]  # 10 once, then 12; the repeats skipped
