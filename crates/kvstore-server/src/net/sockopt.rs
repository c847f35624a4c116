//! Socket and process settings Redis applies at start-up and on accept:
//! the listen backlog (`tcp-backlog`), TCP keepalive on client sockets
//! (`tcp-keepalive`), and the open-files limit that `maxclients` must fit.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use socket2::{SockRef, TcpKeepalive};
use tokio::net::{TcpListener, TcpSocket};
use tracing::{info, warn};

/// Descriptors kept back from clients, for the log and snapshot files,
/// the listener and the like (Redis's `CONFIG_MIN_RESERVED_FDS`): however
/// many clients connect, persistence can still open its files.
pub const RESERVED_FDS: u64 = 32;

/// Listens on `addr` with `backlog` pending connections (the kernel caps
/// it at `net.core.somaxconn`), reusing the address as Redis does.
pub fn listen(addr: SocketAddr, backlog: u32) -> io::Result<TcpListener> {
    let socket = if addr.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(backlog)
}

/// Turns TCP keepalive on for a client socket, probing after `secs` idle
/// seconds, then every third of that, giving up after three unanswered
/// probes: Redis's timings, so that a peer that vanished is found in
/// about twice `secs`. 0 leaves keepalive off.
pub fn keepalive<S: std::os::fd::AsFd>(socket: &S, secs: u64) -> io::Result<()> {
    if secs == 0 {
        return Ok(());
    }
    let idle = Duration::from_secs(secs);
    let params = TcpKeepalive::new()
        .with_time(idle)
        .with_interval(Duration::from_secs((secs / 3).max(1)))
        .with_retries(3);
    SockRef::from(socket).set_tcp_keepalive(&params)
}

/// Makes the open-files limit fit `maxclients` clients plus the reserve,
/// raising the soft limit (and the hard one, if privileged) when it is
/// too low. Returns the `maxclients` that fits, lowered with Redis's log
/// lines if the limit could not be raised far enough, or an error if not
/// even one client fits.
pub fn fit_maxclients(maxclients: usize) -> Result<usize, String> {
    let wanted = maxclients as u64 + RESERVED_FDS;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes only into the rlimit it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        let e = io::Error::last_os_error();
        let fitted = 1024 - RESERVED_FDS as usize;
        warn!(
            "Unable to obtain the current NOFILE limit ({e}), assuming 1024 and setting the max clients configuration to {fitted}."
        );
        return Ok(fitted.min(maxclients));
    }
    let old = lim.rlim_cur;
    if old == libc::RLIM_INFINITY || old >= wanted {
        return Ok(maxclients);
    }
    // Raise the hard limit too if allowed (root); else the soft one up to
    // the hard one.
    let mut best = old;
    let mut error = None;
    for hard in [lim.rlim_max.max(wanted), lim.rlim_max] {
        let target = wanted.min(hard);
        let new = libc::rlimit {
            rlim_cur: target,
            rlim_max: hard,
        };
        // SAFETY: setrlimit only reads the rlimit it is given.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &new) } == 0 {
            best = target;
            break;
        }
        error = Some(io::Error::last_os_error());
    }
    if best >= wanted {
        info!(
            "Increased maximum number of open files to {wanted} (it was originally set to {old})."
        );
        return Ok(maxclients);
    }
    warn!("You requested maxclients of {maxclients} requiring at least {wanted} max file descriptors.");
    if let Some(e) = error.filter(|_| best == old) {
        warn!("Server can't set maximum open files to {wanted} because of OS error: {e}.");
    }
    if best <= RESERVED_FDS {
        return Err(format!(
            "Your current 'ulimit -n' of {best} is not enough for the server to start. \
             Please increase your open file limit to at least {}. Exiting.",
            RESERVED_FDS + 1
        ));
    }
    let fitted = (best - RESERVED_FDS) as usize;
    warn!(
        "Current maximum open files is {best}. maxclients has been reduced to {fitted} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'."
    );
    Ok(fitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keepalive_is_set_with_redis_timings() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let client =
            std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
        let sock = SockRef::from(&client);
        keepalive(&client, 0).expect("off");
        assert!(!sock.keepalive().expect("read"), "0 leaves it off");
        keepalive(&client, 300).expect("set");
        assert!(sock.keepalive().expect("read"));
        assert_eq!(
            sock.tcp_keepalive_time().expect("time"),
            Duration::from_secs(300)
        );
        assert_eq!(
            sock.tcp_keepalive_interval().expect("interval"),
            Duration::from_secs(100)
        );
        assert_eq!(sock.tcp_keepalive_retries().expect("retries"), 3);
    }

    #[tokio::test]
    async fn listens_with_the_backlog_asked_for() {
        let l = listen("127.0.0.1:0".parse().expect("addr"), 511).expect("listen");
        let addr = l.local_addr().expect("addr");
        let c = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let (s, _) = l.accept().await.expect("accept");
        assert_eq!(s.peer_addr().expect("peer"), c.local_addr().expect("local"));
    }
}
