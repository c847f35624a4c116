"""redis-py's ACL and AUTH helpers against kvstore: what they send and how
they read the replies, in RESP2 and RESP3. Each test cleans up its users.
"""

import os

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry


def connect(protocol, **kwargs):
    return redis.Redis(
        host=os.environ.get("KVSTORE_HOST", "127.0.0.1"),
        port=int(os.environ["KVSTORE_PORT"]),
        decode_responses=True,
        protocol=protocol,
        # A refused login is final: no retries with back-off.
        retry=Retry(NoBackoff(), 0),
        **kwargs,
    )


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request):
    if not os.environ.get("KVSTORE_PORT"):
        pytest.fail("KVSTORE_PORT is not set: start kvstore and point this test at it")
    client = connect(request.param)
    client.flushdb()
    client.acl_log_reset()
    yield client
    for user in client.acl_users():
        if user != "default":
            client.acl_deluser(user)
    client.close()


def test_setuser_getuser_list_and_deluser(r):
    assert r.acl_setuser(
        "app",
        enabled=True,
        passwords=["+s3cret"],
        keys=["app:*"],
        channels=["news"],
        commands=["+get", "+set", "-@dangerous"],
    )
    user = r.acl_getuser("app")
    assert "on" in user["flags"]
    assert len(user["passwords"]) == 1
    assert "~app:*" in user["keys"]
    assert "&news" in user["channels"]
    assert "+get" in user["commands"] and "+set" in user["commands"]
    assert r.acl_getuser("nobody") is None
    assert sorted(r.acl_users()) == ["app", "default"]
    assert any(line.startswith("user app on #") for line in r.acl_list())
    assert r.acl_whoami() == "default"
    assert r.acl_deluser("app") == 1


def test_auth_whoami_and_errors(r):
    r.acl_setuser("ro", enabled=True, passwords=["+pw"], keys=["*"], commands=["+@read", "+acl|whoami"])
    r.set("k", "v")
    other = connect(r.get_connection_kwargs().get("protocol", 2), username="ro", password="pw")
    assert other.acl_whoami() == "ro"
    assert other.get("k") == "v"
    with pytest.raises(redis.exceptions.NoPermissionError):
        other.set("k", "w")
    other.close()
    with pytest.raises(redis.AuthenticationError):
        connect(2, username="ro", password="wrong").ping()
    log = r.acl_log()
    reasons = {entry["reason"] for entry in log}
    assert {"command", "auth"} <= reasons
    entry = next(e for e in log if e["reason"] == "command")
    assert entry["username"] == "ro" and entry["object"] == "set"
    assert entry["context"] == "toplevel" and "client-info" in entry
    assert r.acl_log_reset()
    assert r.acl_log() == []


def test_cat_genpass_and_dryrun(r):
    assert "keyspace" in r.acl_cat()
    assert "get" in r.acl_cat("read")
    assert len(r.acl_genpass()) == 64
    assert len(r.acl_genpass(128)) == 32
    r.acl_setuser("d", enabled=True, nopass=True, keys=["k*"], commands=["+get"])
    assert r.acl_dryrun("d", "get", "k1") == "OK"
    assert "no permissions" in r.acl_dryrun("d", "set", "k1", "v")


def test_requirepass(r):
    r.config_set("requirepass", "topsecret")
    try:
        with pytest.raises(redis.AuthenticationError):
            connect(2).ping()
        assert connect(2, password="topsecret").ping()
        assert connect(3, password="topsecret").ping()
    finally:
        r.config_set("requirepass", "")
