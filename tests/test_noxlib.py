""".ci/noxlib.py, the noxfile's machinery: stamps redo work only on change; the claims run beside Sphinx
uses the cores Sphinx leaves free and tells Sphinx when it ends, also when nox dies.

docs/_ext/viewcopy_nox.py (the Sphinx side of the socket) is tested here with it: neither needs Sphinx.
"""

from __future__ import annotations

import importlib.util
import json
import multiprocessing
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import viewcopy_nox  # docs/_ext, on sys.path by conftest

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("viewcopy_noxlib", ROOT / ".ci" / "noxlib.py")
noxlib = sys.modules[spec.name] = importlib.util.module_from_spec(spec)
spec.loader.exec_module(noxlib)


def test_a_stamp_is_fresh_until_an_input_changes(tmp_path):
    (tmp_path / "lock.txt").write_text("numpy==2.4.6\n")
    (tmp_path / "src" / "__pycache__").mkdir(parents=True)
    inputs = [tmp_path / "lock.txt", tmp_path / "src"]
    stamp = noxlib.Stamp(tmp_path / "stamp", noxlib.digest(inputs, tmp_path))
    assert not stamp.fresh()
    stamp.write()
    assert noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path)).fresh()
    (tmp_path / "src" / "__pycache__" / "x.pyc").write_bytes(b"cache")  # caches are not inputs
    assert noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path)).fresh()
    # nor what an editable install builds among the sources: every install rewrites them
    (tmp_path / "src" / "pkg.egg-info").mkdir()
    (tmp_path / "src" / "pkg.egg-info" / "PKG-INFO").write_text("Version: 0.1.dev1+g0123abc\n")
    (tmp_path / "src" / "_ext.cpython-312-x86_64-linux-gnu.so").write_bytes(b"ELF")
    assert noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path)).fresh()
    (tmp_path / "src" / "module.py").write_text("x = 1\n")  # a source is
    assert not noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path)).fresh()
    stamp = noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path))
    stamp.write()
    (tmp_path / "lock.txt").write_text("numpy==2.4.7\n")
    assert not noxlib.Stamp(stamp.path, noxlib.digest(inputs, tmp_path)).fresh()


def test_an_environment_is_installed_once_per_lock(tmp_path, monkeypatch):
    monkeypatch.setattr(noxlib, "find_python", lambda version: f"python{version}")
    lock = tmp_path / "numpy-2.4.txt"
    lock.write_text("numpy==2.4.6\n")
    ran: list[list[str]] = []

    def run(command):
        ran.append(command)
        Path(command[-1]).mkdir(exist_ok=True) if command[1] == "venv" else None

    env = noxlib.Env(tmp_path / "env", "3.12", lock, ".[dask]", (), tmp_path)
    env.ensure("uv", run)
    assert [c[:2] for c in ran] == [["uv", "venv"], ["uv", "pip"]]
    assert "python3.12" in ran[0]
    assert str(lock) in ran[1]
    env.ensure("uv", run)
    assert len(ran) == 2, "installed again though nothing changed"
    lock.write_text("numpy==2.4.7\n")
    env.ensure("uv", run)
    assert len(ran) == 4, "a changed lock was not installed"


def test_a_failed_install_leaves_no_stamp(tmp_path):
    lock = tmp_path / "lock.txt"
    lock.write_text("")

    def fail(command):
        raise RuntimeError("uv failed")

    env = noxlib.Env(tmp_path / "env", "3.12", lock, ".", (), tmp_path)
    (tmp_path / "env").mkdir()
    with pytest.raises(RuntimeError, match="uv failed"):
        env.ensure("uv", fail)
    assert not (tmp_path / "env" / ".viewcopy-installed").exists()


class Gate:
    """Jobs that block until released, counting how many ran at once."""

    def __init__(self) -> None:
        self.release, self.lock = threading.Event(), threading.Lock()
        self.now = self.most = 0

    def job(self, result: str | None = None):
        def run() -> str | None:
            with self.lock:
                self.now += 1
                self.most = max(self.most, self.now)
            self.release.wait(10)
            with self.lock:
                self.now -= 1
            return result

        return run


def test_jobs_leave_sphinx_a_core_until_it_waits_then_sphinx_resumes_when_they_end():
    gate = Gate()
    claims = noxlib.Claims({s: gate.job() for s in "abcd"}, cores=2)
    time.sleep(0.5)
    assert gate.most == 1, "a job ran on the core Sphinx works on"
    waited = threading.Event()
    sphinx = threading.Thread(target=lambda: viewcopy_nox.wait_for_claims(waited.set, claims.address))
    sphinx.start()
    assert waited.wait(5)
    time.sleep(0.5)
    assert gate.most == 2, "Sphinx waits, but its core stayed idle"
    assert sphinx.is_alive(), "Sphinx stopped waiting before the jobs ended"
    gate.release.set()
    sphinx.join(5)
    assert not sphinx.is_alive()
    assert claims.failures() == []


def test_failures_and_errors_are_reported_and_success_is_not_recorded():
    succeeded = []
    jobs = {"fine": lambda: None, "false": lambda: "NumPy 2.4: a claim failed", "raises": lambda: 1 / 0}
    claims = noxlib.Claims(jobs, cores=2, on_success=lambda: succeeded.append(True))
    failures = claims.failures()
    assert sorted(failures) == ["NumPy 2.4: a claim failed", "ZeroDivisionError: division by zero"]
    assert succeeded == []
    assert noxlib.Claims({"fine": lambda: None}, cores=1, on_success=lambda: succeeded.append(True)).failures() == []
    assert succeeded == [True]


def test_sphinx_does_not_wait_when_no_claims_run_or_they_have_ended():
    assert viewcopy_nox.wait_for_claims(address="") is False
    claims = noxlib.Claims({"a": lambda: None}, cores=1)
    claims.failures()
    assert viewcopy_nox.wait_for_claims(address=claims.address) is False  # its socket is closed


def _listen_then_hang(port) -> None:  # a stand-in for nox: accepts Sphinx, then hangs until killed
    server = socket.create_server(("127.0.0.1", 0))
    port.put(server.getsockname()[1])
    connection, _ = server.accept()  # kept: the connection stays open while this process lives
    time.sleep(60)
    connection.close()


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_sphinx_stops_waiting_when_nox_dies():
    context = multiprocessing.get_context("fork")
    port = context.Queue()
    nox = context.Process(target=_listen_then_hang, args=(port,))
    nox.start()
    try:
        address = f"127.0.0.1:{port.get(timeout=10)}"
        sphinx = threading.Thread(target=viewcopy_nox.wait_for_claims, kwargs={"address": address})
        sphinx.start()
        time.sleep(0.5)
        assert sphinx.is_alive(), "Sphinx did not wait for a live nox"
        nox.kill()  # no clean exit: the operating system closes its socket
        sphinx.join(5)
        assert not sphinx.is_alive(), "Sphinx still waits for a nox that died"
    finally:
        nox.kill()
        nox.join()


def test_each_release_lock_pins_its_own_requirements_on_the_release_python_only():
    locks = noxlib.locks("3.11", {"1.26": ["pandas<3", "pyarrow<26"], "2.4": ["pandas>=3"]}, "3.12")
    only_312 = "; python_version == '3.12'"
    assert locks["numpy-1.26"] == (
        ["test", "libraries"],
        ["numpy==1.26.*", f"pandas<3{only_312}", f"pyarrow<26{only_312}"],
        "3.12",
    )
    assert locks["numpy-2.4"][1] == ["numpy==2.4.*", f"pandas>=3{only_312}"]
    assert {"nox", "lint", "docs", "dev"} <= set(locks)


def test_the_libraries_file_keeps_the_libraries_of_the_versions_page():
    listed = '[{"name": "pandas", "version": "2.3.3"}, {"name": "Polars", "version": "2.1.0"}, {"name": "six", "version": "1"}]'
    assert noxlib.libraries(listed) == '{\n "pandas": "2.3.3",\n "polars": "2.1.0"\n}'


def on_python_312(lock: str) -> dict[str, str]:
    """A universal lock's pins that apply on Python 3.12 (Linux): name -> version."""
    from packaging.markers import Marker

    where = {"python_full_version": "3.12.1", "python_version": "3.12", "sys_platform": "linux"}
    pins = {}
    for line in lock.splitlines():
        if "==" in line and not line.startswith("#"):
            requirement, _, marker = line.partition(" ; ")
            if not marker or Marker(marker).evaluate(where):
                name, _, version = requirement.partition("==")
                pins[name] = version
    return pins


def test_each_committed_lock_pins_what_the_noxfile_says():
    """Each release's lock on Python 3.12: the newest NumPy of its series; pandas 2 and pyarrow 25 for 1.26."""
    for series in ("1.26", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"):
        pins = on_python_312((ROOT / "locks" / f"numpy-{series}.txt").read_text())
        assert pins["numpy"].startswith(f"{series}."), pins["numpy"]
        assert pins["pandas"].startswith("2." if series == "1.26" else "3."), (series, pins["pandas"])
        if series == "1.26":
            assert int(pins["pyarrow"].split(".")[0]) < 26  # pyarrow 26 refuses NumPy 1 at import
        for library in ("pyarrow", "polars", "joblib", "dask", "distributed", "memray"):
            assert library in pins, f"{library} missing from numpy-{series}.txt"


def test_each_release_checks_the_claims_under_python_O_with_warnings_as_errors(tmp_path):
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "plot_x.py").write_text(
        "import numpy as np, viewcopy\nfrom viewcopy.claims import claim\n"
        "with claim('x-holds', 'np.zeros(4).ravel() peaks at 32 bytes') as c:\n"
        "    with viewcopy.track() as t:\n        np.zeros(4).ravel()\n"
        "    c.check(t.peak_bytes == 32, f'peak {t.peak_bytes}')\n"
    )
    out = tmp_path / "out.json"
    command = noxlib.check_command(Path(sys.executable), out)
    assert command[1:4] == ["-O", "-W", "error"]
    done = subprocess.run([*command, "--site", str(tmp_path)], capture_output=True, text=True, check=False)
    result = json.loads(out.read_text())
    assert result["optimized"] is True, done.stdout + done.stderr
    assert [row["verdict"] for row in result["claims"]] == ["holds"]
