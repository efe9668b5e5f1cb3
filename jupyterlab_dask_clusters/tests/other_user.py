"""A second Unix account on the Jupyter host, and what it tries against someone else's cluster.

Two halves in one file:

- the owner's side (imported by the tests, running as the cluster's owner): `load_account()`
  finds the account scripts/other-user.sh made (`make other-user`), `Account.run()` runs the
  probes below as that account, and `reachable()` lets it walk down to a directory so that a
  refusal there is the directory's own doing, not that of some parent;
- the other account's side: this file's source is fed to the account's own interpreter
  (`python - REQUEST`; the checkout itself may be unreadable to it), which runs `main()`. Only
  the standard library is imported at the top, `distributed` only where a probe needs it.

Every probe answers a JSON object with an "outcome" ("refused", "connected", "answered",
"closed", "read") and, when something raised, the exception's type, errno, SSL reason and text,
so the tests can check that each refusal happened for the right reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import ssl
import stat
import struct
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ENV_FILE = Path(os.environ.get("JDC_OTHER_ENV", "/var/tmp/jdc-other.env"))
SETUP_HINT = "run `make other-user` (scripts/other-user.sh, as root) first"
CONNECT_TIMEOUT = 5.0
# A dask peer that would answer has done so well within this; a TLS server that refuses
# closes at once.
ANSWER_WAIT = 3.0
MAX_REPLY = 1 << 16


# ----------------------------------------------------------------- owner side


class MissingAccount(RuntimeError):
    """The other account or its interpreter is not (fully) there."""


@dataclass(frozen=True)
class Account:
    """The other account: its name, uid and an interpreter it can run, with `distributed`."""

    name: str
    uid: int
    python: str
    versions: str

    def run(self, *probes: tuple[str, dict], timeout: float = 120) -> list[dict]:
        """Runs the named probes, in order, in one interpreter of this account; their answers."""
        import pwd
        import shutil

        runuser = shutil.which("runuser") or shutil.which("runuser", path="/usr/sbin:/sbin")
        if runuser is None:
            raise MissingAccount("runuser (util-linux) is not installed")
        request = json.dumps([{"probe": name, "args": args} for name, args in probes])
        env = {
            "PATH": "/usr/bin:/bin",
            "HOME": pwd.getpwnam(self.name).pw_dir,
            "LANG": "C.UTF-8",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        # A session of its own: a probe that hangs goes with its process group, not only runuser.
        proc = subprocess.Popen(
            [runuser, "-u", self.name, "--", self.python, "-", request],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd="/",
            env=env,
            start_new_session=True,
        )
        try:
            stdout, stderr = proc.communicate(Path(__file__).read_text(), timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise
        if proc.returncode != 0:
            raise RuntimeError(f"the probes failed to run as {self.name} (exit {proc.returncode}):\n{stderr[-4000:]}")
        return json.loads(stdout)


def load_account(owner_versions: str) -> Account:
    """The account of scripts/other-user.sh, checked; raises MissingAccount with what to do."""
    import pwd

    if not ENV_FILE.is_file():
        raise MissingAccount(f"{ENV_FILE} is missing: {SETUP_HINT}")
    facts = dict(line.split("=", 1) for line in ENV_FILE.read_text().splitlines() if "=" in line)
    try:
        account = Account(
            facts["JDC_OTHER_USER"], int(facts["JDC_OTHER_UID"]), facts["JDC_OTHER_PYTHON"], facts["JDC_OTHER_VERSIONS"]
        )
        entry = pwd.getpwnam(account.name)
    except (KeyError, ValueError) as err:
        raise MissingAccount(f"{ENV_FILE} names no usable account ({err}): {SETUP_HINT}") from None
    if entry.pw_uid != account.uid or account.uid in (0, os.getuid()):
        raise MissingAccount(f"{account.name} has uid {entry.pw_uid}, not a second account's: {SETUP_HINT}")
    if not os.access(account.python, os.X_OK):
        raise MissingAccount(f"{account.python} is not there: {SETUP_HINT}")
    if account.versions != owner_versions:
        raise MissingAccount(
            f"{account.name}'s interpreter has distributed, dask {account.versions}, the owner "
            f"{owner_versions}: {SETUP_HINT}"
        )
    return account


@contextlib.contextmanager
def reachable(directory: Path):
    """Lets any account traverse (not list) every parent of `directory`, then puts them back.

    A parent made private (the companion makes its state directory 0700) would stop the other
    account above the cluster's own directory, and a refusal would prove nothing about it.
    """
    changed: list[tuple[Path, int]] = []
    try:
        for parent in Path(directory).resolve().parents:
            mode = stat.S_IMODE(parent.stat().st_mode)
            if not mode & stat.S_IXOTH:
                changed.append((parent, mode))
                parent.chmod(mode | stat.S_IXOTH)
        yield
    finally:
        for parent, mode in reversed(changed):
            parent.chmod(mode)


# --------------------------------------------------------- other account's side


def _error(exc: BaseException, **extra) -> dict:
    return {
        "outcome": "refused",
        "type": type(exc).__name__,
        "errno": getattr(exc, "errno", None),
        "reason": getattr(exc, "reason", None),
        "message": str(exc)[:600],
        **extra,
    }


def _host_port(address: str) -> tuple[str, int]:
    host, _, port = address.split("://", 1)[-1].rpartition(":")
    return host.strip("[]"), int(port)


async def _decode(raw: bytes):
    """The first dask message in raw bytes of the TCP comm; None while incomplete.

    Raises ValueError when the bytes cannot be the start of one."""
    from distributed.comm.utils import from_frames
    from distributed.protocol.utils import unpack_frames

    if len(raw) < 8:
        return None
    (size,) = struct.unpack_from("Q", raw)
    if size > MAX_REPLY:
        raise ValueError(f"no dask frame header: {size} bytes announced")
    if len(raw) < 8 + size:
        return None
    try:
        frames, missing = unpack_frames(raw[8 : 8 + size], partial=True)
        end = 8 + size + sum(missing)
        if len(raw) < end:
            return None
        offset = 8 + size
        for n in missing:
            frames.append(memoryview(raw[offset : offset + n]))
            offset += n
        return await from_frames(frames)
    except Exception as err:  # noqa: BLE001 - any garbage is "not a dask message"
        raise ValueError(f"not a dask message: {type(err).__name__}: {err}") from None


async def _exchange(host: str, port: int, data: bytes) -> dict:
    """Sends data on a fresh TCP connection; what came back until a whole dask message, the
    peer's close, or ANSWER_WAIT seconds of silence."""
    reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
    local_port = writer.get_extra_info("sockname")[1]
    writer.write(data)
    await writer.drain()
    reply, closed, decoded, error = b"", False, None, None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + ANSWER_WAIT
    while True:
        try:
            decoded = await _decode(reply)
        except ValueError as err:
            error = str(err)
            break
        if decoded is not None or loop.time() >= deadline:
            break
        try:
            chunk = await asyncio.wait_for(reader.read(MAX_REPLY), deadline - loop.time())
        except asyncio.TimeoutError:
            break
        except ConnectionError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        reply += chunk
    writer.close()
    return {
        "local_port": local_port,
        "reply_hex": reply[:64].hex(),
        "reply_len": len(reply),
        "closed": closed,
        "decoded": None if decoded is None else repr(decoded)[:300],
        "decode_error": error,
    }


async def _dask_hello() -> bytes:
    """The exact bytes a dask client sends first on a tcp:// connection (its handshake),
    captured from a real `distributed.comm.connect` against a plain socket of our own."""
    from distributed.comm import connect

    captured: asyncio.Future = asyncio.get_running_loop().create_future()

    async def capture(reader, writer):
        data = b""
        try:
            while not captured.done():
                chunk = await reader.read(MAX_REPLY)
                if not chunk:
                    raise EOFError(f"the dask client closed after {len(data)} bytes")
                data += chunk
                if await _decode(data) is not None:
                    captured.set_result(data)
        except Exception as err:  # noqa: BLE001 - surfaces in the waiting probe
            if not captured.done():
                captured.set_exception(err)
        finally:
            writer.close()

    server = await asyncio.start_server(capture, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = asyncio.ensure_future(connect(f"tcp://127.0.0.1:{port}", timeout=CONNECT_TIMEOUT))
    try:
        return await asyncio.wait_for(captured, CONNECT_TIMEOUT)
    finally:
        client.cancel()
        await asyncio.gather(client, return_exceptions=True)
        server.close()


def probe_client(address: str) -> dict:
    """`Client(address)` with no credentials at all, on an event loop of its own: with
    distributed 2026.11.0 a synchronous Client that failed to start leaves its loop runner
    behind, and the next one in the same process waits for it for ever."""
    from distributed import Client

    async def run():
        try:
            client = await Client(address, timeout=CONNECT_TIMEOUT, set_as_default=False, asynchronous=True)
        except Exception as err:  # noqa: BLE001 - the refusal is the answer
            return _error(err)
        try:
            return {"outcome": "connected", "workers": len(client.scheduler_info()["workers"])}
        finally:
            await client.close()

    return asyncio.run(run())


def probe_dask_handshake(address: str) -> dict:
    """A raw TCP connection sending a plain-TCP dask handshake; also sent, as a control, to a
    plain-TCP dask listener of our own, which must answer with its handshake."""
    from distributed.comm import listen

    async def run():
        hello = await _dask_hello()

        async def ignore(comm):
            await comm.close()

        control = listen("tcp://127.0.0.1:0", ignore)
        await control.start()
        try:
            answer_control = await _exchange(*_host_port(control.contact_address), hello)
        finally:
            control.stop()
        try:
            answer = await _exchange(*_host_port(address), hello)
        except OSError as err:
            return _error(err, control=answer_control, hello_len=len(hello))
        outcome = "answered" if answer["decoded"] is not None else "refused"
        return {"outcome": outcome, **answer, "control": answer_control, "hello_len": len(hello)}

    return asyncio.run(run())


def probe_tls(address: str, own_certificate: bool = False) -> dict:
    """A TLS connection that trusts any server and presents no client certificate, or one
    from a CA of our own (`Security.temporary()`); then waits for the scheduler's dask
    handshake, which it sends first to any peer it accepts.

    Nothing is sent inside: bytes of ours in flight when the server aborts would turn its
    close into a reset, and the alert that says why would be lost."""
    host, port = _host_port(address)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    if own_certificate:
        from distributed.security import Security

        mine = Security.temporary()
        folder = tempfile.mkdtemp()
        cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
        Path(cert).write_text(mine.tls_client_cert)
        Path(key).write_text(mine.tls_client_key)
        context.load_cert_chain(cert, key)
    sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
    local_port = sock.getsockname()[1]
    stage, version, server_cert = "handshake", None, 0
    try:
        with context.wrap_socket(sock) as tls:
            version = tls.version()
            server_cert = len(tls.getpeercert(binary_form=True) or b"")
            stage = "read"
            tls.settimeout(ANSWER_WAIT)
            reply = tls.recv(MAX_REPLY)
    except (ssl.SSLError, OSError) as err:
        return _error(err, stage=stage, version=version, server_cert_bytes=server_cert, local_port=local_port)
    return {
        "outcome": "answered" if reply else "closed",
        "reply_hex": reply[:64].hex(),
        "version": version,
        "server_cert_bytes": server_cert,
        "local_port": local_port,
    }


def probe_files(directory: str, names: list[str]) -> dict:
    """Lists the directory, and stats and reads each file in it."""

    def attempt(action):
        try:
            value = action()
        except OSError as err:
            return _error(err)
        return {"outcome": "read", "value": value}

    def stat_of(path):
        st = os.stat(path)
        return {"mode": stat.S_IMODE(st.st_mode), "uid": st.st_uid}

    def read(path):
        with open(path, "rb") as f:
            return len(f.read())

    return {
        "outcome": "done",
        "directory": {"stat": attempt(lambda: stat_of(directory)), "list": attempt(lambda: os.listdir(directory))},
        "files": {
            name: {
                "stat": attempt(lambda p=os.path.join(directory, name): stat_of(p)),
                "read": attempt(lambda p=os.path.join(directory, name): read(p)),
            }
            for name in names
        },
    }


def probe_control(path: str) -> dict:
    """Connects to a runner's control socket and asks it to close its cluster."""
    import socket

    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.settimeout(10)
    try:
        conn.connect(path)
    except OSError as err:
        conn.close()
        return _error(err)
    try:
        conn.sendall(b'{"op": "close"}\n')
        data = conn.recv(4096)
    except OSError as err:
        return _error(err, connected=True)
    finally:
        conn.close()
    # The runner hangs up on another account at once: nothing is read.
    return {"outcome": "answered" if data else "hung up", "data": data.decode(errors="replace")}


PROBES = {
    "control": probe_control,
    "client": probe_client,
    "dask_handshake": probe_dask_handshake,
    "tls": probe_tls,
    "files": probe_files,
}


def main() -> None:
    answers = []
    for item in json.loads(sys.argv[1]):
        try:
            answer = PROBES[item["probe"]](**item["args"])
        except Exception as err:  # noqa: BLE001 - report, the test decides
            answer = _error(err, outcome="probe failed")
        answers.append({"probe": item["probe"], "as_uid": os.getuid(), **answer})
    json.dump(answers, sys.stdout)


if __name__ == "__main__":
    main()
