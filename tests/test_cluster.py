"""Scale-out on Dask: a LocalCluster renders the same bytes as the local process pool."""

from __future__ import annotations

import pytest

from publisher.build import build
from publisher.build.personalise import personalise

from .conftest import copy_project
from .test_errors import snapshot
from .test_personalise import MESSAGE, guests

distributed = pytest.importorskip("distributed")  # installed by the test extra


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as local:
        yield local.scheduler_address


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796083200")
    return copy_project(tmp_path / "project")


def test_a_personalised_run_of_50_rows_on_dask_equals_the_local_run(project, tmp_path,
                                                                      cluster):
    guests(tmp_path / "guests.csv", 50)
    local = personalise(project, tmp_path / "guests.csv", tmp_path / "local", message=MESSAGE,
                        jobs=2)
    remote = personalise(project, tmp_path / "guests.csv", tmp_path / "remote",
                         message=MESSAGE, scheduler=cluster)
    assert remote.count == local.count == 50
    assert snapshot(tmp_path / "remote") == snapshot(tmp_path / "local")


def test_a_build_on_dask_equals_the_local_build(project, tmp_path, cluster):
    local = build(project, tmp_path / "local", jobs=1, check=False)
    remote = build(project, tmp_path / "remote", check=False, force=True, scheduler=cluster)
    assert remote.rendered == local.rendered
    assert snapshot(tmp_path / "remote") == snapshot(tmp_path / "local")


def test_errors_on_workers_name_the_local_file(project, tmp_path, cluster):
    from publisher.errors import PublisherError

    message = project / "content/messages/bjut-leadership.md"
    (project / "content/images").mkdir()
    (project / "content/images/broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    message.write_text(message.read_text().replace(
        "language: en\n", "language: en\nimage: ../images/broken.png\n", 1))
    with pytest.raises(PublisherError) as caught:
        build(project, tmp_path / "remote", check=False, scheduler=cluster)
    assert caught.value.path == message or caught.value.path.is_relative_to(project)


def test_an_unreachable_scheduler_is_a_clear_error(project, tmp_path):
    from publisher.errors import PublisherError

    with pytest.raises(PublisherError, match="cannot reach the Dask scheduler"):
        build(project, tmp_path / "out", scheduler="tcp://127.0.0.1:9")
