"""A faust App whose workers read only committed records, and commit past the offsets that
transactions leave without records.

Our writers publish in Kafka transactions (``TransactionalPublisher``); a write the API
refused with 503 may sit in the log inside an aborted transaction. faust switches its
consumer to ``read_committed`` only under ``processing_guarantee="exactly_once"``, which would
also make every agent's output transactional. This App keeps faust's processing as it is
and changes just the isolation level of the worker's consumer.
"""

from __future__ import annotations

from typing import Any

import faust
from faust.transport.drivers import aiokafka as faust_aiokafka
from faust.types import TP, TransportT


class _ReadCommittedConsumerThread(faust_aiokafka.AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        # faust's one switch for read_committed is the consumer's in_transaction flag, read
        # while the consumer is built; set it for exactly that call and no other.
        consumer = self.consumer
        was = consumer.in_transaction
        consumer.in_transaction = True
        try:
            return super()._create_worker_consumer(transport)
        finally:
            consumer.in_transaction = was


class _ReadCommittedConsumer(faust_aiokafka.Consumer):
    def _new_consumer_thread(self) -> _ReadCommittedConsumerThread:
        return _ReadCommittedConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def _add_gap(self, tp: TP, offset_from: int, offset_to: int) -> None:
        # Every transaction leaves a commit marker, an offset no consumer is given. faust
        # records the offsets skipped before a record as a gap to commit past, but its gap
        # ends *at* the record (``offset_to`` is the record's offset), and the record is acked
        # as well: the offset is then counted twice, the run of consecutive offsets that
        # faust commits up to breaks at the duplicate, and each commit advances one
        # transaction only. Under a stream of transactions the committed offsets fall behind
        # without bound (robinhood/faust#625). The gap is the skipped offsets only.
        await super()._add_gap(tp, offset_from, offset_to - 1)


class _ReadCommittedTransport(faust_aiokafka.Transport):
    Consumer = _ReadCommittedConsumer


class ReadCommittedApp(faust.App):
    def _new_transport(self) -> TransportT:
        return _ReadCommittedTransport(self.conf.broker_consumer, self)
