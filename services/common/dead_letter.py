"""Event handlers that retry a failing message a few times, then park it with its error.

nameko acks a message whose handler raised (the event is silently lost) or, with
`requeue_on_error`, requeues it at once, forever. Neither is acceptable: this handler republishes
a failed message with an attempt counter and, after the last attempt, publishes it to the
dead-letter exchange `bocage.dead-letters`, routed to the queue `<service>.dead-letters`, with the
error in its headers. The original is acked only once its copy is safely published.
"""

from __future__ import annotations

import traceback
from typing import Any

import eventlet
from kombu.common import maybe_declare
from kombu.entity import Exchange, Queue
from nameko.amqp.publish import Publisher, get_connection
from nameko.events import EventHandler

from services.common.settings import load_settings

DEAD_LETTER_EXCHANGE = Exchange("bocage.dead-letters", type="direct", durable=True)
ATTEMPT_HEADER = "x-bocage-attempt"


def dead_letter_queue(service_name: str) -> Queue:
    return Queue(
        f"{service_name}.dead-letters",
        exchange=DEAD_LETTER_EXCHANGE,
        routing_key=service_name,
        durable=True,
    )


class RetryingEventHandler(EventHandler):  # type: ignore[misc]
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
        headers = dict(message.headers)
        # Retried copies travel through the default exchange: remember where the original came from.
        headers.setdefault("x-original-exchange", message.delivery_info.get("exchange", ""))
        headers.setdefault("x-original-routing-key", message.delivery_info.get("routing_key", ""))
        try:
            if attempt < self.max_attempts:
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
