"""The dashboard's state as a URL query string, and back (pure: no Dash callbacks, no request).

    schema = schema_from_layout(layout)          # defaults and allowed values, read off the layout
    query = encode_state(values, schema)         # {component id: value} -> "?tab=survival&..."
    values, notices = decode_query(query, schema, patient_ids)

The query names the controls by the names `viewspec.VIEW_CONTROLS` gives them (measure, group,
statistic, …; endpoint, origin, group, unit, ci), the filters by short names (center, response,
relapse, sex, ln, age, arm, pop, armby; any other subject-level variable as `v.<column>`),
the tab by its view name and the linked selection as `sel`. Only what
differs from the layout's defaults is written. The active tab's controls are unprefixed (e.g.
`?tab=survival&group=center`); another view's changed controls carry its prefix (`t.group`,
`s.group`), and a name only one view has may be given without one.

Decoding never fails: an unknown parameter, an unknown value (a measure or center not in this
trial), a malformed number or patient id is ignored and reported in `notices` (short plain text,
the offending text truncated); the rest of the state is applied.

Pinned slides are encoded compactly as one parameter: each slide's query (`view=...&...`) in a
JSON list, deflated and base64url-encoded (`encode_slides` / `decode_slides`).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .. import ids
from .viewspec import PATIENT_VIEWS, TAB_VIEWS, VIEW_CONTROLS, VIEW_TABS, clean_takeaway

# --- Names ----------------------------------------------------------------------------------

TAB_NAMES = {
    ids.TAB_TRAJECTORIES: "trajectories",
    ids.TAB_SURVIVAL: "survival",
    ids.TAB_EFFECTS: "effects",
    ids.TAB_RESPONSE: "response",
    ids.TAB_PATIENTS: "patients",
    ids.TAB_TABLES: "tables",
    ids.TAB_QUALITY: "quality",
}
TAB_IDS = {v: k for k, v in TAB_NAMES.items()}
# The controls of each view (URL name -> component id): the one control map of viewspec.
VIEW_PARAMS = VIEW_CONTROLS
VIEW_PREFIX = {
    ids.VIEW_TRAJECTORIES: "t.",
    ids.VIEW_SURVIVAL: "s.",
    ids.VIEW_EFFECTS: "e.",
    ids.VIEW_RESPONSE: "r.",
    ids.VIEW_NARRATIVE: "n.",
}
# A patient view's patient id: carried as given, kept only when the trial has that patient.
PATIENT_CONTROLS = {cid for v in PATIENT_VIEWS for cid in VIEW_CONTROLS[v].values()}
# Choices that depend on another control (a reference group of the chosen grouping): any short
# printable text is carried; the view falls back to its default for a value it does not offer.
FREE_TEXT = {ids.SURV_REFERENCE, ids.EFFECTS_REFERENCE}
MAX_FREE_TEXT = 120
FILTER_PARAMS = {
    "center": ids.FILTER_CENTER,
    "arm": ids.FILTER_ARM,
    "response": ids.FILTER_RESPONSE,
    "relapse": ids.FILTER_RELAPSE,
    "sex": ids.FILTER_SEX,
    "ln": ids.FILTER_LN,
    "age": ids.FILTER_AGE,
    "pop": ids.FILTER_POPULATION,
    "armby": ids.FILTER_ARM_BASIS,
}
# Filters on any subject-level variable: one parameter per variable, "v.<column>", repeated
# for each ticked value, or "low..high" for a range (e.g. ?v.agegr1=<65&v.bmibl=20..30).
VARIABLE_PREFIX = "v."
RANGE_SEP = ".."
TAB, SELECTION, PRESENT, SLIDES, VIEW = "tab", "sel", "present", "slides", "view"
TAKEAWAY = "takeaway"  # a pinned slide's takeaway line (only in a slide's query)
# Parameters handled by the caller (presenter mode), not by `decode_query`.
EXTRA_PARAMS = (PRESENT, SLIDES)

# Every component whose value is part of the page's state, and the property holding it (a
# patient view's control is in slides only: the page has no component holding it).
STATE_IDS = [
    ids.TABS,
    *[cid for v, p in VIEW_PARAMS.items() if v in VIEW_TABS for cid in p.values()],
    *FILTER_PARAMS.values(),
    ids.FILTER_VARIABLES,
    ids.SELECTION_STORE,
]
STATE_PROPS = {ids.TABS: "active_tab", ids.SELECTION_STORE: "data", ids.FILTER_VARIABLES: "data"}


def prop(cid: str) -> str:
    """The property of a state component that holds its value."""
    return STATE_PROPS.get(cid, "value")


MAX_QUERY = 8000  # characters; a longer query is ignored as a whole
MAX_SLIDES = 30
MAX_SHOWN = 40  # characters of an ignored value quoted in a notice


def shown(text: Any) -> str:
    """Offending URL text for a notice: printable, truncated (it is shown as text only)."""
    s = "".join(c if c.isprintable() else "?" for c in str(text))
    return s if len(s) <= MAX_SHOWN else s[: MAX_SHOWN - 1] + "…"


# --- Schema: what the layout offers ---------------------------------------------------------


@dataclass(frozen=True)
class Control:
    """One control: its default value and what it accepts."""

    kind: str  # choice|multi|bool|range|tab|text|variables|patient
    default: Any
    options: tuple = ()  # allowed values (choice, multi, tab); the
    # variables offered (variables: dicts with column, kind, levels, bounds)
    bounds: tuple[int, int] | None = None  # range


@dataclass(frozen=True)
class Schema:
    controls: Mapping[str, Control] = field(default_factory=dict)  # component id -> control

    def default_values(self) -> dict[str, Any]:
        return {cid: c.default for cid, c in self.controls.items()}


def _option_values(options) -> tuple:
    if isinstance(options, dict):
        return tuple(options)
    out = []
    for o in options or ():
        out.append(o.get("value") if isinstance(o, dict) else o)
    return tuple(out)


def _walk(node) -> Iterable:
    if node is None or isinstance(node, (str, int, float)):
        return
    if isinstance(node, (list, tuple)):
        for x in node:
            yield from _walk(x)
        return
    yield node
    yield from _walk(getattr(node, "children", None))


def schema_from_layout(root) -> Schema:
    """Defaults and allowed values of every control the URL carries, read off the layout (so
    they always match what the views offer for this trial)."""
    wanted = {cid for p in VIEW_PARAMS.values() for cid in p.values()}
    wanted |= set(FILTER_PARAMS.values())
    controls: dict[str, Control] = {cid: Control("patient", None) for cid in PATIENT_CONTROLS}
    for comp in _walk(root):
        cid = getattr(comp, "id", None)
        if cid == ids.TABS:
            tabs = tuple(getattr(t, "tab_id", None) for t in comp.children or ())
            controls[cid] = Control("tab", comp.active_tab, tuple(t for t in tabs if t))
            continue
        if cid == ids.FILTER_VARIABLE_CHOICES:
            controls[ids.FILTER_VARIABLES] = Control("variables", {}, tuple(comp.data or ()))
            continue
        if not isinstance(cid, str) or cid not in wanted:
            continue
        kind = type(comp).__name__
        value = getattr(comp, "value", None)
        if cid in FREE_TEXT:
            controls[cid] = Control("text", value)
        elif kind == "Switch":
            controls[cid] = Control("bool", bool(value))
        elif kind == "Checklist" or (kind == "Dropdown" and getattr(comp, "multi", False)):
            controls[cid] = Control("multi", list(value or []), _option_values(comp.options))
        elif kind == "RangeSlider":
            controls[cid] = Control("range", list(value or []), (), (int(comp.min), int(comp.max)))
        else:  # Dropdown, RadioItems
            controls[cid] = Control("choice", value, _option_values(comp.options))
    return Schema(controls)


# --- Encoding -------------------------------------------------------------------------------


def _same(a, b) -> bool:
    if isinstance(a, dict) or isinstance(b, dict):
        return (a or {}) == (b or {})
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b) or (len(a) == len(b) and set(map(str, a)) == set(map(str, b)))
    return a == b


def _encode_value(control: Control, value) -> list[str]:
    if control.kind == "bool":
        return ["1" if value else "0"]
    if control.kind == "multi":
        chosen = set(value or [])
        vals = [str(o) for o in control.options if o in chosen]
        return vals or [""]  # an empty value: nothing ticked
    if control.kind == "range":
        lo, hi = value
        return [f"{int(lo)}-{int(hi)}"]
    return [str(value)]


def encode_pairs(
    values: Mapping[str, Any], schema: Schema, *, active_view: str | None = None
) -> list[tuple[str, str]]:
    """(name, value) pairs of what differs from the defaults. `values` maps component ids
    (including ids.TABS) to the widgets' values; missing ids are at their defaults."""
    ctl = schema.controls
    pairs: list[tuple[str, str]] = []
    tab = values.get(ids.TABS)
    if tab is not None and ids.TABS in ctl and tab != ctl[ids.TABS].default and tab in TAB_NAMES:
        pairs.append((TAB, TAB_NAMES[tab]))
    if active_view is None:
        on = tab if tab is not None else (ctl[ids.TABS].default if ids.TABS in ctl else None)
        active_view = TAB_VIEWS.get(on) if on is not None else None
    for view, params in VIEW_PARAMS.items():
        prefix = "" if view == active_view else VIEW_PREFIX.get(view, "")
        for name, cid in params.items():
            if cid not in values or cid not in ctl or values[cid] is None:
                continue
            if _same(values[cid], ctl[cid].default):
                continue
            key = prefix + name
            if prefix and not _ambiguous(name):
                key = name  # a name only this view has needs no prefix
            pairs += [(key, v) for v in _encode_value(ctl[cid], values[cid])]
    for name, cid in FILTER_PARAMS.items():
        if (
            cid in values
            and cid in ctl
            and values[cid] is not None
            and not _same(values[cid], ctl[cid].default)
        ):
            pairs += [(name, v) for v in _encode_value(ctl[cid], values[cid])]
    if ids.FILTER_VARIABLES in ctl:
        pairs += _encode_variables(values.get(ids.FILTER_VARIABLES), ctl[ids.FILTER_VARIABLES])
    selection = values.get(ids.SELECTION_STORE)
    for pid in selection or ():
        pairs.append((SELECTION, str(pid)))
    return pairs


def _encode_variables(data, control: Control) -> list[tuple[str, str]]:
    """ "v.<column>" pairs of the variables' filters (offered columns only, in their order)."""
    offered = {v["column"]: v for v in control.options}
    pairs: list[tuple[str, str]] = []
    for column, spec in (data or {}).items():
        var = offered.get(column)
        if var is None or not isinstance(spec, Mapping):
            continue
        key = VARIABLE_PREFIX + column
        if var["kind"] == "values":
            chosen = set(spec.get("values") or ())
            pairs += [(key, lv) for lv in var["levels"] if lv in chosen] or [(key, "")]
        elif spec.get("range") and len(spec["range"]) == 2:
            lo, hi = spec["range"]
            pairs.append((key, f"{float(lo):g}{RANGE_SEP}{float(hi):g}"))
    return pairs


def _decode_variables(grouped: dict[str, list[str]], control: Control, notices: list[str]) -> dict:
    """The variables' filters of the "v.<column>" parameters; unknown columns, values and
    malformed ranges are reported and ignored."""
    offered = {v["column"]: v for v in control.options}
    out: dict[str, dict] = {}
    for key in [k for k in grouped if k.startswith(VARIABLE_PREFIX)]:
        raw = grouped.pop(key)
        column = key[len(VARIABLE_PREFIX) :]
        var = offered.get(column)
        if var is None:
            notices.append(f"No variable “{shown(column)}” to filter on in this trial; ignored")
            continue
        label = f"Filter on {var['label']}"
        if var["kind"] == "values":
            given = [r for r in raw if r != ""]
            unknown = [r for r in given if r not in var["levels"]]
            if unknown:
                notices.append(
                    f"{label}: unknown value(s) ignored: "
                    + ", ".join(shown(u) for u in unknown[:5])
                )
            known = [r for r in given if r in var["levels"]]
            if given and not known:
                continue
            out[column] = {"values": [lv for lv in var["levels"] if lv in set(known)]}
            continue
        try:
            lo, hi = (float(x) for x in raw[0].split(RANGE_SEP))
        except ValueError:
            notices.append(f"{label}: “{shown(raw[0])}” is not a range like 20..45; ignored")
            continue
        b_lo, b_hi = var["bounds"] or (lo, hi)
        if lo > hi or hi < b_lo or lo > b_hi:
            notices.append(
                f"{label}: {lo:g}..{hi:g} is outside the data ({b_lo:g}..{b_hi:g}); ignored"
            )
            continue
        out[column] = {"range": [max(lo, b_lo), min(hi, b_hi)]}
    return out


def encode_state(values: Mapping[str, Any], schema: Schema) -> str:
    """The query string ("" or "?...") of a state."""
    pairs = encode_pairs(values, schema)
    return "?" + urlencode(pairs) if pairs else ""


def _ambiguous(name: str) -> bool:
    return sum(name in p for p in VIEW_PARAMS.values()) > 1


# --- Decoding -------------------------------------------------------------------------------


def _decode_value(
    control: Control, raw: list[str], label: str, notices: list[str]
) -> tuple[bool, Any]:
    """(ok, value) of a parameter's raw values; not ok: a notice was added, keep the default."""
    if control.kind == "multi":
        given = [r for r in raw if r != ""]
        by_text = {str(o): o for o in control.options}
        unknown = [r for r in given if r not in by_text]
        if unknown:
            notices.append(
                f"{label}: unknown value(s) ignored: "
                + ", ".join(shown(u) for u in unknown[:5])
                + (" …" if len(unknown) > 5 else "")
            )
        known = [by_text[r] for r in given if r in by_text]
        if given and not known:
            return False, None  # only unknown values: keep every option ticked
        chosen = set(known)
        return True, [o for o in control.options if o in chosen]
    if len(raw) > 1:
        notices.append(f"{label}: given {len(raw)} times, the first value is used")
    value = raw[0]
    if control.kind == "bool":
        low = value.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True, True
        if low in ("0", "false", "no", "off"):
            return True, False
        notices.append(f"{label}: “{shown(value)}” is not on/off (1 or 0); ignored")
        return False, None
    if control.kind == "range":
        lo_hi = value.split("-")
        try:
            pair = (int(lo_hi[0]), int(lo_hi[1])) if len(lo_hi) == 2 else None
        except ValueError:
            pair = None
        if pair is None or pair[0] > pair[1]:
            notices.append(f"{label}: “{shown(value)}” is not a range like 20-45; ignored")
            return False, None
        lo, hi = pair
        b_lo, b_hi = control.bounds or pair
        if hi < b_lo or lo > b_hi:
            notices.append(f"{label}: {lo}-{hi} is outside the data ({b_lo}-{b_hi}); ignored")
            return False, None
        if lo < b_lo or hi > b_hi:
            notices.append(f"{label}: {lo}-{hi} limited to the data's range {b_lo}-{b_hi}")
        return True, [max(lo, b_lo), min(hi, b_hi)]
    if control.kind == "text":
        if len(value) > MAX_FREE_TEXT or not value.isprintable():
            notices.append(f"{label}: “{shown(value)}” is not a valid choice; ignored")
            return False, None
        return True, value
    by_text = {str(o): o for o in control.options}
    if value not in by_text:
        notices.append(f"{label}: “{shown(value)}” is not offered for this trial; ignored")
        return False, None
    return True, by_text[value]


LABELS = {
    "measure": "Measure",
    "group": "Group by",
    "statistic": "Summary",
    "scale": "Scale",
    "test": "Test",
    "individual": "Individual lines",
    "endpoint": "Endpoint",
    "origin": "Relapse time origin",
    "unit": "Time unit",
    "ci": "95 % CI band",
    "center": "Center filter",
    "arm": "Arm filter",
    "response": "Responder filter",
    "relapse": "Relapse filter",
    "sex": "Sex filter",
    "ln": "Lupus nephritis filter",
    "age": "Age filter",
    "adjust": "Multiplicity",
    "reference": "Reference",
    "strata": "Stratified by center",
    "covariates": "Adjusted for",
    "landmark": "Landmark",
    "outcome": "Outcome",
    "subgroups": "Subgroups",
    "compare": "Compare within subgroups",
    "pop": "Population",
    "armby": "Arm (planned or actual)",
}


def decode_pairs(
    pairs: list[tuple[str, str]],
    schema: Schema,
    patient_ids: Iterable = (),
    *,
    extra: tuple[str, ...] = EXTRA_PARAMS,
) -> tuple[dict[str, Any], list[str]]:
    """{component id: value} to set, and notices of what was ignored. Only given, valid
    parameters are in the result (the rest keep their current values)."""
    ctl = schema.controls
    notices: list[str] = []
    out: dict[str, Any] = {}
    grouped: dict[str, list[str]] = {}
    for k, v in pairs:
        grouped.setdefault(k, []).append(v)
    # The active view: the tab's view (or the `view` of a slide).
    tab = ctl[ids.TABS].default if ids.TABS in ctl else ids.TAB_TRAJECTORIES
    if TAB in grouped:
        name = grouped.pop(TAB)[0]
        if name in TAB_IDS and (ids.TABS not in ctl or TAB_IDS[name] in ctl[ids.TABS].options):
            tab = TAB_IDS[name]
            out[ids.TABS] = tab
        else:
            notices.append(f"Tab “{shown(name)}” does not exist; ignored")
    active = TAB_VIEWS.get(tab)
    if ids.FILTER_VARIABLES in ctl and any(k.startswith(VARIABLE_PREFIX) for k in grouped):
        out[ids.FILTER_VARIABLES] = _decode_variables(grouped, ctl[ids.FILTER_VARIABLES], notices)
    if VIEW in grouped:
        name = grouped.pop(VIEW)[0]
        if name in VIEW_PARAMS:
            active = name
        else:
            notices.append(f"View “{shown(name)}” does not exist; ignored")
    for key, raw in grouped.items():
        if key in extra:
            continue
        cid = None
        name = key
        if key in FILTER_PARAMS:
            cid = FILTER_PARAMS[key]
        elif key == SELECTION:
            known = set(map(str, patient_ids))
            given = [r for r in raw if r != ""]
            bad = [r for r in given if r not in known]
            if bad:
                notices.append(
                    "Selection: unknown patient id(s) ignored: "
                    + ", ".join(shown(b) for b in bad[:5])
                    + (" …" if len(bad) > 5 else "")
                )
            out[ids.SELECTION_STORE] = list(dict.fromkeys(r for r in given if r in known))
            continue
        else:
            view = None
            for v, prefix in VIEW_PREFIX.items():
                if key.startswith(prefix):
                    view, name = v, key[len(prefix) :]
            if view is None:
                owners = [v for v, p in VIEW_PARAMS.items() if key in p]
                view = active if active in owners else (owners[0] if len(owners) == 1 else None)
            if view is not None:
                cid = VIEW_PARAMS[view].get(name)
        if cid is None or cid not in ctl:
            notices.append(f"Unknown parameter “{shown(key)}”; ignored")
            continue
        if cid in PATIENT_CONTROLS:
            if raw[0] in set(map(str, patient_ids)):
                out[cid] = raw[0]
            else:
                notices.append(f"No patient “{shown(raw[0])}” in this trial; ignored")
            continue
        ok, value = _decode_value(ctl[cid], raw, LABELS.get(name, name), notices)
        if ok:
            out[cid] = value
    return out, notices


def decode_query(
    query: str | None, schema: Schema, patient_ids: Iterable = ()
) -> tuple[dict[str, Any], list[str]]:
    """The state a query string asks for, and notices of what was ignored (never raises)."""
    q = (query or "").lstrip("?")
    if not q:
        return {}, []
    if len(q) > MAX_QUERY:
        return {}, [f"The link's parameters are too long ({len(q)} characters); ignored"]
    try:
        pairs = parse_qsl(q, keep_blank_values=True, errors="strict", max_num_fields=500)
    except (ValueError, UnicodeDecodeError):
        return {}, ["The link's parameters could not be read; ignored"]
    return decode_pairs(pairs, schema, patient_ids)


def query_params(query: str | None) -> dict[str, str]:
    """The first value of each parameter (for the caller's own parameters: present, slides)."""
    try:
        return dict(
            reversed(
                parse_qsl(
                    (query or "").lstrip("?")[:MAX_QUERY],
                    keep_blank_values=True,
                    max_num_fields=500,
                )
            )
        )
    except (ValueError, UnicodeDecodeError):
        return {}


# --- View specs (pinned slides) -------------------------------------------------------------


def spec_values(spec: Mapping) -> dict[str, Any]:
    """A ViewSpec dict (export.ViewSpec.to_dict) as {component id: value}."""
    view = spec.get("view")
    params = VIEW_PARAMS.get(view, {}) if view is not None else {}
    values = {params[k]: v for k, v in (spec.get("params") or {}).items() if k in params}
    values.update(
        {
            k: v
            for k, v in (spec.get("filters") or {}).items()
            if k in FILTER_PARAMS.values() or k in (ids.FILTER_VARIABLES, ids.SELECTION_STORE)
        }
    )
    return values


def encode_spec(spec: Mapping, schema: Schema) -> str:
    """One ViewSpec dict as a query (without "?"), e.g. "view=survival&group=center"."""
    view = str(spec.get("view"))
    pairs = [(VIEW, view)] + encode_pairs(spec_values(spec), schema, active_view=view)
    takeaway = clean_takeaway(spec.get(TAKEAWAY))
    return urlencode(pairs + ([(TAKEAWAY, takeaway)] if takeaway else []))


def decode_spec(
    query: str, schema: Schema, patient_ids: Iterable = ()
) -> tuple[dict | None, list[str]]:
    """A ViewSpec dict from `encode_spec`'s text (controls at their defaults where not given;
    a takeaway line if the slide has one, as links made before takeaways have none)."""
    try:
        pairs = parse_qsl(query, keep_blank_values=True, max_num_fields=200)
    except (ValueError, UnicodeDecodeError):
        return None, ["A slide could not be read; ignored"]
    view = next((v for k, v in pairs if k == VIEW), None)
    if view not in VIEW_PARAMS:
        return None, [f"Slide of an unknown view “{shown(view)}”; ignored"]
    values, notices = decode_pairs(
        [(k, v) for k, v in pairs if k not in (TAB, TAKEAWAY)], schema, patient_ids, extra=()
    )
    takeaway = clean_takeaway(next((v for k, v in pairs if k == TAKEAWAY), ""))
    defaults = schema.default_values()
    params = {name: values.get(cid, defaults.get(cid)) for name, cid in VIEW_PARAMS[view].items()}
    if view in PATIENT_VIEWS:
        return _patient_spec(view, params, takeaway, notices)
    # Every filter, at its default where not given (a missing filter would select nobody).
    filters = {
        cid: values.get(cid, defaults.get(cid)) for cid in FILTER_PARAMS.values() if cid in defaults
    }
    if ids.FILTER_VARIABLES in defaults:
        filters[ids.FILTER_VARIABLES] = values.get(ids.FILTER_VARIABLES, {})
    if values.get(ids.SELECTION_STORE):  # the linked selection the slide was pinned with
        filters[ids.SELECTION_STORE] = values[ids.SELECTION_STORE]
    spec = {"view": view, "params": params, "filters": filters}
    return _with_takeaway(spec, takeaway), notices


def _with_takeaway(spec: dict, takeaway: str) -> dict:
    return {**spec, TAKEAWAY: takeaway} if takeaway else spec


def _patient_spec(
    view: str, params: dict, takeaway: str, notices: list[str]
) -> tuple[dict | None, list[str]]:
    """A patient view's spec: of a patient of this trial, without filters (they do not apply)."""
    if any(params.get(name) is None for name in VIEW_PARAMS[view]):
        return None, [*notices, "A slide of one patient names no patient of this trial; ignored"]
    spec = {"view": view, "params": params, "filters": {}}
    return _with_takeaway(spec, takeaway), notices


def encode_slides(specs: Iterable[Mapping], schema: Schema) -> str:
    """Pinned ViewSpec dicts as one compact URL-safe text."""
    texts = [encode_spec(s, schema) for s in list(specs)[:MAX_SLIDES]]
    raw = zlib.compress(json.dumps(texts, separators=(",", ":")).encode(), 9)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_slides(
    text: str, schema: Schema, patient_ids: Iterable = ()
) -> tuple[list[dict], list[str]]:
    """The ViewSpec dicts of `encode_slides`'s text; what cannot be read is a notice."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        d = zlib.decompressobj()
        data = d.decompress(raw, 200_000)
        if d.unconsumed_tail:
            raise ValueError("too large")
        texts = json.loads(data)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise ValueError("not a list of texts")
    except Exception:  # any malformed text: binascii, zlib, json, unicode errors
        return [], ["The pinned slides in the link could not be read; ignored"]
    specs, notices = [], []
    if len(texts) > MAX_SLIDES:
        notices.append(f"Only the first {MAX_SLIDES} slides of the link are used")
    for t in texts[:MAX_SLIDES]:
        spec, n = decode_spec(t, schema, patient_ids)
        notices += n
        if spec is not None:
            specs.append(spec)
    return specs, notices
