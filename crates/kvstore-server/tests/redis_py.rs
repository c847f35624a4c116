//! redis-py against kvstore: runs tests/python with pytest.
//!
//! The interpreter comes from KVSTORE_PYTHON (a Python with `redis` and
//! `pytest` installed; .ci/run makes one). Unset, the test is skipped with a
//! message, except under CI (CI=true), where that is a failure.

mod common;

use std::process::Command;

use kvstore_server::BackgroundServer;

#[test]
fn redis_py_suite_passes() {
    let Some(python) = std::env::var_os("KVSTORE_PYTHON").filter(|p| !p.is_empty()) else {
        common::missing("KVSTORE_PYTHON (a Python with redis and pytest)");
        return;
    };
    let server = BackgroundServer::start();
    let root = common::workspace_root();
    let out = Command::new(&python)
        .args([
            "-m",
            "pytest",
            "tests/python",
            "-q",
            "-p",
            "no:cacheprovider",
        ])
        .current_dir(&root)
        .env("KVSTORE_HOST", server.addr().ip().to_string())
        .env("KVSTORE_PORT", server.addr().port().to_string())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python:?}: {e}"));
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{report}");
    assert!(out.status.success(), "pytest failed:\n{report}");
    // pytest exits 0 only if tests ran; make sure they were ours.
    assert!(report.contains(" passed"), "no tests ran:\n{report}");
}
