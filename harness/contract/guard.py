"""The one guard around every hook implementation a plugin registers.

pluggy calls implementations one after another and stops at the first exception,
so one broken plugin would take the hook (and the command) down for everyone. The
manager swaps each implementation's function for a guarded one when the plugin is
registered: hooks are still called through ``pm.hook``, so ``wrapper=True``
implementations, ``set_blocked`` and call monitoring behave as pluggy documents,
but an exception (or ``sys.exit``) inside one plugin's code becomes a report to
the manager, which disables that plugin, and the call goes on without it.

While an implementation runs, ``current_plugin()`` names its plugin: the
``register`` callbacks attribute each component to the plugin that registered it
through this, although the hook is called for all plugins at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator
from contextvars import ContextVar
from functools import partial
from typing import Any, Protocol

from pluggy import HookImpl

__all__ = ["Observer", "current_plugin", "install"]

_CURRENT: ContextVar[str | None] = ContextVar("harness_current_plugin", default=None)

#: What a plugin may raise that is its own failure, not the user's Ctrl-C.
_PLUGIN_FAILURES = (Exception, SystemExit)


def current_plugin() -> str | None:
    """The plugin whose hook implementation is running (None outside one)."""
    return _CURRENT.get()


class Observer(Protocol):
    """What the guard reports to (the plugin manager)."""

    def plugin_failed(self, plugin: str, hook: str, error: BaseException) -> None: ...

    def hook_done(
        self, plugin: str, hook: str, seconds: float, arguments: dict[str, Any], answer: Any
    ) -> None: ...


def install(impl: HookImpl, hook: str, observer: Observer) -> None:
    """Replace ``impl.function`` with its guarded version (once per implementation)."""
    function = impl.function
    if getattr(function, "__harness_guarded__", False):
        return
    if impl.hookwrapper:
        guarded = _old_style_wrapper(impl, hook, observer)
    elif impl.wrapper:
        guarded = _wrapper(impl, hook, observer)
    else:
        guarded = _plain(impl, hook, observer)
    guarded.__harness_guarded__ = True  # type: ignore[attr-defined]
    guarded.__wrapped__ = function  # type: ignore[attr-defined]
    # HookImpl.function is typed Final, but pluggy reads it at each call; the
    # argument names pluggy passes were taken from the original at registration.
    impl.function = guarded  # type: ignore[misc]


class _Call:
    """One implementation's run: sets ``current_plugin``, times it, reports."""

    def __init__(self, impl: HookImpl, hook: str, observer: Observer, args: tuple, kwargs: dict):
        self.impl, self.hook, self.observer = impl, hook, observer
        self.arguments = {**dict(zip(impl.argnames, args, strict=False)), **kwargs}
        self.seconds = 0.0

    def run(self, step: Callable[[], Any]) -> Any:
        token = _CURRENT.set(self.impl.plugin_name)
        start = time.perf_counter()
        try:
            return step()
        finally:
            self.seconds += time.perf_counter() - start
            _CURRENT.reset(token)

    def failed(self, error: BaseException) -> None:
        self.observer.plugin_failed(self.impl.plugin_name, self.hook, error)

    def done(self, answer: Any = None) -> None:
        self.observer.hook_done(
            self.impl.plugin_name, self.hook, self.seconds, self.arguments, answer
        )


def _plain(impl: HookImpl, hook: str, observer: Observer) -> Callable[..., Any]:
    function = impl.function

    def guarded(*args: Any, **kwargs: Any) -> Any:
        call = _Call(impl, hook, observer, args, kwargs)
        answer = None
        try:
            answer = call.run(lambda: function(*args, **kwargs))
            return answer
        except _PLUGIN_FAILURES as error:
            call.failed(error)
            return None  # pluggy leaves None out of the results
        finally:
            call.done(answer)

    return guarded


def _wrapper(impl: HookImpl, hook: str, observer: Observer) -> Callable[..., Any]:
    """A ``wrapper=True`` implementation: its code before and after ``yield`` is
    guarded; an exception from the inner implementations passes through it
    unchanged (it may handle it, as pluggy allows)."""
    function = impl.function

    def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, Any]:
        call = _Call(impl, hook, observer, args, kwargs)
        try:
            teardown = call.run(lambda: function(*args, **kwargs))
            call.run(lambda: next(teardown))
        except StopIteration:
            call.failed(RuntimeError("the wrapper did not yield"))
            call.done()
            return (yield)
        except _PLUGIN_FAILURES as error:
            call.failed(error)
            call.done()
            return (yield)
        try:
            result = yield
        except BaseException as inner:  # raised by the implementations it wraps
            handled, value = _teardown(call, teardown, partial(teardown.throw, inner), inner)
            if handled:
                return value  # it handled the exception and answered, as pluggy allows
            raise
        handled, value = _teardown(call, teardown, lambda: teardown.send(result))
        return value if handled else result

    return guarded


def _teardown(
    call: _Call,
    teardown: Generator[None, Any, Any],
    step: Callable[[], Any],
    inner: BaseException | None = None,
) -> tuple[bool, Any]:
    """Run a wrapper's code after ``yield``: (True, its answer) when it returned,
    (False, None) when it failed (reported) or let ``inner`` through."""
    try:
        call.run(step)
    except StopIteration as stop:
        return True, stop.value
    except BaseException as raised:
        if raised is not inner:
            if not isinstance(raised, _PLUGIN_FAILURES):
                raise  # Ctrl-C during its teardown
            call.failed(raised)
        return False, None
    else:
        call.failed(RuntimeError("the wrapper yielded twice"))
        teardown.close()
        return False, None
    finally:
        call.done()


def _old_style_wrapper(impl: HookImpl, hook: str, observer: Observer) -> Callable[..., Any]:
    """A ``hookwrapper=True`` implementation (pluggy's older form): it receives a
    ``Result`` after ``yield`` and may only change it through that object."""
    function = impl.function

    def guarded(*args: Any, **kwargs: Any) -> Generator[None, Any, None]:
        call = _Call(impl, hook, observer, args, kwargs)
        try:
            teardown = call.run(lambda: function(*args, **kwargs))
            call.run(lambda: next(teardown))
        except StopIteration:
            call.failed(RuntimeError("the hookwrapper did not yield"))
            call.done()
            yield
            return
        except _PLUGIN_FAILURES as error:
            call.failed(error)
            call.done()
            yield
            return
        outcome = yield
        try:
            call.run(lambda: teardown.send(outcome))
        except StopIteration:
            pass
        except _PLUGIN_FAILURES as error:
            call.failed(error)
        else:
            call.failed(RuntimeError("the hookwrapper yielded twice"))
        finally:
            teardown.close()
            call.done()

    return guarded
