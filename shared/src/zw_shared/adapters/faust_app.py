"""A faust App whose workers read only committed records.

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
from faust.types import TransportT


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


class _ReadCommittedTransport(faust_aiokafka.Transport):
    Consumer = _ReadCommittedConsumer


class ReadCommittedApp(faust.App):
    def _new_transport(self) -> TransportT:
        return _ReadCommittedTransport(self.conf.broker_consumer, self)
