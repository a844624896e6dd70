"""The same per-photo tasks on a Dask cluster give the same files as the local pool."""

import hashlib
import shutil
from pathlib import Path

import pytest

from imgpipe.errors import ConfigError
from imgpipe.pipeline import run
from imgpipe.workspace import Workspace

from conftest import drop_photos

distributed = pytest.importorskip("distributed")


# the local run and the Dask workers' must make the same bytes: both with the real cut-out
pytestmark = pytest.mark.real_cutout


@pytest.fixture(autouse=True)
def no_browser(monkeypatch):
    # set before the cluster starts: worker processes inherit the environment
    monkeypatch.setenv("IMGPIPE_BROWSER", "none")


@pytest.fixture
def cluster():
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as c:
        yield c


def images(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "output").rglob("*.jpg"))}


@pytest.mark.slow
def test_dask_outputs_are_byte_identical_to_the_local_pool(workspace, tmp_path, cluster):
    drop_photos(workspace, count=2, size=(640, 480))
    twin = tmp_path / "twin"
    shutil.copytree(workspace, twin)

    local = run(Workspace.open(workspace), jobs=1, backup=False)
    assert local.ok, local.failed
    remote = run(Workspace.open(twin), executor="dask", scheduler=cluster.scheduler_address, backup=False)
    assert remote.ok, remote.failed

    made_local, made_remote = images(workspace), images(twin)
    assert len(made_local) >= 2 * 3  # at least a main and a detail per platform
    assert made_remote == made_local
    assert sorted(remote.written) == sorted(local.written)
    # the coordinator recorded every file the workers wrote
    ws = Workspace.open(twin)
    for path, digest in made_remote.items():
        if "/page/" in path:  # detail-page slices are recorded per page, not per file
            continue
        assert ws.catalog.output(path)["sha256"] == digest
    # both cluster workers did some of the work
    assert len(cluster.scheduler_info["workers"]) == 2

    again = run(Workspace.open(twin), executor="dask", scheduler=cluster.scheduler_address, backup=False)
    assert again.written == [] and again.skipped == len(remote.written)


def test_dask_without_a_scheduler_is_a_config_error(workspace):
    with pytest.raises(ConfigError):
        run(Workspace.open(workspace), executor="dask", scheduler=None, backup=False)


def test_default_run_never_imports_dask(workspace):
    import subprocess
    import sys

    code = ("import sys; from imgpipe.pipeline import run; from imgpipe.workspace import Workspace; "
            f"run(Workspace.open(__import__('pathlib').Path({str(workspace)!r})), jobs=1, backup=False); "
            "print('distributed' in sys.modules, 'dask' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip().splitlines()[-1] == "False False"
