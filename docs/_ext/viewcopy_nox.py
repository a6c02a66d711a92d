"""Waiting for nox: the claims under each NumPy release run beside Sphinx (``nox -s docs``, .ci/noxlib.py).

nox names a loopback socket in ``VIEWCOPY_CLAIMS_RUNNING`` (host:port); the
versions page connects and reads until nox closes it, which nox does when
every release has written its results, and the operating system does if nox
dies.  Connecting is also how nox learns that Sphinx waits and its core is free.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable

ADDRESS = "VIEWCOPY_CLAIMS_RUNNING"


def wait_for_claims(on_wait: Callable[[], None] = lambda: None, address: str | None = None) -> bool:
    """Block until nox's claims run has ended; False at once when none is running.

    ``on_wait`` is called once connected, before blocking (to log that the build waits).
    """
    address = os.environ.get(ADDRESS) if address is None else address
    if not address:
        return False
    host, _, port = address.rpartition(":")
    try:
        connection = socket.create_connection((host, int(port)), timeout=5)
    except (OSError, ValueError):
        return False  # the run has ended already (its socket is closed), or the variable is not an address
    on_wait()
    with connection:
        connection.settimeout(None)
        try:
            while connection.recv(1024):
                pass
        except OSError:
            pass  # reset: the run ended as this connection was being accepted
    return True
