"""The credentials the runner makes for a local cluster: a fresh EC key and a
self-signed certificate per cluster, files only the owner can read, and a
scheduler that takes only clients holding that cluster's certificate."""

from __future__ import annotations

import asyncio
import datetime
import os
import stat

import pytest

from jupyterlab_dask_clusters import runner

# Made by cryptography (any runner), or by openssl (a runner host's clusters, all on this host).
MAKERS = pytest.mark.parametrize("same_host", [False, True], ids=["cryptography", "openssl"])


def credentials(directory, same_host=False):
    directory.mkdir(mode=0o700)
    security, paths = runner._tls_security(str(directory))
    runner._write_tls_credentials(paths, same_host)
    return security, paths


@MAKERS
def test_each_cluster_gets_its_own_ec_key_and_certificate_readable_by_its_owner_only(tmp_path, same_host):
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ec

    _, first = credentials(tmp_path / "a", same_host)
    _, second = credentials(tmp_path / "b", same_host)
    for path in first.values():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path

    cert = x509.load_pem_x509_certificate(open(first["cert"], "rb").read())
    assert open(first["ca"]).read() == open(first["cert"]).read()  # its own CA
    assert isinstance(cert.public_key(), ec.EllipticCurvePublicKey)
    assert cert.public_key().curve.name == "secp256r1"
    assert cert.issuer == cert.subject
    now = datetime.datetime.now(datetime.timezone.utc)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
    assert open(first["key"]).read() != open(second["key"]).read()
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["dask-internal"]
    if same_host:
        # Made by openssl indeed, not by the fallback for a host without it.
        assert runner._openssl_credentials() is not None


@MAKERS
def test_a_scheduler_refuses_a_client_holding_another_clusters_certificate(tmp_path, same_host):
    from distributed import Client, Scheduler, Worker

    ours, _ = credentials(tmp_path / "ours", same_host)
    theirs, _ = credentials(tmp_path / "theirs", same_host)

    async def main():
        async with (
            Scheduler(security=ours, dashboard_address=None, host="127.0.0.1", port=0) as scheduler,
            Worker(scheduler.address, security=ours, nthreads=1),
        ):
            async with Client(scheduler.address, security=ours, asynchronous=True) as client:
                assert await client.submit(sum, [1, 2]) == 3
            with pytest.raises((OSError, asyncio.TimeoutError)):
                await Client(scheduler.address, security=theirs, asynchronous=True, timeout="2s")

    asyncio.run(main())
