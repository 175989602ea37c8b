"""What a session keeps across pages and reruns, and the widgets drawn from it.

Streamlit forgets a widget's value when a script run does not draw the widget (a page switch: How GIO
works has no parameter widgets), and a widget whose key is also written through ``st.session_state``
while it is drawn without a default starts from its own default (a number input's minimum) whenever the
browser mounts it afresh: with a page switch, or when a fast second rerun replaces a first one whose
messages never reached the browser. Both lost a person's work: parameters back at the defaults after a
visit to another page, and in 2 of 31 sessions the sidebar at k = 1, maximum picks 1, learning rate 0.

So the values live here, in one plain dictionary in the session's state that no widget owns, and every
widget that shows one is drawn *with* that value as its default and a key that nothing else writes.
When the app itself changes a value (a recipe, Reset, a new data set with its own suggestions) it calls
:func:`set_value`, which keeps the new value and renews the widget's key, so the next run draws a new
widget that starts from it; the old widget's state is dropped by Streamlit since nothing draws it.

Names are the widget keys the app always used (``p_k``, ``data_source``, ``cmp_budget``, …); a renewed
widget's key is ``name~N``. Tests find a widget with :func:`widget_key`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import streamlit as st

__all__ = [
    "checkbox",
    "forget",
    "has",
    "keep",
    "kept",
    "multiselect",
    "number_input",
    "pills",
    "radio",
    "renew",
    "segmented_control",
    "selectbox",
    "set_value",
    "slider",
    "text_input",
    "toggle",
    "widget_key",
    "widget_value",
]

_KEPT = "_kept"
_GENERATIONS = "_kept_generations"


def _store(state=None) -> dict:
    state = st.session_state if state is None else state
    if _KEPT not in state:
        state[_KEPT] = {}
    return state[_KEPT]


def _generations(state=None) -> dict:
    state = st.session_state if state is None else state
    if _GENERATIONS not in state:
        state[_GENERATIONS] = {}
    return state[_GENERATIONS]


def kept(name: str, default: Any = None) -> Any:
    """The session's value of ``name`` (``default`` when it has none)."""
    return _store().get(name, default)


def has(name: str) -> bool:
    """Whether the session has a value of ``name``."""
    return name in _store()


def keep(name: str, value: Any) -> None:
    """Keep ``value`` as the session's value of ``name`` (a widget showing it keeps its own state)."""
    _store()[name] = value


def widget_key(name: str, state=None) -> str:
    """The key of the widget that shows ``name`` now (``state``: another session state, e.g. a test's)."""
    generation = _generations(state).get(name, 0)
    return name if generation == 0 else f"{name}~{generation}"


def widget_value(name: str, default: Any = None) -> Any:
    """The value the widget showing ``name`` holds in this run (in its ``on_change`` callback: the new one)."""
    key = widget_key(name)
    return st.session_state[key] if key in st.session_state else kept(name, default)


def renew(*names: str) -> None:
    """Make the next run draw new widgets for ``names``, starting from their kept values."""
    generations = _generations()
    for name in names:
        generations[name] = generations.get(name, 0) + 1


def set_value(name: str, value: Any) -> None:
    """Change ``name`` from the app's side: keep ``value`` and renew its widget, which then shows it."""
    if name in _store() and _store()[name] == value:
        return
    keep(name, value)
    renew(name)


def forget(*names: str) -> None:
    """Drop the kept values of ``names`` (their widgets start again from the defaults they are drawn with)."""
    store = _store()
    for name in names:
        if name in store:
            store.pop(name)
            renew(name)


def _draw(widget: Callable, name: str, value_argument: str, value: Any, kwargs: dict) -> Any:
    result = widget(key=widget_key(name), **{value_argument: value}, **kwargs)
    keep(name, result)
    return result


def number_input(container, label: str, name: str, *, default, **kwargs):
    """``st.number_input`` showing ``name`` (a kept value outside ``min_value``/``max_value`` is clamped)."""
    value = kept(name, default)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if value is None:
        value = default
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    return _draw(container.number_input, name, "value", value, {"label": label, **kwargs})


def slider(container, label: str, name: str, *, default, **kwargs):
    """``st.slider`` showing ``name`` (clamped into its range)."""
    value = kept(name, default)
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None and not isinstance(value, (tuple, list)):
        value = min(max(value, low), high)
    return _draw(container.slider, name, "value", value, {"label": label, **kwargs})


def _index(options: Sequence, value: Any, default: Any) -> int:
    options = list(options)
    for candidate in (value, default):
        if candidate in options:
            return options.index(candidate)
    return 0


def selectbox(container, label: str, options: Sequence, name: str, *, default=None, **kwargs):
    """``st.selectbox`` showing ``name`` (the first option when the kept one is not offered)."""
    return _draw(
        container.selectbox,
        name,
        "index",
        _index(options, kept(name, default), default) if len(options) else None,
        {"label": label, "options": options, **kwargs},
    )


def radio(container, label: str, options: Sequence, name: str, *, default=None, **kwargs):
    """``st.radio`` showing ``name``."""
    return _draw(
        container.radio,
        name,
        "index",
        _index(options, kept(name, default), default),
        {"label": label, "options": options, **kwargs},
    )


def segmented_control(container, label: str, options: Sequence, name: str, *, default=None, **kwargs):
    """``st.segmented_control`` (one choice) showing ``name``."""
    value = kept(name, default)
    if value not in list(options):
        value = default
    return _draw(container.segmented_control, name, "default", value, {"label": label, "options": options, **kwargs})


def pills(container, label: str, options: Sequence, name: str, *, default=(), **kwargs):
    """``st.pills`` with ``selection_mode='multi'`` showing ``name`` (kept choices no longer offered are dropped)."""
    chosen = [option for option in (kept(name, default) or []) if option in list(options)]
    result = _draw(
        container.pills,
        name,
        "default",
        chosen,
        {"label": label, "options": options, "selection_mode": "multi", **kwargs},
    )
    return list(result or [])


def multiselect(container, label: str, options: Sequence, name: str, *, default=(), **kwargs) -> list:
    """``st.multiselect`` showing ``name`` (kept choices no longer offered are dropped)."""
    chosen = [option for option in (kept(name, default) or []) if option in list(options)]
    return list(_draw(container.multiselect, name, "default", chosen, {"label": label, "options": options, **kwargs}))


def toggle(container, label: str, name: str, *, default: bool, **kwargs) -> bool:
    """``st.toggle`` showing ``name``."""
    return bool(_draw(container.toggle, name, "value", bool(kept(name, default)), {"label": label, **kwargs}))


def checkbox(container, label: str, name: str, *, default: bool, **kwargs) -> bool:
    """``st.checkbox`` showing ``name``."""
    return bool(_draw(container.checkbox, name, "value", bool(kept(name, default)), {"label": label, **kwargs}))


def text_input(container, label: str, name: str, *, default: str = "", **kwargs) -> str:
    """``st.text_input`` showing ``name``."""
    return _draw(container.text_input, name, "value", kept(name, default) or "", {"label": label, **kwargs}) or ""
