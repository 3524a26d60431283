"""Leader election through a coordination.k8s.io/v1 Lease (client-go's leaderelection package
with a LeaseLock), so that of several replicas of a component exactly one does the work.

Invariants:
- The Lease `<namespace>/<name>` holds the record: holderIdentity, leaseDurationSeconds,
  acquireTime, renewTime (MicroTime) and leaseTransitions. Every write is an update carrying
  the resourceVersion last read, so two candidates can never both win one round (409 Conflict).
- A candidate takes the lease only when it is free (empty holder) or expired. Expiry is judged
  by the local monotonic clock: a record counts as alive for its leaseDurationSeconds after this
  candidate last *saw it change*, so clocks of different hosts never need to agree. While
  waiting, a candidate watches the Lease, so it sees each renewal as it lands, and tries again
  as soon as the lease it saw expires or is released: a killed leader is replaced about one
  lease duration after its last renewal (client-go, polling, takes up to two retry periods more).
- The leader renews every retry_period; if it has not renewed for renew_deadline it stops
  leading (callbacks are cancelled) before the lease can expire and another candidate takes it.
- On a clean stop the leader releases the lease (empty holder, leaseDurationSeconds 1) so a
  successor does not wait for expiry; a crashed leader's lease simply expires.
- The identity defaults to `<hostname>_<uuid>`, as Kubernetes' components use.
- Timing rules (client-go's): lease_duration > renew_deadline > retry_period * 1.2 > 0.

Use either
    await elector.run(on_started_leading, on_stopped_leading)
which leads while `on_started_leading()` runs (cancelled when leadership is lost) and returns
when it returns or leadership is lost, or
    async with elector: ...
whose body runs as leader and is interrupted with `LeadershipLost` if the lease is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import logging
import random
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from steersman.client.events import NORMAL, EventRecorder
from steersman.client.rest import ApiStatusError, RestClient

log = logging.getLogger("steersman.client.leaderelection")

Obj = dict[str, Any]
LEASE_DURATION = 15.0
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
JITTER_FACTOR = 1.2
# A candidate tries this long after the observed lease's expiry (its clock's, not the server's).
_EXPIRY_MARGIN = 0.05
_LEASES = "/apis/coordination.k8s.io/v1/namespaces/{namespace}/leases"
# Errors that mean "this round failed", never "stop trying".
_TRANSIENT = (ApiStatusError, aiohttp.ClientError, OSError, TimeoutError, ValueError)


class LeadershipLost(Exception):
    """Raised out of `async with elector:` when the lease could not be renewed."""


@dataclass(frozen=True)
class LeaderElectionRecord:
    holder_identity: str = ""
    lease_duration_seconds: int = 0
    acquire_time: str | None = None
    renew_time: str | None = None
    leader_transitions: int = 0

    @classmethod
    def from_lease_spec(cls, spec: Obj) -> LeaderElectionRecord:
        return cls(
            spec.get("holderIdentity") or "",
            int(spec.get("leaseDurationSeconds") or 0),
            spec.get("acquireTime"),
            spec.get("renewTime"),
            int(spec.get("leaseTransitions") or 0),
        )

    def to_lease_spec(self) -> Obj:
        return {
            "holderIdentity": self.holder_identity,
            "leaseDurationSeconds": self.lease_duration_seconds,
            "acquireTime": self.acquire_time,
            "renewTime": self.renew_time,
            "leaseTransitions": self.leader_transitions,
        }


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4()}"


def micro_time_now() -> str:
    """metav1.MicroTime as JSON: RFC 3339 in UTC with exactly six fractional digits."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        client: RestClient,
        *,
        name: str,
        namespace: str = "kube-system",
        identity: str | None = None,
        lease_duration: float = LEASE_DURATION,
        renew_deadline: float = RENEW_DEADLINE,
        retry_period: float = RETRY_PERIOD,
        release_on_cancel: bool = True,
        recorder: EventRecorder | None = None,
        on_new_leader: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if lease_duration <= renew_deadline:
            raise ValueError("leaseDuration must be greater than renewDeadline")
        if renew_deadline <= JITTER_FACTOR * retry_period:
            raise ValueError("renewDeadline must be greater than retryPeriod*JitterFactor")
        if lease_duration < 1:
            raise ValueError("leaseDuration must be greater than zero")
        if retry_period <= 0:
            raise ValueError("retryPeriod must be greater than zero")
        identity = default_identity() if identity is None else identity
        if not identity:
            raise ValueError("Lock identity is empty")
        self.client = client
        self.name = name
        self.namespace = namespace
        self.identity = identity
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self.release_on_cancel = release_on_cancel
        self.recorder = recorder
        self.on_new_leader = on_new_leader
        self.clock = clock
        self._collection = _LEASES.format(namespace=namespace)
        self._path = f"{self._collection}/{name}"
        self._lease: Obj | None = None  # last Lease read or written (carries resourceVersion)
        self._observed = LeaderElectionRecord()
        self._observed_time = -float("inf")
        self._reported_leader = ""
        self._owner: asyncio.Task[Any] | None = None
        self._renewer: asyncio.Task[None] | None = None
        self._lost = False
        self._released = asyncio.Event()

    # -- observation ---------------------------------------------------------------------
    @property
    def leader(self) -> str:
        """The holder identity last observed (empty if none)."""
        return self._observed.holder_identity

    def is_leader(self) -> bool:
        return self._observed.holder_identity == self.identity

    def _set_observed(self, record: LeaderElectionRecord) -> None:
        self._observed = record
        self._observed_time = self.clock()

    def _lease_valid(self) -> bool:
        return self._observed_time + self._observed.lease_duration_seconds > self.clock()

    def _maybe_report_transition(self) -> None:
        holder = self._observed.holder_identity
        if holder == self._reported_leader:
            return
        self._reported_leader = holder
        if self.on_new_leader is not None:
            try:
                self.on_new_leader(holder)
            except Exception:
                log.exception("on_new_leader callback failed")

    def _record_event(self, what: str) -> None:
        if self.recorder is None or self._lease is None:
            return
        subject = {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": self._lease.get("metadata") or {},
        }
        self.recorder.event(subject, NORMAL, "LeaderElection", f"{self.identity} {what}")

    # -- one round -----------------------------------------------------------------------
    async def _update(self, record: LeaderElectionRecord) -> None:
        if self._lease is None:
            raise ValueError("lease not initialized, call get or create first")
        body = dict(self._lease, spec={**(self._lease.get("spec") or {}), **record.to_lease_spec()})
        self._lease = await self.client.update(self._path, body)

    async def try_acquire_or_renew(self) -> bool:
        """One round of tryAcquireOrRenew: True if this candidate holds the lease now."""
        now = micro_time_now()
        record = LeaderElectionRecord(self.identity, int(self.lease_duration), now, now)
        # 1. Fast path: the leader updates optimistically with the record it last wrote.
        if self.is_leader() and self._lease_valid() and self._lease is not None:
            fast = LeaderElectionRecord(
                self.identity,
                record.lease_duration_seconds,
                self._observed.acquire_time,
                now,
                self._observed.leader_transitions,
            )
            try:
                await self._update(fast)
                self._set_observed(fast)
                return True
            except _TRANSIENT as exc:
                log.info("failed to update lease optimistically (%s), falling back", exc)
        # 2. Read the lease, or create it.
        try:
            lease = await self.client.get(self._path)
        except ApiStatusError as exc:
            if exc.code != 404:
                log.warning("error retrieving lease %s: %s", self.describe(), exc)
                return False
            body = {
                "apiVersion": "coordination.k8s.io/v1",
                "kind": "Lease",
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": record.to_lease_spec(),
            }
            try:
                self._lease = await self.client.create(self._collection, body)
            except _TRANSIENT as create_exc:
                log.warning("error initially creating lease %s: %s", self.describe(), create_exc)
                return False
            self._set_observed(record)
            return True
        except _TRANSIENT as exc:
            log.warning("error retrieving lease %s: %s", self.describe(), exc)
            return False
        self._lease = lease
        old = LeaderElectionRecord.from_lease_spec(lease.get("spec") or {})
        if old != self._observed:
            self._set_observed(old)  # the record changed: its lease runs from now
        # 3. Held by someone else and not expired: wait.
        if old.holder_identity and self._lease_valid() and not self.is_leader():
            return False
        if self.is_leader():
            record = LeaderElectionRecord(
                self.identity,
                record.lease_duration_seconds,
                old.acquire_time,
                now,
                old.leader_transitions,
            )
        else:
            record = LeaderElectionRecord(
                self.identity, record.lease_duration_seconds, now, now, old.leader_transitions + 1
            )
        try:
            await self._update(record)
        except _TRANSIENT as exc:
            log.info("failed to update lease %s: %s", self.describe(), exc)
            return False
        self._set_observed(record)
        return True

    def describe(self) -> str:
        return f"{self.namespace}/{self.name}"

    # -- loops ---------------------------------------------------------------------------
    async def acquire(self) -> None:
        """Block until this candidate holds the lease (retrying with jitter, and at the
        moment the observed lease expires or is released)."""
        log.info("attempting to acquire leader lease %s as %s...", self.describe(), self.identity)
        follower = asyncio.create_task(self._follow_lease())
        try:
            while True:
                acquired = await self.try_acquire_or_renew()
                self._maybe_report_transition()
                if acquired:
                    log.info("successfully acquired lease %s", self.describe())
                    self._record_event("became leader")
                    return
                await self._wait_for_turn()
        finally:
            await _cancel_and_wait(follower)

    async def _wait_for_turn(self) -> None:
        """Until the next try: a jittered retry period, or less if the lease observed expires
        sooner, or until the watch sees it released."""
        delay = self.retry_period * (1 + random.random() * JITTER_FACTOR)
        expires_in = self._observed_time + self._observed.lease_duration_seconds - self.clock()
        delay = min(delay, max(expires_in, 0.0) + _EXPIRY_MARGIN)
        self._released.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(delay):
                await self._released.wait()

    async def _follow_lease(self) -> None:
        """While waiting for the lease, watch it: a renewal is observed when it lands rather
        than at the next poll (client-go's polling sees it up to a retry period late, and so
        judges expiry that much later), so a dead holder is replaced one lease duration after
        its last renewal. Expiry is still judged on this candidate's clock. A watch that fails
        (no permission, server gone) leaves the polling alone to do the work."""
        params = {"fieldSelector": f"metadata.name={self.name}"}
        while True:
            try:
                async for event in self.client.watch(self._collection, **params):
                    if event.get("type") not in ("ADDED", "MODIFIED"):
                        continue
                    spec = (event.get("object") or {}).get("spec") or {}
                    record = LeaderElectionRecord.from_lease_spec(spec)
                    if record != self._observed:
                        self._set_observed(record)
                        if not record.holder_identity:
                            self._released.set()
            except _TRANSIENT as exc:
                log.debug("watching lease %s failed: %s", self.describe(), exc)
            await asyncio.sleep(self.retry_period)

    async def renew(self) -> None:
        """Keep renewing; return once a renewal has failed for renew_deadline (lease lost)."""
        try:
            while True:
                try:
                    async with asyncio.timeout(self.renew_deadline):
                        while not await self.try_acquire_or_renew():
                            self._maybe_report_transition()
                            await asyncio.sleep(self.retry_period)
                except TimeoutError:
                    self._maybe_report_transition()
                    log.info("failed to renew lease %s: timed out", self.describe())
                    return
                self._maybe_report_transition()
                await asyncio.sleep(self.retry_period)
        finally:
            self._record_event("stopped leading")

    async def release(self) -> bool:
        """Give the lease up if this candidate holds it (ReleaseOnCancel). The lease is read
        first: a renewal cancelled mid-flight may have changed its resourceVersion."""
        if not self.is_leader():
            return True
        try:
            async with asyncio.timeout(self.renew_deadline):
                for attempt in range(3):
                    self._lease = await self.client.get(self._path)
                    current = LeaderElectionRecord.from_lease_spec(self._lease.get("spec") or {})
                    if current.holder_identity != self.identity:
                        self._set_observed(current)  # someone else's by now: not ours
                        return True
                    now = micro_time_now()
                    record = LeaderElectionRecord("", 1, now, now, current.leader_transitions)
                    try:
                        await self._update(record)
                        break
                    except ApiStatusError as exc:
                        # A renewal that was in flight when we were cancelled landed first.
                        if exc.code != 409 or attempt == 2:
                            raise
        except _TRANSIENT as exc:
            log.warning("failed to release lock %s: %s", self.describe(), exc)
            return False
        self._set_observed(record)
        return True

    async def _release_quietly(self) -> None:
        if self.release_on_cancel:
            # Shielded: a second cancellation must not leave the lease half released.
            await asyncio.shield(self.release())

    # -- run / async with ----------------------------------------------------------------
    async def run(
        self,
        on_started_leading: Callable[[], Awaitable[None]],
        on_stopped_leading: Callable[[], None] | None = None,
    ) -> None:
        """Acquire, then run `on_started_leading()` while renewing. Returns when it returns
        or when leadership is lost (it is cancelled then); its exceptions propagate. The lease
        is released on the way out; `on_stopped_leading` is called in every case (as in
        client-go, even if leadership was never acquired)."""
        try:
            await self.acquire()
            leading = asyncio.ensure_future(on_started_leading())
            renewing = asyncio.create_task(self.renew())
            try:
                await asyncio.wait({leading, renewing}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                await _cancel_and_wait(renewing)
                await _cancel_and_wait(leading)
                await self._release_quietly()
            for task in (leading, renewing):
                if not task.cancelled() and task.exception() is not None:
                    raise task.exception()  # type: ignore[misc]
        finally:
            if on_stopped_leading is not None:
                on_stopped_leading()

    async def __aenter__(self) -> LeaderElector:
        self._owner = asyncio.current_task()
        self._lost = False
        await self.acquire()
        self._renewer = asyncio.create_task(self.renew())
        self._renewer.add_done_callback(self._renewer_done)
        return self

    def _renewer_done(self, task: asyncio.Task[None]) -> None:
        if task.cancelled():
            return
        self._lost = True  # renew returned: the lease is lost; interrupt the body
        if self._owner is not None:
            self._owner.cancel()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        renewer, self._renewer = self._renewer, None
        if renewer is not None:
            renewer.remove_done_callback(self._renewer_done)
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
        await self._release_quietly()
        owner, self._owner = self._owner, None
        lost = self._lost and exc_type is asyncio.CancelledError and owner is not None
        # Only turn the cancellation into LeadershipLost if it was ours alone.
        if lost and owner is not None and owner.uncancel() == 0:
            raise LeadershipLost(f"leader election lost: {self.describe()}") from None


async def _cancel_and_wait(task: asyncio.Future[Any]) -> None:
    """Cancel a child and wait for it to finish; its outcome stays on the task."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
