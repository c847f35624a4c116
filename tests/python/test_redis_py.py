"""redis-py against a running kvstore server.

The Rust test crates/kvstore-server/tests/redis_py.rs starts the server and
runs this file with KVSTORE_PORT set; run it by hand the same way:

    KVSTORE_PORT=31337 python -m pytest tests/python -q
"""

import os
import time

import pytest
import redis


# redis-py 8 speaks RESP3 by default (it opens with HELLO 3); older ones and
# many applications use RESP2. Every test runs with both.
@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request):
    port = os.environ.get("KVSTORE_PORT")
    if not port:
        pytest.fail("KVSTORE_PORT is not set: start kvstore and point this test at it")
    client = redis.Redis(
        host=os.environ.get("KVSTORE_HOST", "127.0.0.1"),
        port=int(port),
        decode_responses=True,
        protocol=request.param,
    )
    client.flushdb()
    yield client
    client.close()


def test_set_and_get(r):
    # redis-py sends HELLO 3 (RESP3) and CLIENT SETINFO on connect, so this
    # connection gets Redis's +OK, which redis-py turns into True.
    assert r.set("greeting", "hello") is True
    assert r.get("greeting") == "hello"
    assert r.get("missing") is None


def test_set_options(r):
    assert r.set("k", "1", nx=True) is True
    assert r.set("k", "2", nx=True) is None
    assert r.set("k", "3", xx=True) is True
    assert r.set("k", "4", get=True) == "3"
    assert r.set("k", "5", ex=10) is True
    assert 9 <= r.ttl("k") <= 10
    with pytest.raises(redis.ResponseError, match="invalid expire time"):
        r.set("k", "6", ex=0)
    assert r.get("k") == "5"


def test_django_style_cache(r):
    # What django-redis and Django's own Redis cache send: SET with EX,
    # EXPIRE, TTL, TOUCH, and GET of a key whose time ran out.
    assert r.set(":1:views", "10", ex=300) is True
    assert 299 <= r.ttl(":1:views") <= 300
    assert r.expire(":1:views", 600) is True
    assert 599 <= r.ttl(":1:views") <= 600
    assert r.touch(":1:views", ":1:missing") == 1
    assert r.persist(":1:views") is True
    assert r.ttl(":1:views") == -1
    assert r.set(":1:short", "x", px=30) is True
    time.sleep(0.06)
    assert r.get(":1:short") is None
    assert r.ttl(":1:short") == -2
    assert r.incr(":1:views") == 11
    other = redis.Redis(
        host=r.connection_pool.connection_kwargs["host"],
        port=r.connection_pool.connection_kwargs["port"],
        db=3,
        decode_responses=True,
    )
    assert other.get(":1:views") is None, "database 3 is another keyspace"
    other.close()


def test_lock_style_set_nx_px(r):
    # redis-py's own Lock acquires with SET NX PX and releases with a
    # script (scripting comes later); the acquire part works on its own.
    assert r.set("lock:job", "token-a", nx=True, px=200) is True
    assert r.set("lock:job", "token-b", nx=True, px=200) is None
    assert 0 < r.pttl("lock:job") <= 200
    time.sleep(0.25)
    assert r.set("lock:job", "token-b", nx=True, px=200) is True
    assert r.get("lock:job") == "token-b"


def test_mset_mget(r):
    assert r.mset({"a": "1", "b": "2"}) is True
    assert r.mget("a", "missing", "b") == ["1", None, "2"]


def test_delete_and_exists(r):
    r.mset({"a": "1", "b": "2"})
    assert r.exists("a", "b", "missing") == 2
    assert r.delete("a", "missing") == 1
    assert r.exists("a") == 0


def test_incr(r):
    assert r.incr("n") == 1
    assert r.incr("n", 41) == 42
    assert r.decr("n", 2) == 40
    # Numbers read back as strings, as from Redis.
    assert r.get("n") == "40"
    r.set("text", "abc")
    with pytest.raises(redis.ResponseError, match="not an integer"):
        r.incr("text")


def test_flushdb(r):
    r.mset({"a": "1", "b": "2"})
    assert r.dbsize() == 2
    assert r.flushdb() is True
    assert r.dbsize() == 0
    assert r.keys("*") == []


def test_info(r):
    r.set("a", "1")
    info = r.info()
    assert info["tcp_port"] == int(os.environ["KVSTORE_PORT"])
    assert info["used_memory"] > 0
    assert info["connected_clients"] >= 1
    assert info["total_commands_processed"] > 0
    assert info["db0"]["keys"] == 1
    assert set(r.info("memory")) >= {"used_memory", "used_memory_rss", "used_memory_peak"}


def test_pipeline(r):
    pipe = r.pipeline(transaction=False)
    pipe.set("a", "1").incr("a").get("a").mset({"b": "x", "c": "y"}).mget("b", "c").delete("b")
    assert pipe.execute() == [True, 2, "2", True, ["x", "y"], 1]


def test_scan_iter_and_keys(r):
    r.mset({f"user:{i}": str(i) for i in range(300)})
    r.set("other", "x")
    assert len(set(r.scan_iter(match="user:*", count=50))) == 300
    assert sorted(r.keys("user:1?")) == [f"user:1{i}" for i in range(10)]


def test_connection_commands(r):
    assert r.ping() is True
    assert r.echo("hi") == "hi"
    assert r.client_setname("py") is True
    assert r.client_getname() == "py"
    assert isinstance(r.client_id(), int)
    assert any(c.get("name") == "py" for c in r.client_list())
    assert r.config_get("maxclients") == {"maxclients": "10000"}
    assert r.type("nothing") == "none"



def test_protocol_is_the_one_asked_for(r):
    asked = r.connection_pool.connection_kwargs["protocol"]
    assert str(r.client_info()["resp"]) == str(asked)


def test_lock_acquire_extend_release(r):
    # redis-py's Lock: SET NX PX to acquire, Lua scripts (EVALSHA, loaded
    # on first use) to extend and release only while the token matches.
    lock = r.lock("resource", timeout=5, blocking_timeout=1)
    assert lock.acquire() is True
    other = r.lock("resource", timeout=5, blocking_timeout=0.1)
    assert other.acquire() is False, "held by the first"
    assert lock.extend(10) is True
    assert 5000 < r.pttl("resource") <= 15000
    lock.release()
    assert r.get("resource") is None
    assert other.acquire() is True
    other.release()


def test_pipeline_transaction_applies_all_or_nothing(r):
    # redis-py's default pipeline is MULTI ... EXEC.
    with r.pipeline() as p:
        p.set("a", "1").incr("a").get("a")
        assert p.execute() == [True, 2, "2"]
    with r.pipeline() as p:
        p.set("b", "1")
        p.execute_command("NOSUCHCOMMAND")
        with pytest.raises(redis.ResponseError):
            p.execute()
    assert r.get("b") is None, "a failed transaction applies nothing"
