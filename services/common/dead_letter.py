"""Event handlers that retry a failing message a few times, then park it with its error.

nameko acks a message whose handler raised (the event is silently lost) or, with
`requeue_on_error`, requeues it at once, forever. Neither is acceptable: this handler republishes
a failed message with an attempt counter and, after the last attempt, publishes it to the
dead-letter exchange `bocage.dead-letters`, routed to the queue `<service>.dead-letters`, with the
error in its headers. The original is acked only once its copy is safely published.

Two kinds of poison skip the retries, since another try cannot change their fate: a message its
handler rejects as invalid (`InvalidMessage`: it does not match its contract) and a message that
cannot even be decoded (not JSON, or a content type the services do not accept). kombu would log
and drop the latter; here it is parked as it came, with the decoding error.
"""

from __future__ import annotations

import traceback
from functools import partial
from typing import Any

import eventlet
from kombu.common import maybe_declare
from kombu.entity import Exchange, Queue
from nameko.amqp.publish import Publisher, get_connection
from nameko.events import EventHandler
from nameko.messaging import QueueConsumer

from services.common.events import InvalidMessage
from services.common.settings import load_settings

DEAD_LETTER_EXCHANGE = Exchange("bocage.dead-letters", type="direct", durable=True)
ATTEMPT_HEADER = "x-bocage-attempt"
# Errors that say the message itself is wrong: parked at the first attempt.
NOT_RETRIED: tuple[type[BaseException], ...] = (InvalidMessage,)


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(
        f"{service_name}.dead-letters",
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=service_name,
        durable=True,
    )


def _origin_headers(message: Any) -> dict[str, Any]:
    headers = dict(message.headers or {})
    # Retried copies travel through the default exchange: remember where the original came from.
    headers.setdefault("x-original-exchange", message.delivery_info.get("exchange", ""))
    headers.setdefault("x-original-routing-key", message.delivery_info.get("routing_key", ""))
    return headers


class ParkingQueueConsumer(QueueConsumer):  # type: ignore[misc]
    """nameko's queue consumer, except that a message that cannot be decoded is parked in the
    handler's dead-letter queue (kombu would log it and drop it)."""

    def get_consumers(self, consumer_cls: Any, channel: Any) -> Any:
        consumers = super().get_consumers(consumer_cls, channel)
        for provider, consumer in self._consumers.items():
            consumer.on_decode_error = partial(self._park_undecodable, provider)
        return consumers

    def _park_undecodable(self, provider: Any, message: Any, exc: Exception) -> None:
        headers = _origin_headers(message)
        headers.update(
            {
                "x-error-type": type(exc).__name__,
                "x-error": str(exc)[:2000],
                "x-attempts": 1,
                "x-original-queue": provider.queue.name,
            }
        )
        try:
            provider.publisher.publish(
                message.body,
                exchange=DEAD_LETTER_EXCHANGE,
                routing_key=provider.container.service_name,
                headers=headers,
                content_type=message.content_type or "application/octet-stream",
                content_encoding=message.content_encoding or "binary",
            )
        except Exception:
            # Could not park it: back to the broker rather than lost.
            message.requeue()
            raise
        message.ack()


class RetryingEventHandler(EventHandler):  # type: ignore[misc]
    queue_consumer = ParkingQueueConsumer()

    def setup(self) -> None:
        super().setup()
        settings = load_settings(self.container.config)
        self.max_attempts = settings.dead_letter_max_attempts
        self.backoff_s = settings.dead_letter_backoff_s
        self.amqp_uri = settings.amqp_uri
        self.dead_letters = dead_letter_queue(self.container.service_name)
        with get_connection(self.amqp_uri) as connection:
            # Declared up front so that a parked message always has somewhere to land.
            maybe_declare(self.dead_letters, connection.channel())
        self.publisher = Publisher(self.amqp_uri, serializer="json")

    def handle_message_processed(
        self, message: Any, result: Any = None, exc_info: Any = None
    ) -> None:
        if exc_info is None:
            self.queue_consumer.ack_message(message)
            return
        attempt = int(message.headers.get(ATTEMPT_HEADER, 1))
        headers = _origin_headers(message)
        final = attempt >= self.max_attempts or issubclass(exc_info[0], NOT_RETRIED)
        try:
            if not final:
                eventlet.sleep(self.backoff_s * attempt)
                headers[ATTEMPT_HEADER] = attempt + 1
                # The default exchange routes by queue name: the copy reaches this handler only.
                self.publisher.publish(
                    message.payload, exchange="", routing_key=self.queue.name, headers=headers
                )
            else:
                exc_type, exc, tb = exc_info
                headers.update(
                    {
                        "x-error-type": exc_type.__name__,
                        "x-error": str(exc)[:2000],
                        "x-traceback": "".join(traceback.format_tb(tb))[-4000:],
                        "x-attempts": attempt,
                        "x-original-queue": self.queue.name,
                    }
                )
                self.publisher.publish(
                    message.payload,
                    exchange=DEAD_LETTER_EXCHANGE,
                    routing_key=self.container.service_name,
                    headers=headers,
                )
        except Exception:
            # Could not republish: give the message back to the broker rather than lose it.
            self.queue_consumer.requeue_message(message)
            raise
        self.queue_consumer.ack_message(message)


event_handler = RetryingEventHandler.decorator
