"""The SensorThings MQTT extension (OGC 18-088 §14.2) on an external broker (Mosquitto, EMQX).

* receive-updates-via-mqtt: every entity created or updated through the service is published on
  ``v1.1/<Set>``, ``v1.1/<Set>(<id>)`` and its parents' collections, e.g.
  ``v1.1/Datastreams(5)/Observations`` (QoS ``sta.mqtt_qos``, not retained);
* create-observations-via-mqtt: an Observation published by a client on ``v1.1/Observations``,
  ``v1.1/Datastreams(<id>)/Observations`` or ``v1.1/FeaturesOfInterest(<id>)/Observations`` is
  created like a POST by the user ``mqtt``; one that cannot be stored goes to the quarantine
  with its reason. Each batch of messages created together is one ``sta.create`` audit entry.

The bridge subscribes with MQTT 5 *No Local*, so it never reads back what it published itself;
a message carrying ``@iot.id`` or ``@iot.selfLink`` is a notification (of another ecodata
process) and is not created again. It runs inside ``ecodata serve`` (:func:`serve_mqtt`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import queue
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

import click

from ecodata.errors import ConfigError
from ecodata.security.principal import Principal
from ecodata.sensorthings.audit import change_recorder
from ecodata.sensorthings.events import Event
from ecodata.sensorthings.service import Access, SensorThings, service_for
from ecodata.settings import Settings
from ecodata.store.provenance import Rejected
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

VERSION = "v1.1"
#: Topics on which clients create Observations (``+`` matches Datastreams(5) etc.).
CREATE_TOPICS = (f"{VERSION}/Observations", f"{VERSION}/+/Observations")
BATCH = 500  # most messages created in one go


def broker_address(url: str) -> tuple[str, int, bool]:
    """(host, port, tls) of ``mqtt://host:1883`` / ``mqtts://host:8883``."""
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ConfigError(f"sta.mqtt_url {url!r} is not mqtt://host:port or mqtts://host:port")
    tls = parts.scheme == "mqtts"
    return parts.hostname, parts.port or (8883 if tls else 1883), tls


def public_url(settings: Settings) -> str:
    if settings.sta.public_url:
        return settings.sta.public_url.rstrip("/")
    return f"http://{settings.api.host}:{settings.api.port}/sta/{VERSION}"


class MqttBridge:
    """Connects the service of one installation to an MQTT broker (a paho client thread plus one
    worker thread creating the published observations in order)."""

    def __init__(self, stores: Stores, settings: Settings | None = None) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.enums import CallbackAPIVersion

        self.settings = settings or stores.settings
        if not self.settings.sta.mqtt_url:
            raise ConfigError("set sta.mqtt_url (ECODATA_STA__MQTT_URL) to run the MQTT bridge")
        self.host, self.port, tls = broker_address(self.settings.sta.mqtt_url)
        self.qos = self.settings.sta.mqtt_qos
        self.base = public_url(self.settings)
        self.stores = stores
        self.service: SensorThings = service_for(stores)
        user = Principal("mqtt", None, via="mqtt", client=f"mqtt://{self.host}:{self.port}")
        self.access = Access(
            user=user.name, audit_change=change_recorder(stores.registry.engine, user)
        )
        self.connected = threading.Event()
        self._queue: queue.Queue[tuple[str, bytes] | None] = queue.Queue(maxsize=100_000)
        self._unsubscribe: Any = None
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"ecodata-sta-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv5,
        )
        if self.settings.sta.mqtt_username:
            password = self.settings.sta.mqtt_password
            self.client.username_pw_set(
                self.settings.sta.mqtt_username,
                password.get_secret_value() if password else None,
            )
        if tls:
            self.client.tls_set()
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        self._worker = threading.Thread(target=self._work, name="ecodata-sta-mqtt", daemon=True)

    # -- life cycle -------------------------------------------------------------------------------

    def start(self, timeout: float = 10.0) -> None:
        """Connect, subscribe and start publishing; :class:`ConfigError` if the broker cannot be
        reached within ``timeout`` seconds."""
        self._worker.start()
        try:
            self.client.connect(self.host, self.port, keepalive=30)
        except OSError as exc:
            raise ConfigError(
                f"cannot reach the MQTT broker {self.host}:{self.port} (sta.mqtt_url): {exc}"
            ) from None
        self.client.loop_start()
        if not self.connected.wait(timeout):
            self.stop()
            raise ConfigError(f"the MQTT broker {self.host}:{self.port} did not accept us")
        self._unsubscribe = self.service.hub.subscribe(self.publish)
        log.info("SensorThings MQTT bridge connected to %s:%d", self.host, self.port)

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.client.loop_stop()
        self.client.disconnect()
        self._queue.put(None)
        if self._worker.is_alive():
            self._worker.join(timeout=10)

    def __enter__(self) -> MqttBridge:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- receive updates (18-088 §14.2.2) ---------------------------------------------------------

    def publish(self, event: Event) -> None:
        payload = json.dumps(event.payload, ensure_ascii=False)
        for topic in event.topics:
            self.client.publish(f"{VERSION}/{topic}", payload, qos=self.qos)

    # -- create observations (18-088 §14.2.1) -----------------------------------------------------

    def _on_connect(
        self, client: Any, _userdata: Any, _flags: Any, reason: Any, _props: Any
    ) -> None:
        from paho.mqtt.subscribeoptions import SubscribeOptions

        if getattr(reason, "is_failure", False):
            log.error("the MQTT broker refused the connection: %s", reason)
            return
        options = SubscribeOptions(qos=self.qos, noLocal=True)
        client.subscribe([(topic, options) for topic in CREATE_TOPICS])
        self.connected.set()

    def _on_message(self, _client: Any, _userdata: Any, message: Any) -> None:
        try:
            self._queue.put_nowait((str(message.topic), bytes(message.payload)))
        except queue.Full:
            self._quarantine(str(message.topic), bytes(message.payload), "the bridge is overloaded")

    def _work(self) -> None:
        """Create what arrived, in batches of up to ``BATCH`` messages (one registry transaction
        and one observation write each)."""
        while True:
            batch = [self._queue.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            messages = [item for item in batch if item is not None]
            try:
                if messages:
                    self.create_many(messages)
            except Exception:  # keep the bridge alive; the messages are quarantined
                log.exception("creating Observations from MQTT failed")
                for topic, payload in messages:
                    self._quarantine(topic, payload, "internal error; see the server log")
            finally:
                for _ in batch:
                    self._queue.task_done()
            if len(messages) < len(batch):
                return

    def create_many(self, messages: list[tuple[str, bytes]]) -> list[int | None]:
        """Create the Observations of received messages; per message its id, or ``None`` when
        it was a notification or was refused (and quarantined)."""
        requests: list[tuple[str, Any]] = []
        places: list[int] = []
        results: list[int | None] = [None] * len(messages)
        for index, (topic, payload) in enumerate(messages):
            try:
                body = json.loads(payload)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                self._quarantine(topic, payload, f"not JSON: {exc}")
                continue
            if isinstance(body, dict) and ("@iot.id" in body or "@iot.selfLink" in body):
                continue  # a notification, not a request
            requests.append((topic.removeprefix(VERSION), body))
            places.append(index)
        if not requests:
            return results
        created = self.service.create_from_messages(requests, self.base, self.access)
        for index, result in zip(places, created, strict=True):
            if isinstance(result, str):
                topic, payload = messages[index]
                self._quarantine(topic, payload, result)
            else:
                results[index] = result
        return results

    def _quarantine(self, topic: str, payload: bytes, reason: str) -> None:
        self.stores.provenance.quarantine(
            [
                Rejected(
                    source=f"mqtt://{self.host}:{self.port}",
                    position=topic[:200],
                    raw=payload.decode("utf-8", "replace"),
                    reason=reason,
                )
            ],
            channel="api",
        )

    def drain(self, timeout: float = 10.0) -> bool:
        """Wait until every message received so far was handled; whether it was in time."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True


async def serve_mqtt(settings: Settings, stores: Stores, server: Any) -> None:
    """Run the MQTT bridge beside the HTTP server while it runs (``ecodata serve``); nothing
    when ``sta.mqtt_url`` is unset."""
    if not settings.sta.mqtt_url:
        return
    bridge = MqttBridge(stores, settings)
    await asyncio.to_thread(bridge.start)
    click.echo(f"SensorThings MQTT extension on {settings.sta.mqtt_url} (topics {VERSION}/…)")
    try:
        while not getattr(server, "should_exit", False):
            await asyncio.sleep(0.2)
    finally:
        await asyncio.to_thread(bridge.stop)
