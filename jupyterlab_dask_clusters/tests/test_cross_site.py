"""Cross-site requests are refused: a real jupyter lab, a browser's cookie session, the companion.

jupyter-server-proxy authenticates every request to `dask-clusters/` (token or cookie) but
turns Jupyter's own XSRF check off for proxied apps (`ProxyHandler.check_xsrf_cookie` does
nothing, "defer to proxied apps"), so the companion has to refuse cross-site requests itself.
It can, because the proxy forwards the request headers unchanged: checked against
jupyter-server-proxy 4.6.0 with an echo server behind it on a Unix socket, the backend sees
`Host: 127.0.0.1:PORT` (the address the browser used, not the socket), `Origin`, `Cookie`
(`_xsrf` and Jupyter's login cookie), `X-XSRFToken` (as `X-Xsrftoken`; header names are
case-insensitive), `Content-Type` and `Authorization`, plus its own `X-Forwarded-Context`.
WebSockets: Jupyter itself refuses a cookie-authenticated handshake from a foreign Origin
(403 "Cross origin websockets not allowed") before the proxy opens the companion's socket.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import secrets
import sys
import time
import urllib.parse
import urllib.request

import pytest
import websocket

pytestmark = pytest.mark.e2e

API = "dask-clusters/api/"
FOREIGN = "https://evil.example"
# Validation refuses this (422) before anything starts: "accepted" then means "not 403".
INVALID_CREATE = {"type": "local", "options": {"workers": -1}}
VALID_CREATE = {"type": "local", "name": "cross-site", "options": {"workers": 1}}
SETTINGS = {"gateway": {}, "workerEnvironment": {}}
WHY = re.compile(r"another site|cross-site|cross-origin|XSRF", re.IGNORECASE)


class Browser:
    """A browser's session with Jupyter: logged in on the login page, cookies and no token."""

    def __init__(self, server):
        self.server = server
        self.origin = server.url.rstrip("/")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        # The login page sets the _xsrf cookie; the form posts it back with the password
        # field, where Jupyter takes the token too (auth/login.py).
        with opener.open(server.url + "login", timeout=30) as resp:
            assert resp.status == 200, resp.status
        cookies = {c.name: c.value for c in jar}
        assert "_xsrf" in cookies, f"the login page set no _xsrf cookie: {list(cookies)}"
        form = urllib.parse.urlencode({"password": server.token, "_xsrf": cookies["_xsrf"]})
        with opener.open(server.url + "login", form.encode(), timeout=30) as resp:
            assert resp.status == 200, resp.status
        cookies = {c.name: c.value for c in jar}
        assert any(name.startswith("username-") for name in cookies), (
            f"no login cookie after logging in: {list(cookies)}\n{server.log_tail()}"
        )
        self.xsrf = cookies["_xsrf"]
        self.cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())

    def send(self, method: str, path: str, body=None, headers=None) -> tuple[int, object]:
        """A request carrying only the Jupyter cookies and `headers`; a dict body goes as JSON text."""
        data = json.dumps(body).encode() if isinstance(body, dict) else body
        return self.server.send(method, path, data, {"Cookie": self.cookie, **(headers or {})}, token=False)

    def jupyterlab(self, method: str, path: str, body=None) -> tuple[int, object]:
        """What JupyterLab's ServerConnection sends: the _xsrf cookie's value in X-XSRFToken."""
        headers = {"X-XSRFToken": self.xsrf, "Content-Type": "application/json", "Origin": self.origin}
        return self.send(method, path, body, headers)


def other_xsrf_token() -> str:
    """A well-formed Tornado XSRF token (version 2, zero mask) holding some other secret."""
    return f"2|00000000|{secrets.token_hex(16)}|{int(time.time())}"


def cross_site_headers() -> dict[str, dict[str, str]]:
    """The ways a page of another site (or a request without the XSRF token) comes in."""
    return {
        "(a) text/plain from a foreign Origin, cookies only": {"Content-Type": "text/plain", "Origin": FOREIGN},
        "(b) JSON from a foreign Origin, no X-XSRFToken": {"Content-Type": "application/json", "Origin": FOREIGN},
        "(c) X-XSRFToken not the _xsrf cookie, foreign Origin": {
            "Content-Type": "application/json",
            "Origin": FOREIGN,
            "X-XSRFToken": other_xsrf_token(),
        },
        "(c) X-XSRFToken not the _xsrf cookie, no Origin": {
            "Content-Type": "application/json",
            "X-XSRFToken": other_xsrf_token(),
        },
        "cookies only, no Origin, no X-XSRFToken": {"Content-Type": "application/json"},
    }


def state_changing_routes(cluster_id: str) -> list[tuple[str, str, dict | None]]:
    """Every state-changing route, with bodies that would do something if they got through."""
    dashboard = f"dask-clusters/dashboard/{cluster_id}/"
    return [
        ("POST", API + "clusters", VALID_CREATE),
        ("POST", API + f"clusters/{cluster_id}/scale", {"mode": "fixed", "workers": 2}),
        ("DELETE", API + f"clusters/{cluster_id}", None),
        ("DELETE", API + f"clusters/{cluster_id}?force=true", None),
        ("POST", API + f"clusters/{cluster_id}/adopt", None),
        ("POST", API + f"clusters/{cluster_id}/release", {"owner": {"host": "evil", "pid": 1, "since": "now"}}),
        ("PUT", API + "settings", {"gateway": {"address": "http://evil.example:8000"}, "workerEnvironment": {}}),
        ("POST", API + "types/local/preview", VALID_CREATE),
        ("POST", API + "types/slurm/preview", {"type": "slurm", "options": {}}),
        ("POST", API + "environments/spare", {"environment": sys.executable}),
        ("POST", dashboard + "status", {"x": 1}),
        ("PUT", dashboard + "status", {"x": 1}),
        ("DELETE", dashboard + "status", None),
        ("POST", dashboard + "api/v1/retire_workers", {"workers": []}),
    ]


def wait_for_state(server, cluster_id: str, wanted: set[str], within: float) -> dict:
    """The cluster's model once its state is one of `wanted`; fails on any other end."""
    deadline = time.monotonic() + within
    while True:
        status, model = server.request("GET", API + f"clusters/{cluster_id}")
        assert status == 200, f"GET cluster answered {status}: {model}"
        if model["state"] in wanted:
            return model
        assert model["state"] in ("starting", "running", "stopping"), model
        assert time.monotonic() < deadline, f"not {wanted} after {within} s: {model}\n{server.log_tail()}"
        time.sleep(0.5)


def test_cross_site_requests_are_refused_and_start_nothing(start_lab):
    server = start_lab()
    browser = Browser(server)
    status, body = browser.send("GET", API + "clusters")
    assert status == 200, f"the cookie session cannot read api/clusters: {status} {body}"
    status, body = server.send("GET", API + "clusters", token=False)
    assert status != 200, "api/clusters answered without any authentication"

    # The one accepted create of this file: what JupyterLab sends starts a cluster.
    status, model = browser.jupyterlab("POST", API + "clusters", VALID_CREATE)
    assert status == 201, f"create with the XSRF token answered {status}: {model}\n{server.log_tail()}"
    cluster_id = model["id"]
    before = wait_for_state(server, cluster_id, {"running"}, within=180)
    runners = server.cluster_runners()
    assert len(runners) == 1, [p.describe() for p in runners]
    server.remember(runners)

    refused = []
    for label, headers in cross_site_headers().items():
        for method, path, body in state_changing_routes(cluster_id):
            status, answer = browser.send(method, path, body, headers)
            message = answer.get("message", "") if isinstance(answer, dict) else ""
            if status != 403 or not WHY.search(message):
                refused.append(f"{label}: {method} {path} -> {status} {answer!r:.300}")
    assert not refused, "not refused as cross-site:\n" + "\n".join(refused)

    # Nothing started, scaled or stopped: the same one cluster and runner as before.
    time.sleep(1)
    assert server.cluster_ids() == {cluster_id}
    after = wait_for_state(server, cluster_id, {"running", "starting", "stopping"}, within=5)
    assert after["state"] == "running", after
    assert after["scaling"] == before["scaling"], (before["scaling"], after["scaling"])
    now = server.cluster_runners()
    assert [(p.pid, p.started) for p in now] == [(p.pid, p.started) for p in runners], [p.describe() for p in now]

    # And what JupyterLab sends stops it.
    status, answer = browser.jupyterlab("DELETE", API + f"clusters/{cluster_id}")
    assert status == 202, f"DELETE with the XSRF token answered {status}: {answer}"
    server.remove_cluster(cluster_id, runners, send=browser.jupyterlab)


def accepted_routes() -> list[tuple[str, str, dict | None, int]]:
    """State-changing routes with bodies and ids that validation refuses: the status expected."""
    return [
        ("POST", API + "clusters", INVALID_CREATE, 422),
        ("POST", API + "clusters/nosuchid/scale", {"mode": "fixed", "workers": 1}, 404),
        ("DELETE", API + "clusters/nosuchid", None, 404),
        ("DELETE", API + "clusters/nosuchid?force=true", None, 404),
        ("POST", API + "clusters/nosuchid/adopt", None, 404),
        ("POST", API + "clusters/nosuchid/release", {"owner": {}}, 404),
        ("PUT", API + "settings", SETTINGS, 200),
        ("POST", API + "types/local/preview", INVALID_CREATE, 404),
        ("POST", API + "environments/spare", {"environment": ""}, 422),
        ("POST", "dask-clusters/dashboard/nosuchid/status", {"x": 1}, 404),
    ]


def test_same_site_and_scripts_are_accepted(start_lab):
    server = start_lab()
    browser = Browser(server)
    senders = {
        "X-XSRFToken = _xsrf cookie, own Origin (JupyterLab)": browser.jupyterlab,
        "X-XSRFToken = _xsrf cookie, no Origin": lambda method, path, body: browser.send(
            method, path, body, {"X-XSRFToken": browser.xsrf, "Content-Type": "application/json"}
        ),
        "own Origin, cookies, no X-XSRFToken": lambda method, path, body: browser.send(
            method, path, body, {"Origin": browser.origin, "Content-Type": "application/json"}
        ),
        # A script: token in the Authorization header, no Cookie, no Origin.
        "token header, no Cookie, no Origin": lambda method, path, body: server.send(
            method, path, None if body is None else json.dumps(body).encode(), {"Content-Type": "application/json"}
        ),
    }
    wrong = []
    for label, send in senders.items():
        for method, path, body, expected in accepted_routes():
            status, answer = send(method, path, body)
            if status != expected:
                wrong.append(f"{label}: {method} {path} -> {status} (expected {expected}) {answer!r:.300}")
    assert not wrong, "\n".join(wrong)

    # Past the origin check, a body that is not JSON is refused for what it is.
    reading_bodies = (("POST", API + "clusters"), ("PUT", API + "settings"), ("POST", API + "types/slurm/preview"))
    for headers in ({"Origin": browser.origin}, {"X-XSRFToken": browser.xsrf}):
        for method, path in reading_bodies:
            status, answer = browser.send(method, path, INVALID_CREATE, {"Content-Type": "text/plain", **headers})
            if status != 415:
                wrong.append(f"text/plain with {list(headers)}: {method} {path} -> {status} {answer!r:.300}")
    assert not wrong, "\n".join(wrong)
    assert server.cluster_ids() == set()
    assert server.cluster_runners() == []


def open_events(server, origin: str | None, headers: list[str]) -> websocket.WebSocket:
    url = server.url.replace("http://", "ws://", 1) + API + "events"
    if origin is None:
        return websocket.create_connection(url, header=headers, suppress_origin=True, timeout=30)
    return websocket.create_connection(url, header=headers, origin=origin, timeout=30)


def first_message(ws: websocket.WebSocket) -> dict | None:
    """The first event on the socket, or None when it closes first; closes it."""
    try:
        text = ws.recv()
    except websocket.WebSocketConnectionClosedException:
        return None
    finally:
        ws.close()
    return json.loads(text) if text else None


def test_event_stream_refuses_a_foreign_origin(start_lab):
    server = start_lab()
    browser = Browser(server)
    cookie = [f"Cookie: {browser.cookie}"]
    token = [f"Authorization: token {server.token}"]

    # A page of another site, with the user's cookies: the handshake fails.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        open_events(server, FOREIGN, cookie).close()
    assert refused.value.status_code == 403, refused.value

    # With the token in a header Jupyter skips its origin check and the companion's refuses
    # the proxy's handshake (403, in Jupyter's log as "HTTP 403: Forbidden"). Tornado has by
    # then already answered the client 101, before jupyter-server-proxy connects onwards, so
    # the client sees its socket closed before any event, not a 403.
    assert first_message(open_events(server, FOREIGN, token)) is None

    for origin, headers in ((browser.origin, cookie), (None, token)):
        first = first_message(open_events(server, origin, headers))
        assert first is not None and first["kind"] == "snapshot" and first["clusters"] == [], (origin, first)
