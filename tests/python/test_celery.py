"""Celery with kvstore as its broker and result backend: a worker runs in
this process (solo pool, on a thread) and takes tasks sent through
kvstore's lists, and the results come back through its keys and Pub/Sub.

Needs celery (with its redis extra) in the Python that runs pytest; .ci/run
installs it. Outside CI a Python without it skips this file.
"""

import os

import pytest

if os.environ.get("CI") == "true":
    import celery  # noqa: F401  (under CI a missing celery is a failure)
else:
    pytest.importorskip("celery")

from celery import Celery, chain, group  # noqa: E402
from celery.contrib.testing.worker import start_worker  # noqa: E402


@pytest.fixture(scope="module")
def app():
    port = os.environ.get("KVSTORE_PORT")
    if not port:
        pytest.fail("KVSTORE_PORT is not set: start kvstore and point this test at it")
    host = os.environ.get("KVSTORE_HOST", "127.0.0.1")
    app = Celery(
        "kvstore_test",
        broker=f"redis://{host}:{port}/5",
        backend=f"redis://{host}:{port}/6",
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=False,
        worker_hijack_root_logger=False,
    )

    @app.task(name="kvstore_test.add")
    def add(x, y):
        return x + y

    @app.task(name="kvstore_test.fail")
    def fail():
        raise ValueError("as asked")

    with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False,
                      shutdown_timeout=10):
        yield app


def test_a_task_runs_and_its_result_comes_back(app):
    add = app.tasks["kvstore_test.add"]
    assert add.delay(2, 3).get(timeout=20) == 5


def test_many_tasks_a_chain_and_a_group(app):
    add = app.tasks["kvstore_test.add"]
    results = [add.delay(i, i) for i in range(20)]
    assert [r.get(timeout=20) for r in results] == [2 * i for i in range(20)]
    assert chain(add.s(1, 2), add.s(10))().get(timeout=20) == 13
    assert group(add.s(i, 1) for i in range(5))().get(timeout=20) == [1, 2, 3, 4, 5]


def test_a_failing_task_reports_its_error(app):
    fail = app.tasks["kvstore_test.fail"]
    result = fail.delay()
    with pytest.raises(ValueError, match="as asked"):
        result.get(timeout=20)
    assert result.state == "FAILURE"
