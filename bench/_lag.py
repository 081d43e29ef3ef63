"""Consumer lag of every consumer group of one topic prefix, in records-and-markers offsets:
what each group has committed (admin API) against what a read_committed consumer can read
(the last stable offsets).

Transaction markers take offsets but are never delivered, so a group that has read
everything commits "last record + 1" (faust does) and stays short of the end offset by the
markers after its last record. A partition counts 0 once its group has committed the offset
after the last record a consumer can see (``scoring.adapters.log_reader.data_ends``);
otherwise end - committed, which still counts the markers between the two (an upper bound
on the records waiting: with transactions of a few records each, markers can be a good part
of it).

Imported by bench/mixed.py after it has put this folder last on the import path (this
folder's scoring.py would shadow the scoring package).
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from scoring.adapters.log_reader import data_ends, partitions_of


class LagGauge:
    def __init__(self, bootstrap: str, prefix: str) -> None:
        self.bootstrap, self.prefix = bootstrap, prefix
        self._partitions: dict[str, list[TopicPartition]] = {}
        self._admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False,
            isolation_level="read_committed",
        )  # fmt: skip

    async def __aenter__(self) -> LagGauge:
        await self._admin.start()
        await self._consumer.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()
        await self._admin.close()

    async def sample(self) -> dict[str, int]:
        """Lag per group (named without the prefix), over every partition of every topic
        the group has committed on."""
        return {group: sum(parts.values()) for group, parts in (await self.behind()).items()}

    async def behind(self) -> dict[str, dict[str, int]]:
        """Per group, the partitions (``topic/partition``) it lags on and by how much."""
        committed = await self._committed()
        wanted = {tp for offsets in committed.values() for tp in offsets}
        ends: dict[TopicPartition, int] = (
            dict(await self._consumer.end_offsets(list(wanted))) if wanted else {}
        )
        behind = {
            tp: ends[tp]
            for offsets in committed.values()
            for tp, offset in offsets.items()
            if offset < ends[tp]
        }
        last = await data_ends(self.bootstrap, behind) if behind else {}
        return {
            group.removeprefix(self.prefix): {
                f"{tp.topic.removeprefix(self.prefix)}/{tp.partition}": ends[tp] - offset
                for tp, offset in offsets.items()
                if tp in last and offset < last[tp]
            }
            for group, offsets in committed.items()
        }

    async def _committed(self) -> dict[str, dict[TopicPartition, int]]:
        """Per group, the committed offset of every partition of its topics (0 where it has
        committed nothing yet)."""
        groups = sorted(
            str(found[0])
            for found in await self._admin.list_consumer_groups()
            if str(found[0]).startswith(self.prefix)
        )
        found: dict[str, dict[TopicPartition, int]] = {}
        for group in groups:
            offsets = await self._admin.list_consumer_group_offsets(group)
            topics = {tp.topic for tp in offsets}
            found[group] = {
                tp: max(0, offsets[tp].offset if tp in offsets else 0)
                for topic in sorted(topics)
                for tp in await self._topic_partitions(topic)
            }
        return found

    async def _topic_partitions(self, topic: str) -> list[TopicPartition]:
        if topic not in self._partitions:
            self._partitions[topic] = await partitions_of(self.bootstrap, topic)
        return self._partitions[topic]
