"""Strict request shapes, and random bodies on every route: a real jupyter lab and companion.

Everything goes through Jupyter's proxy with the token in the Authorization header (no
cookie, no Origin: the cross-site guard lets scripts through), so what is tested here is
the companion's reading and validation of requests, and the proxy in front of it.
"""

from __future__ import annotations

import http.client
import json
import time
from collections import Counter
from typing import NamedTuple
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from test_orphans import create_running_cluster

pytestmark = pytest.mark.e2e

API = "dask-clusters/api/"
MiB = 1024 * 1024
JSON = {"Content-Type": "application/json"}
# Bodies sent by the fuzz test; each is one HTTP request through the proxy.
EXAMPLES = 1300
# A fuzz body that the companion accepts starts a cluster; more than this means the
# mutations no longer make bodies invalid (or validation lets them through): stop.
MOST_CREATED = 3


def json_text(value) -> bytes:
    return json.dumps(value).encode()


def field_errors(body) -> list[dict]:
    assert isinstance(body, dict) and isinstance(body.get("fields"), list), body
    return body["fields"]


def test_unknown_fields_too_large_and_too_deep_bodies_are_refused(start_lab):
    server = start_lab()

    status, body = server.request("POST", API + "clusters", {"type": "local", "option": {}})
    assert status == 422, (status, body)
    at_option = [f for f in field_errors(body) if f["path"] == "/option"]
    assert at_option, body
    assert "options" in at_option[0]["message"], at_option

    status, body = server.request("POST", API + "clusters", {"type": "local", "options": {"wokers": 2}})
    assert status == 422, (status, body)
    naming = [f for f in field_errors(body) if "wokers" in f["path"] + f["message"]]
    assert naming, body
    assert "workers" in naming[0]["message"], naming

    status, body = server.request("POST", API + "clusters", {"type": "local", "options": {"workers": -1}})
    assert status == 422, (status, body)
    assert any(f["path"].endswith("workers") for f in field_errors(body)), body

    too_large = json_text({"type": "local", "options": {}, "name": "x" * MiB})
    deep = ["[" * 10_000, "[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000]
    wrong = []
    for method, path in (("POST", API + "clusters"), ("PUT", API + "settings"), ("POST", API + "types/slurm/preview")):
        status, body = server.send(method, path, too_large, JSON)
        if status != 413:
            wrong.append(f"{method} {path}, {len(too_large)} bytes -> {status} {body!r:.300}")
        for text in deep:
            status, body = server.send(method, path, text.encode(), JSON)
            if status != 400:
                wrong.append(f"{method} {path}, {text[:12]}... nested -> {status} {body!r:.300}")
    assert not wrong, "\n".join(wrong)
    assert server.cluster_ids() == set()
    assert server.cluster_runners() == []


def test_early_answers_never_break_the_proxy(start_lab):
    """The companion answers these before reading the body; the proxy is still sending it."""
    server = start_lab()
    scale = API + "clusters/nosuchid/scale"
    cases = [
        (scale, 900 * 1024, 404),
        (scale, 2 * MiB, 404),
        (API + "clusters", 2 * MiB, 413),
    ]
    wrong = {}
    for path, size, expected in cases:
        body = json_text({"mode": "fixed", "workers": 1, "pad": "x" * size})
        answers: Counter = Counter()
        for _ in range(40):
            try:
                status, _ = server.send("POST", path, body, JSON)
            except (OSError, http.client.HTTPException) as error:
                status = f"{type(error).__name__}: {error}"
            answers[status] += 1
        if set(answers) != {expected}:
            wrong[f"POST {path} {len(body)} bytes, expected {expected}"] = dict(answers)
    assert not wrong, f"{wrong}\n{server.log_tail()}"
    assert server.cluster_runners() == []


# --- the fuzz test ----------------------------------------------------------------------


class Req(NamedTuple):
    """One request the fuzz test sends."""

    route: str
    method: str
    path: str
    body: bytes | None
    content_type: str | None
    # A body made invalid on purpose, to a route that would start or scale something.
    must_refuse: bool = False

    def describe(self) -> str:
        shown = self.body if self.body is None or len(self.body) < 300 else self.body[:300] + b"..."
        return f"{self.method} {self.path} [{self.content_type}] {shown!r}"


# JSON values of every kind; integers stay small so that a value landing in a real field
# never asks for many workers, and big numbers come from the raw bodies instead.
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=4)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=16)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
# Never an acceptable worker count. Not 0: a SLURM or gateway cluster may start with no
# worker (a scheduler alone), and a fixed scale to 0 or an adaptive minimum of 0 is valid.
BAD_COUNTS = (
    st.integers(max_value=-1)
    | st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: x != int(x))
    | st.sampled_from([float("inf"), float("-inf"), float("nan")])
    | st.text(max_size=8)
    | st.booleans()
    | st.none()
    | st.lists(SCALARS, max_size=2)
    | st.dictionaries(st.text(max_size=4), SCALARS, max_size=2)
)
NOT_OBJECTS = st.lists(SCALARS, max_size=3) | st.text(max_size=8) | st.integers() | st.booleans()
SPECIAL_KEYS = st.sampled_from(["__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "", " ", "0"])
CONTENT_TYPES = st.sampled_from(
    ["application/json"] * 8
    + [
        "application/json; charset=utf-8",
        "APPLICATION/JSON",
        "application/vnd.api+json",
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        None,
    ]
)
UNKNOWN_IDS = st.sampled_from(["nosuchid", "..", "%2e%2e", "%00", "a%2Fb", "x" * 400, "%F0%9F%92%A5", "%ZZ"]) | st.text(
    min_size=1, max_size=30
).map(lambda t: quote(t, safe=""))
RAW_BODIES = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"null",
            b"[]",
            b'""',
            b"{}",
            b"1e999999",
            b'{"type": 1e999999}',
            b"-0",
            b'{"a":1,"a":2}',
            b'"\\ud800"',
            b'{"type":"\xff\xfe"}',
            "\ufeff{}".encode(),
            b'{"type":"local","options":{"workers":1}',
            b'{"__proto__":{"polluted":true},"type":"local","options":{"workers":-1}}',
            b'{"constructor":{"prototype":{"x":1}},"type":"local"}',
        ]
    ),
    st.integers(min_value=1, max_value=3000).flatmap(
        lambda n: st.sampled_from([b"[" * n, b"[" * n + b"]" * n, b'{"a":' * n + b"1" + b"}" * n])
    ),
)


def typos(names: list[str]):
    """Misspellings of `names` (a letter dropped, doubled, swapped or changed, a case) that are none of them."""

    def misspell(args):
        name, i, how = args
        i %= max(len(name), 1)
        spelt = {
            "drop": name[:i] + name[i + 1 :],
            "double": name[:i] + name[i : i + 1] * 2 + name[i + 1 :],
            "swap": name[:i] + name[i + 1 : i + 2] + name[i : i + 1] + name[i + 2 :],
            "upper": name.upper(),
            "plural": name + "s",
            "dash": name.replace("_", "-") + "-",
        }[how]
        return spelt if spelt not in names else spelt + "_"

    how = st.sampled_from(["drop", "double", "swap", "upper", "plural", "dash"])
    return st.tuples(st.sampled_from(names), st.integers(0, 40), how).map(misspell)


def unknown_keys(known: set[str]):
    """Field names that are not in `known`: misspelt, special or random."""
    return (typos(sorted(known)) | SPECIAL_KEYS | st.text(max_size=12)).filter(lambda k: k not in known)


def plus_unknown_field(obj: dict, known: set[str]):
    """`obj` with one more field, named none of `known`, holding any value."""
    return st.tuples(unknown_keys(known), VALUES).map(lambda kv: {**obj, kv[0]: kv[1]})


def edits(known_values: dict[str, object]):
    """A few changes to an object's known fields: set to a random value, or removed."""
    return st.lists(st.tuples(st.sampled_from(sorted(known_values)), st.booleans(), VALUES), max_size=3)


def apply_edits(obj: dict, changes) -> dict:
    obj = dict(obj)
    for key, remove, value in changes:
        if remove:
            obj.pop(key, None)
        else:
            obj[key] = value
    return obj


def encoded(value) -> st.SearchStrategy[bytes]:
    """The value as JSON text, sometimes cut short."""
    text = json_text(value)
    return st.just(text) | st.integers(0, max(len(text) - 1, 0)).map(lambda n: text[:n])


def create_bodies(type_options: dict[str, list[str]]):
    """Create (and preview) requests made from a valid one, then made invalid for sure."""
    all_options = {name for names in type_options.values() for name in names}
    top = {"type", "name", "options", "adopt"}

    def breakers(body: dict):
        options = body.get("options") if isinstance(body.get("options"), dict) else {}
        return st.one_of(
            plus_unknown_field(body, top),
            plus_unknown_field(options, all_options).map(lambda o: {**body, "options": o}),
            BAD_COUNTS.map(lambda v: {**body, "options": {**options, "workers": v}}),
            (st.text(max_size=12).filter(lambda t: t not in type_options) | NOT_OBJECTS | st.none()).map(
                lambda t: {**body, "type": t}
            ),
            NOT_OBJECTS.map(lambda v: {**body, "options": v}),
            st.just({k: v for k, v in body.items() if k != "type"}),
        )

    start = st.builds(
        lambda kind, changes: {"type": kind, "options": apply_edits({"workers": 1}, changes)},
        st.sampled_from(sorted(type_options)),
        edits({name: None for name in type_options["local"]}),
    )
    extra = st.fixed_dictionaries({}, optional={"name": VALUES, "adopt": VALUES})
    return st.tuples(start, extra).map(lambda t: {**t[0], **t[1]}).flatmap(breakers)


def scale_bodies():
    fixed = {"mode": "fixed", "workers": 1}
    adaptive = {"mode": "adaptive", "minimum": 1, "maximum": 2}
    known = {"mode", "workers", "minimum", "maximum"}

    def breakers(body: dict):
        return st.one_of(
            plus_unknown_field(body, known),
            (st.text(max_size=10).filter(lambda t: t not in ("fixed", "adaptive")) | NOT_OBJECTS | st.none()).map(
                lambda m: {**body, "mode": m}
            ),
            st.tuples(st.sampled_from(["workers", "minimum", "maximum"]), BAD_COUNTS).map(
                lambda kv: {**body, kv[0]: kv[1]} if kv[0] in body else {**body, "workers": kv[1]}
            ),
            st.just({k: v for k, v in body.items() if k != "mode"}),
        )

    return st.sampled_from([fixed, adaptive]).flatmap(breakers)


def some_of(*names: str):
    """Objects holding some of `names` and other keys, with any values."""
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=6), VALUES, max_size=3)


def settings_bodies():
    """Settings, valid or not (a valid one only changes what the companion holds in memory)."""
    gateway = st.fixed_dictionaries(
        {},
        optional={
            "address": st.sampled_from(["http://127.0.0.1:1", "", "not a url"]) | st.text(max_size=12),
            "proxyAddress": st.text(max_size=12),
            "optionMapping": some_of("environment", "envVars"),
            "token": VALUES,
        },
    )
    top = {"gateway", "workerEnvironment", "limits"}
    return st.fixed_dictionaries(
        {},
        optional={
            "gateway": gateway | VALUES,
            "workerEnvironment": st.dictionaries(st.text(max_size=8), VALUES, max_size=3) | VALUES,
            "limits": some_of("maxClusters", "maxWorkersPerCluster") | VALUES,
        },
    ).flatmap(lambda body: st.just(body) | plus_unknown_field(body, top))


def bodies(json_bodies):
    """Request bodies: mostly JSON text of `json_bodies`, some raw bytes of every sort."""
    return st.one_of(json_bodies.flatmap(encoded), json_bodies.flatmap(encoded), RAW_BODIES)


def requests(valid_id: str, type_options: dict[str, list[str]]) -> list[st.SearchStrategy[Req]]:
    """Every route (one strategy each), with valid and unknown ids and random bodies."""
    ids = st.just(valid_id) | UNKNOWN_IDS
    creates = create_bodies(type_options)

    def req(route, method, path, body_strategy=st.none()):
        return st.builds(
            lambda m, p, b, c: Req(route, m, p, b, c if b is not None else None),
            method if isinstance(method, st.SearchStrategy) else st.just(method),
            path if isinstance(path, st.SearchStrategy) else st.just(path),
            body_strategy,
            CONTENT_TYPES,
        )

    def must_refuse(route, path, json_bodies):
        """Bodies made invalid on purpose, sent as JSON: never a 2xx."""
        return json_bodies.map(lambda v: Req(route, "POST", path, json_text(v), "application/json", True))

    create = must_refuse("POST clusters", API + "clusters", creates)
    create_raw = req("POST clusters (raw)", "POST", API + "clusters", bodies(creates))
    scale_valid = must_refuse("POST scale (valid id)", API + f"clusters/{valid_id}/scale", scale_bodies())
    scale_any = req("POST scale", "POST", ids.map(lambda i: API + f"clusters/{i}/scale"), bodies(scale_bodies()))
    # Without a body: Jupyter's proxy answers any DELETE with a body 500 itself (Tornado's
    # client refuses to send one: "Body must be None for method DELETE"), and likewise a
    # PATCH with an empty body ("Body must not be None"), before the companion sees either.
    suffixes = st.sampled_from(["", "/", "/scale", "?force=1"])
    delete_paths = st.tuples(UNKNOWN_IDS, suffixes).map(lambda t: API + f"clusters/{t[0]}{t[1]}")
    delete = req("DELETE cluster (unknown id)", "DELETE", delete_paths)
    put_settings = req("PUT settings", "PUT", API + "settings", bodies(settings_bodies()))
    type_ids = st.sampled_from(["local", "slurm", "gateway", "nosuch"]) | UNKNOWN_IDS
    preview = req("POST preview", "POST", type_ids.map(lambda t: API + f"types/{t}/preview"), bodies(creates))
    rests = st.sampled_from(["", "status", "individual-plots.json", "info/main/workers.html"]) | st.text(
        alphabet="abcdefghij-_.", max_size=12
    )
    dashboard_paths = st.tuples(ids, rests).map(lambda t: f"dask-clusters/dashboard/{t[0]}/{t[1]}")
    dashboard = st.one_of(
        req("dashboard", st.sampled_from(["POST", "PUT", "PATCH"]), dashboard_paths, bodies(VALUES).filter(len)),
        req("dashboard", st.sampled_from(["POST", "PUT", "DELETE"]), dashboard_paths),
    )
    get_paths = st.one_of(
        st.sampled_from(["types", "environments", "clusters", "external", "events", "nosuch", "settings", ""]).map(
            lambda p: API + p
        ),
        st.text(max_size=12).map(lambda q: API + "types?memoryReserve=" + quote(q)),
        st.tuples(ids, st.sampled_from(["", "/snippet", "/plots", "/log", "/jobs/1/log", "/scale", "/nosuch"])).map(
            lambda t: API + f"clusters/{t[0]}{t[1]}"
        ),
        st.tuples(ids, UNKNOWN_IDS).map(lambda t: API + f"clusters/{t[0]}/jobs/{t[1]}/log"),
        st.text(max_size=20).map(lambda p: "dask-clusters/" + quote(p)),
    )
    gets = req("GET", st.sampled_from(["GET"] * 6 + ["HEAD", "OPTIONS"]), get_paths)
    return [create, create_raw, scale_valid, scale_any, delete, put_settings, preview, dashboard, gets]


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis keeps its caches (Unicode tables, constants) out of the checkout."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


def test_fuzz_every_route_answers_without_5xx_and_refusals_start_nothing(start_lab, hypothesis_home):
    server = start_lab()
    valid = create_running_cluster(server)
    valid_id = valid["id"]
    base_runners = server.cluster_runners()
    assert len(base_runners) == 1, [p.describe() for p in base_runners]
    server.remember(base_runners)
    known_runners = {(p.pid, p.started) for p in base_runners}

    status, types = server.request("GET", API + "types")
    assert status == 200, types
    type_options = {t["id"]: sorted(t["schema"].get("properties", {})) for t in types}
    assert "workers" in type_options["local"], type_options

    statuses: Counter = Counter()
    per_route: Counter = Counter()
    server_errors: list[str] = []
    accepted_invalid: list[str] = []
    launched_by_refusal: list[str] = []
    created: list[str] = []

    def check_launches(req: Req, status: int) -> None:
        """After a create: a new cluster or runner must come from a 2xx answer, and is removed."""
        new_ids = server.cluster_ids() - {valid_id}
        new_runners = [p for p in server.cluster_runners() if (p.pid, p.started) not in known_runners]
        if not new_ids and not new_runners:
            return
        server.remember(new_runners)
        found = created if 200 <= status < 300 else launched_by_refusal
        found.append(f"{status} {sorted(new_ids)} <- {req.describe()}")
        for cluster_id in new_ids:
            server.remove_cluster(cluster_id, new_runners)
        assert len(created) + len(launched_by_refusal) <= MOST_CREATED, (created, launched_by_refusal)

    def one_request(req: Req) -> None:
        headers = {} if req.content_type is None else {"Content-Type": req.content_type}
        try:
            status, body = server.send(req.method, req.path, req.body, headers, timeout=60)
        except (OSError, http.client.HTTPException) as error:
            status, body = 0, f"{type(error).__name__}: {error}"
        statuses[status] += 1
        per_route[req.route] += 1
        if status >= 500 or status == 0:
            server_errors.append(f"{status} {body!r:.300} <- {req.describe()}")
        if req.must_refuse and 200 <= status < 300:
            accepted_invalid.append(f"{status} {body!r:.200} <- {req.describe()}")
        if req.route.startswith("POST clusters"):
            check_launches(req, status)

    started = time.monotonic()
    strategies = requests(valid_id, type_options)
    # Derandomized: the same requests on every run; no example database in the tree.
    fixed = settings(
        max_examples=-(-EXAMPLES // len(strategies)),
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    for strategy in strategies:
        fixed(given(strategy)(one_request))()
    elapsed = time.monotonic() - started
    sent = sum(per_route.values())
    summary = (
        f"{sent} requests in {elapsed:.0f} s; by route {dict(per_route)}; statuses {dict(sorted(statuses.items()))}"
    )
    print(summary)

    # What the fuzz may have changed, back to what JupyterLab sends by default.
    assert server.request("PUT", API + "settings", {"gateway": {}, "workerEnvironment": {}})[0] == 200
    assert server.cluster_ids() == {valid_id}, summary
    leftover = [p for p in server.cluster_runners() if (p.pid, p.started) not in known_runners]
    assert not leftover, [p.describe() for p in leftover]
    status, model = server.request("GET", API + f"clusters/{valid_id}")
    assert status == 200 and model["state"] == "running", model
    assert model["scaling"] == valid["scaling"], "an invalid scale body changed the scaling"
    server.remove_cluster(valid_id, base_runners)

    assert sent >= 1000, summary
    assert not server_errors, f"{len(server_errors)} answers 5xx or no answer; {summary}\n" + "\n".join(
        server_errors[:40]
    )
    assert not launched_by_refusal, launched_by_refusal
    assert not accepted_invalid, f"invalid bodies accepted; {summary}\n" + "\n".join(accepted_invalid[:40])
    print(f"clusters created by a 2xx answer (and removed): {len(created)} {created}")
