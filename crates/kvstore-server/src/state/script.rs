//! The script (EVAL or FCALL) running right now, as other connections see
//! it: whether one runs, whether it has run past `busy-reply-threshold`
//! (then other clients are answered `-BUSY` instead of waiting on the
//! gate), whether it has written, and a request to kill it.
//!
//! Only one script runs at a time (it holds the gate exclusively), so one
//! set of flags is enough. The script's own thread sets them; a
//! `SCRIPT KILL` on another thread sets `kill`, which the script's
//! instruction hook reads.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use kvstore_protocol::Value;
use parking_lot::Mutex;

pub const BUSY_EVAL: &str =
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.";
pub const BUSY_FUNCTION: &str =
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.";

/// What `FUNCTION STATS` shows of the running function.
#[derive(Debug, Clone)]
pub struct Running {
    pub started: Instant,
    /// The function's name (empty for EVAL).
    pub name: String,
    /// The command as the client sent it (kept for functions only, the
    /// one kind whose command is shown).
    pub command: Vec<Value>,
    pub function: bool,
}

#[derive(Debug, Default)]
pub struct ScriptState {
    /// Past the threshold: the one flag the command path loads.
    busy: AtomicBool,
    kill: AtomicBool,
    wrote: AtomicBool,
    running: Mutex<Option<Running>>,
}

impl ScriptState {
    /// True while a script has been running longer than the threshold.
    #[inline]
    pub fn busy(&self) -> bool {
        self.busy.load(Ordering::Acquire)
    }

    pub fn start(&self, run: Running) {
        self.kill.store(false, Ordering::Release);
        self.wrote.store(false, Ordering::Release);
        *self.running.lock() = Some(run);
    }

    pub fn finish(&self) {
        *self.running.lock() = None;
        self.busy.store(false, Ordering::Release);
        self.kill.store(false, Ordering::Release);
        self.wrote.store(false, Ordering::Release);
    }

    pub fn set_busy(&self) {
        self.busy.store(true, Ordering::Release);
    }

    /// True once the running script has written.
    pub fn wrote(&self) -> bool {
        self.wrote.load(Ordering::Acquire)
    }

    pub fn note_write(&self) {
        self.wrote.store(true, Ordering::Release);
    }

    pub fn kill_requested(&self) -> bool {
        self.kill.load(Ordering::Acquire)
    }

    pub fn running(&self) -> Option<Running> {
        self.running.lock().clone()
    }

    /// The `-BUSY` reply for a command refused while a script is busy.
    pub fn busy_reply(&self) -> Value {
        let function = self.running.lock().as_ref().is_some_and(|r| r.function);
        Value::error(if function { BUSY_FUNCTION } else { BUSY_EVAL })
    }

    /// `SCRIPT KILL` (`function` false) or `FUNCTION KILL` (true).
    pub fn kill(&self, function: bool) -> Value {
        let guard = self.running.lock();
        let Some(run) = guard.as_ref() else {
            return Value::error("NOTBUSY No scripts in execution right now.");
        };
        if run.function != function {
            return Value::error(if run.function {
                BUSY_FUNCTION
            } else {
                BUSY_EVAL
            });
        }
        if self.wrote.load(Ordering::Acquire) {
            return Value::error(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.",
            );
        }
        self.kill.store(true, Ordering::Release);
        Value::ok()
    }
}
