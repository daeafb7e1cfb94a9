"""Runners: where store calls execute, seen from the reactor as Deferreds.

:class:`StoreRunner` owns ONE dedicated thread.  The store is opened on it (SQLite
connections are bound to their thread), every ``run(fn, ...)`` calls ``fn(store, ...)``
there in submission order, and ``stop()`` closes the store after the work already queued.
The reactor thread never touches the database.

:class:`SyncRunner` has the same interface but runs everything inline; unit tests use it
to stay synchronous.

    runner = StoreRunner(reactor, lambda: open_store(data_dir))
    await runner.start()
    await runner.run(lambda store: store.save_batch(players=dirty))
    await runner.stop()
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred, fail, succeed
from twisted.internet.interfaces import IReactorCore, IReactorFromThreads
from twisted.internet.threads import deferToThreadPool
from twisted.python.threadpool import ThreadPool

from clawtown.store.base import Store, StoreError

THREAD_NAME = "clawtown-store"

_NEW, _RUNNING, _STOPPING, _STOPPED = "not started", "running", "stopping", "stopped"


class _Runner:
    """The lifecycle shared by both runners; subclasses say how a call is executed."""

    def __init__(self, open_store: Callable[[], Store]) -> None:
        self._open_store = open_store
        self._store: Store | None = None
        self._state = _NEW
        self._stop_waiters: list[Deferred[None]] = []

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        raise NotImplementedError

    def _begin(self) -> None:
        """Acquire what the runner needs before the store is opened."""

    def _end(self) -> None:
        """Release what :meth:`_begin` acquired, once the store is closed."""

    def start(self) -> Deferred[None]:
        """Open the store (migrating it); the Deferred fires when it is ready."""
        if self._state != _NEW:
            return fail(StoreError(f"store runner cannot start: it is {self._state}"))
        self._state = _RUNNING
        self._begin()
        return self._submit(self._open)

    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
        """Call ``fn(store, *args, **kwargs)`` on the store's thread; fire with its result."""
        if self._state != _RUNNING:
            return fail(StoreError(f"store runner is {self._state}"))
        return self._submit(self._call, fn, args, kwargs)

    def stop(self) -> Deferred[None]:
        """Finish the queued work, close the store; fire when done.  Safe to call twice."""
        if self._state in (_NEW, _STOPPED):
            self._state = _STOPPED
            return succeed(None)
        if self._state == _STOPPING:
            waiter: Deferred[None] = Deferred()
            self._stop_waiters.append(waiter)
            return waiter
        self._state = _STOPPING
        return self._submit(self._close).addBoth(self._stopped)

    def _stopped(self, result: Any) -> Any:
        self._end()
        self._state = _STOPPED
        waiters, self._stop_waiters = self._stop_waiters, []
        for waiter in waiters:
            waiter.callback(None)
        return result

    # These run on the store's thread.

    def _open(self) -> None:
        self._store = self._open_store()

    def _call(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        if self._store is None:
            raise StoreError("store is not open (opening it failed)")
        return fn(self._store, *args, **kwargs)

    def _close(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()


class StoreRunner(_Runner):
    """Runs store calls on one dedicated thread, named ``clawtown-store``."""

    def __init__(self, reactor: Any, open_store: Callable[[], Store]) -> None:
        """``reactor`` provides IReactorFromThreads and IReactorCore."""
        super().__init__(open_store)
        self._reactor: IReactorFromThreads = reactor
        self._pool: ThreadPool | None = None
        self._shutdown_trigger: Any = None

    def _begin(self) -> None:
        self._pool = ThreadPool(1, 1, name=THREAD_NAME)
        self._pool.start()
        # Safety net: never leave the thread (and the database) open at reactor exit.
        core: IReactorCore = self._reactor  # type: ignore[assignment]
        self._shutdown_trigger = core.addSystemEventTrigger("during", "shutdown", self.stop)

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        assert self._pool is not None
        return deferToThreadPool(self._reactor, self._pool, fn, *args)

    def _end(self) -> None:
        core: IReactorCore = self._reactor  # type: ignore[assignment]
        try:
            core.removeSystemEventTrigger(self._shutdown_trigger)
        except (KeyError, ValueError):
            pass  # it already fired: the reactor is shutting down
        assert self._pool is not None
        self._pool.stop()  # the worker is idle by now, so this join is immediate


class SyncRunner(_Runner):
    """Runs store calls inline on the caller's thread; Deferreds come back fired."""

    def _submit(self, fn: Callable[..., Any], *args: Any) -> Deferred[Any]:
        try:
            return succeed(fn(*args))
        except Exception:
            return fail()
