"""Who a query belongs to, and which waiting query gets the next worker.

The policy itself (two lanes, when a query moves, the per-client cap) is described in
docs/sparql.md and applied by :class:`.workers.QueryPool`; this module holds its small
parts: the client key, the fair queue of waiters, and the memory of queries that ran long.
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import ipaddress
import itertools
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def client_key(scope: Mapping[str, Any]) -> str:
    """The client a request counts against: its address, an IPv6 client by its /64.

    The address is the ASGI ``client``: the TCP peer, unless the server was told to
    trust a proxy's ``X-Forwarded-For`` (``PUBLISHER_TRUSTED_PROXIES``, which
    ``publisher serve`` hands to uvicorn), so a header can never pick its own key. An
    IPv6 host usually holds a whole /64, so counting single addresses would let it
    take as many keys as it likes.
    """
    client = scope.get("client")
    if not client:
        return ""
    host = str(client[0])
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return host


def fingerprint(payload: bytes) -> bytes:
    """A job's identity for :class:`LongQueries` (store, dataset, format and query text)."""
    return hashlib.blake2b(payload, digest_size=16).digest()


class LongQueries:
    """The last ``size`` queries that ran past the cheap lane's allowance.

    The next time one of them arrives it goes straight to the heavy lane: it does not
    occupy a cheap worker again to find out what is already known.
    """

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._seen: collections.OrderedDict[bytes, None] = collections.OrderedDict()

    def add(self, key: bytes) -> None:
        self._seen[key] = None
        self._seen.move_to_end(key)
        while len(self._seen) > self.size:
            self._seen.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def clear(self) -> None:
        self._seen.clear()


class Usage:
    """Worker time each client used lately, fading with a half-life of ``half_life_s``.

    What the fair queues order by: a client whose queries kept workers busy for the
    last minute waits behind one that asked for nothing, even when both have nothing
    running at this moment (eight clients whose long queries just timed out all send
    the next one at once, and a newcomer's cheap query must not queue behind them).
    """

    def __init__(self, half_life_s: float = 60.0, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = math.log(2) / half_life_s
        self.max_clients = max_clients
        self.clock = clock
        self._used: dict[str, tuple[float, float]] = {}  # client: (seconds, as of)

    def add(self, client: str, seconds: float) -> None:
        now = self.clock()
        self._used[client] = (self.of(client, now) + seconds, now)
        if len(self._used) > self.max_clients:  # forget the clients that used least
            for key, _ in sorted(self._used.items(), key=lambda item: item[1][0])[
                    :len(self._used) - self.max_clients // 2]:
                del self._used[key]

    def of(self, client: str, now: float | None = None) -> float:
        used = self._used.get(client)
        if used is None:
            return 0.0
        seconds, since = used
        return seconds * math.exp(-self.rate * ((self.clock() if now is None else now)
                                                - since))


@dataclass(eq=False)
class Waiter(Generic[T]):
    future: asyncio.Future[T]
    client: str
    order: int


@dataclass
class FairQueue(Generic[T]):
    """Requests waiting for a worker; the next is the oldest of the least busy client.

    "Least busy" is what ``load`` says when a worker frees (the pool's: worker time used
    lately, running queries included): a client with eight queries in flight cannot
    push a newcomer's single query back, yet among equals the order is first come,
    first served.
    """

    _waiters: list[Waiter[T]] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    def add(self, future: asyncio.Future[T], client: str) -> Waiter[T]:
        waiter = Waiter(future, client, next(self._counter))
        self._waiters.append(waiter)
        return waiter

    def discard(self, waiter: Waiter[T]) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def pop(self, load: Callable[[str], float]) -> Waiter[T] | None:
        """The next waiter still waiting, or None; gone waiters are dropped on the way."""
        self._waiters = [w for w in self._waiters if not w.future.done()]
        if not self._waiters:
            return None
        chosen = min(self._waiters, key=lambda w: (load(w.client), w.order))
        self._waiters.remove(chosen)
        return chosen

    def fail_all(self, error: BaseException) -> None:
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(error)
        self._waiters.clear()

    def __len__(self) -> int:
        return sum(1 for w in self._waiters if not w.future.done())
