//! One client connection: read, decode every complete request, execute them
//! in order, and write all their replies back in one write. The same loop
//! serves plain TCP and TLS, generic over the stream so that the plain
//! path compiles as it did before TLS existed.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::BytesMut;
use kvstore_protocol::{encode_as, Decoder, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::watch;
use tracing::{debug, info};

pub use super::transport::Transport;
use super::turn::{ReadHint, READ_CHUNK, TURN_BYTES};
use super::{bufpool, fastpath};
use crate::cmd::{self, Ctx};
use crate::state::blocking::{BlockRequest, Unblock, Waiter};
use crate::state::intro::PAUSE_NONE;
use crate::state::netstats::NetStats;
use crate::state::pubsub::Outbox;
use crate::state::session::ReplyControl;
use crate::state::Session;
use crate::state::Shared;

/// Replies are sent once this much has piled up, even mid-batch, so that a
/// long pipeline of large replies does not all sit in memory at once.
const FLUSH_AT: usize = 256 * 1024;
/// How many pipelined GET/SET keys to start loading ahead of serving them.
const PREFETCH_BATCH: usize = 32;
/// Longest a closing connection waits to say goodbye (TLS's close_notify).
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(1);

/// Reads what the client sends next into `rbuf`, with room for at least
/// `want` bytes (see [`super::turn`]): the bytes read, and whether they
/// filled all the room the read had (the socket may hold more). A read
/// sized for a large request asks for that much only, so that the next
/// request's first bytes, which would be moved to the front of the buffer
/// after, are few; a usual one takes what the buffer has room for.
///
/// With `lend`, a connection
/// with nothing unfinished in `rbuf` gives it back to its thread when it
/// finds nothing to read, and waits with no buffer at all (see
/// [`bufpool`]); it borrows one again when woken.
async fn fill<S: Transport>(
    socket: &mut S,
    rbuf: &mut BytesMut,
    lend: bool,
    want: usize,
) -> io::Result<(usize, bool)> {
    use bytes::BufMut;
    use std::future::Future;
    std::future::poll_fn(|cx| {
        if rbuf.capacity() == 0 && lend {
            *rbuf = bufpool::take_read(want);
        } else {
            rbuf.reserve(want);
        }
        let room = if want > READ_CHUNK {
            want
        } else {
            rbuf.capacity() - rbuf.len()
        };
        // Pending means nothing was put in the buffer (TLS keeps a partial
        // record inside rustls), and the waker is registered.
        let mut limited = (&mut *rbuf).limit(room);
        let polled = std::pin::pin!(socket.read_buf(&mut limited)).poll(cx);
        if polled.is_pending() && lend {
            bufpool::give_read(rbuf);
        }
        polled.map_ok(|n| (n, n == room))
    })
    .await
}

/// Writes all of `buf` and flushes it: TLS keeps what the socket did not
/// take inside its own buffer until flushed (for TCP the flush is free).
/// Counted in `stats` for `INFO` once written.
async fn send<S: Transport>(socket: &mut S, buf: &[u8], stats: &NetStats) -> std::io::Result<()> {
    socket.write_all(buf).await?;
    stats.wrote(buf.len());
    socket.flush().await
}

pub async fn serve<S: Transport>(
    mut socket: S,
    peer: SocketAddr,
    shared: &Shared,
    mut stop: watch::Receiver<bool>,
) {
    let (limits, mode, query_limit) = {
        let config = shared.config.read();
        (
            config.limits(),
            config.reply_mode,
            config.client_query_buffer_limit,
        )
    };
    let mut session = Session::new(shared.next_client_id(), peer, mode);
    session.start_acl(&shared.acl);
    shared.clients.register(&session);
    let mut decoder = Decoder::new(limits);
    // What a request takes once decoded counts against the query buffer
    // limit, not only its bytes on the wire.
    decoder.set_max_decoded(query_limit);
    let max_bulk = limits.max_bulk_len;
    // The shortcut knows only GET and SET, which a tighter element limit
    // than three would turn into protocol errors.
    let shortcut = limits.max_elements >= 3;
    // Both borrowed from the thread while the connection works, and given
    // back while it waits (see `bufpool`).
    let mut rbuf = BytesMut::new();
    let mut wbuf = BytesMut::new();
    // Where each write's reply lies in `wbuf`, with the log offset it
    // waits for: a reply whose record could not be written is replaced.
    let mut marks: Vec<(usize, usize, u64)> = Vec::new();
    let mut stopping = false;
    // Made once: a fresh `changed()` per read would register and unregister
    // a waiter (two lock round trips) on every request batch.
    let stop_signal = stop.changed();
    tokio::pin!(stop_signal);
    // Bytes taken from this connection's pub/sub outbox and not yet
    // written: they still count against its output-buffer limit.
    let mut in_flight = 0u64;
    // Where this client stands against its output soft limit.
    let mut soft = super::reply::SoftState::default();
    // CLIENT KILL: made once, like the stop signal.
    let info = Arc::clone(&session.info);
    info.activity
        .fd
        .store(i64::from(socket.raw_fd()), Ordering::Relaxed);
    let kill_signal = info.kill.killed();
    tokio::pin!(kill_signal);
    // How much to ask of the next read, learnt from the requests so far.
    let mut hint = ReadHint::default();
    // The last read filled all it asked for: the socket may hold more.
    let mut read_full = false;
    debug!(%peer, id = session.id, "connected");
    loop {
        let mut executed = 0u64;
        // Of those, requests that took the general path.
        let mut general = 0u64;
        // This turn's budget (see `turn`): it ends once `rbuf` is down to
        // `floor`, or its replies reach FLUSH_AT.
        let turn_start = rbuf.len();
        let floor = turn_start as isize - TURN_BYTES as isize;
        // Reply bytes this turn wrote straight to the socket.
        let mut sent_direct = 0usize;
        // GET/SET requests the shortcut served since the last clock
        // reading, timed and counted together.
        let mut served_fast = [0u64; 2];
        session.mark = std::time::Instant::now();
        let mut fatal = false;
        let mut need_more = true;
        // Another connection may have changed this one's user.
        session.refresh_acl(&shared.acl);
        // Loading, or a disk error: everything takes the general way, which
        // answers -LOADING or -MISCONF.
        let shortcut = shortcut && shared.persist.refusal().is_none();
        if decoder.pending() == 0 {
            fastpath::prefetch(&rbuf, max_bulk, shared, session.db, PREFETCH_BATCH);
        }
        while !session.quit {
            if wbuf.len() + sent_direct >= FLUSH_AT || rbuf.len() as isize <= floor {
                need_more = false;
                break;
            }
            // The frame at the front may be a plain GET or SET, even one
            // the decoder has seen arrive in parts.
            // (Inside MULTI every command is queued: no shortcut; nor for
            // a user the ACL may refuse something.)
            if shortcut
                && session.acl_fast
                && session.multi.is_none()
                && session.pubsub.is_none()
                && shared.pubsub.notify_flags() == 0
                && shared.intro.shortcut_ok()
                && session.reply == ReplyControl::On
            {
                // Straight to the socket only when no reply before it waits
                // for the log.
                let direct = (session.aof_wait == 0).then_some(fastpath::Direct {
                    socket: &mut socket,
                    sent: &mut sent_direct,
                });
                if let Some(served) =
                    fastpath::try_serve(&mut rbuf, max_bulk, shared, &session, &mut wbuf, direct)
                {
                    // The decoder may have looked at these bytes while they
                    // were incomplete; its bookmarks would now point at the
                    // wrong place.
                    decoder.reset();
                    served_fast[served as usize] += 1;
                    executed += 1;
                    continue;
                }
            }
            match cmd::inline::decode(
                &mut decoder,
                &mut rbuf,
                session.mode == crate::config::ReplyMode::Redis,
            ) {
                Ok(Some(frame)) => {
                    // Messages that came before this request go before its
                    // reply.
                    if let Some(ps) = &session.pubsub {
                        match ps.outbox.drain_into(&mut wbuf) {
                            Some(n) => in_flight += n,
                            None => {
                                fatal = true;
                                break;
                            }
                        }
                    }
                    if served_fast != [0, 0] {
                        cmd::stats::shortcut_served(shared, &mut session.mark, served_fast);
                        served_fast = [0, 0];
                    }
                    // CLIENT PAUSE holds this request until the pause ends.
                    if shared.intro.paused() != PAUSE_NONE
                        && cmd::client::held_by_pause(shared, &session, &frame)
                    {
                        if !wbuf.is_empty()
                            && send(&mut socket, &wbuf, &shared.stats.net).await.is_err()
                        {
                            fatal = true;
                            break;
                        }
                        wbuf.clear();
                        tokio::select! {
                            _ = shared.intro.pause_over() => {}
                            _ = &mut kill_signal => {
                                fatal = true;
                                break;
                            }
                        }
                        session.mark = std::time::Instant::now();
                    }
                    let wait_before = session.aof_wait;
                    let reply = cmd::execute(&mut Ctx::new(shared, &mut session), frame);
                    // SAVE writes on another thread; its reply waits for the
                    // file. SHUTDOWN's waits for the outcome: none if the
                    // server goes down, as Redis's.
                    let reply = match session.pending_save.take() {
                        Some(done) => {
                            let reply = crate::persist::save_reply(done).await;
                            if std::mem::take(&mut session.pending_shutdown) && !reply.is_error() {
                                session.reply = ReplyControl::Off;
                                session.quit = true;
                            }
                            reply
                        }
                        None => reply,
                    };
                    // A blocking command found nothing: wait for a write,
                    // with the replies before it sent first.
                    let reply = match session.block.take() {
                        None => reply,
                        Some(req) => {
                            settle(shared, &mut session, &mut wbuf, &mut marks).await;
                            if !wbuf.is_empty()
                                && send(&mut socket, &wbuf, &shared.stats.net).await.is_err()
                            {
                                fatal = true;
                                break;
                            }
                            wbuf.clear();
                            bufpool::give_write(&mut wbuf);
                            let outcome = wait_blocked(
                                &mut socket,
                                &mut rbuf,
                                shared,
                                &mut session,
                                req,
                                (!stopping).then_some(stop_signal.as_mut()),
                            )
                            .await;
                            wbuf = bufpool::take_write();
                            match outcome {
                                Some(reply) => reply,
                                None => {
                                    fatal = true;
                                    break;
                                }
                            }
                        }
                    };
                    let dialect = session.dialect();
                    // CLIENT REPLY OFF|SKIP: the reply is dropped.
                    let silent = match session.reply {
                        ReplyControl::On => false,
                        ReplyControl::Off => true,
                        ReplyControl::SkipNext => {
                            session.reply = ReplyControl::SkipThis;
                            true
                        }
                        ReplyControl::SkipThis => {
                            session.reply = ReplyControl::On;
                            true
                        }
                    };
                    let reply = if silent { None } else { Some(reply) };
                    let reply_start = wbuf.len();
                    let mut reply_end = reply_start;
                    match session.pubsub.as_deref_mut() {
                        None => {
                            if let Some(reply) = reply {
                                // A large reply is written out as it is
                                // encoded: the batch's writes must be
                                // durable (and the reply of any whose
                                // record failed replaced) before any goes.
                                if super::reply::encoded_size(&reply) >= super::reply::FLUSH_AT {
                                    settle(shared, &mut session, &mut wbuf, &mut marks).await;
                                }
                                let limit = shared.conn_limits.normal_output();
                                let put = super::reply::put(
                                    reply,
                                    dialect,
                                    &mut wbuf,
                                    &mut socket,
                                    limit,
                                    &mut soft,
                                );
                                if let Err(why) = put.await {
                                    output_refused(peer, session.id, why);
                                    fatal = true;
                                    break;
                                }
                                // Streamed out, it left nothing to mark.
                                reply_end = wbuf.len();
                            }
                        }
                        // A subscriber's reply may already be in its outbox,
                        // in order with its messages; what arrived meanwhile
                        // goes after the reply.
                        Some(ps) => {
                            if let (false, Some(reply)) = (std::mem::take(&mut ps.replied), &reply)
                            {
                                encode_as(reply, dialect, &mut wbuf);
                                reply_end = wbuf.len();
                            }
                            match ps.outbox.drain_into(&mut wbuf) {
                                Some(n) => in_flight += n,
                                None => {
                                    fatal = true;
                                    break;
                                }
                            }
                        }
                    }
                    if session.aof_wait != wait_before
                        && session.aof_wait != 0
                        && reply_end > reply_start
                    {
                        marks.push((reply_start, reply_end, session.aof_wait));
                    }
                    executed += 1;
                    general += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    // The stream cannot be resynchronised after a framing
                    // error: say why, then hang up.
                    if let Some(held) = super::ratelog::PROTOCOL.allow() {
                        info!(
                            "protocol error from {peer}, connection closed: {e}{}",
                            super::ratelog::held_note(held)
                        );
                    }
                    let text = cmd::inline::error_text(
                        &e,
                        &rbuf,
                        session.mode == crate::config::ReplyMode::Redis,
                    );
                    let reply = Value::error(format!("ERR Protocol error: {text}"));
                    encode_as(&reply, session.dialect(), &mut wbuf);
                    fatal = true;
                    break;
                }
            }
        }
        hint.turn(turn_start.saturating_sub(rbuf.len()));
        if executed > 0 {
            if served_fast != [0, 0] {
                cmd::stats::shortcut_served(shared, &mut session.mark, served_fast);
            }
            let processed = executed.saturating_sub(std::mem::take(&mut session.refused));
            shared
                .stats
                .commands_processed
                .fetch_add(processed, Ordering::Relaxed);
            session.show_activity();
        }
        // Log before reply: hold the replies until this batch's writes are
        // in the append-only file as far as --appendfsync promises.
        settle(shared, &mut session, &mut wbuf, &mut marks).await;
        if !wbuf.is_empty() && general > 1 && session.pubsub.is_none() {
            // A pipelining client: let this worker's other ready connections
            // run their turns first, so that the replies go out in one burst.
            // A load generator polling many connections is woken by the first
            // and finds the rest ready; sent one turn apart, each reply paid
            // a cross-core wake-up of its own (PING -P 64: a quarter less
            // server CPU per request).
            tokio::task::yield_now().await;
        }
        if !wbuf.is_empty() {
            let written = match &session.pubsub {
                None => send(&mut socket, &wbuf, &shared.stats.net).await.is_ok(),
                Some(ps) => write_watching(&mut socket, &wbuf, &ps.outbox, &shared.stats.net).await,
            };
            if !written {
                break;
            }
            if let (Some(ps), true) = (&session.pubsub, in_flight > 0) {
                ps.outbox.sent(in_flight);
                in_flight = 0;
            }
            wbuf.clear();
        }
        if fatal || session.quit || info.kill.is_killed() {
            break;
        }
        if !need_more && (!rbuf.is_empty() || read_full) {
            // The turn's budget is spent with requests still to serve:
            // the other connections of this worker go first.
            tokio::task::yield_now().await;
            continue;
        }
        if stopping {
            break;
        }
        if rbuf.len() > query_limit {
            // Redis's client-query-buffer-limit: a client may not make the
            // server hold an unbounded amount of unfinished request.
            let reply = Value::error(format!(
                "ERR Protocol error: query buffer limit of {query_limit} bytes exceeded"
            ));
            encode_as(&reply, session.dialect(), &mut wbuf);
            let _ = send(&mut socket, &wbuf, &shared.stats.net).await;
            break;
        }
        // Messages that came while the replies were being written.
        if let Some(ps) = &session.pubsub {
            match ps.outbox.drain_into(&mut wbuf) {
                Some(n) => in_flight += n,
                None => break,
            }
            if !wbuf.is_empty() {
                continue;
            }
        }
        let outbox = session.pubsub.as_ref().map(|ps| &*ps.outbox);
        // Redis's `timeout`: subscribers are never idle.
        let idle_limit = match outbox {
            None => shared.conn_limits.idle_timeout(),
            Some(_) => None,
        };
        // A subscriber is woken for every message it is sent: it keeps its
        // buffers rather than borrow and return them each time.
        let lend = session.pubsub.is_none();
        if lend {
            bufpool::give_write(&mut wbuf);
        }
        let want = hint.want(rbuf.len(), decoder.missing(rbuf.len()));
        tokio::select! {
            read = fill(&mut socket, &mut rbuf, lend, want) => match read {
                // A partial frame left in the buffer is simply dropped:
                // nothing of it was ever applied.
                Ok((0, _)) | Err(_) => break,
                Ok((n, full)) => {
                    read_full = full;
                    shared.stats.net.read(n, rbuf.len());
                }
            },
            // A subscriber wakes for the messages others publish.
            _ = woken(outbox) => {
                if outbox.is_some_and(|o| o.is_closed()) {
                    if let Some(held) = super::ratelog::OUTPUT_LIMIT.allow() {
                        info!(
                            "closed subscriber {peer} (id {}): pub/sub output buffer limit reached{}",
                            session.id,
                            super::ratelog::held_note(held)
                        );
                    }
                    break;
                }
            }
            _ = &mut kill_signal => {
                debug!(%peer, id = session.id, "killed");
                break;
            }
            _ = idle(idle_limit) => {
                debug!(%peer, id = session.id, "closing idle client");
                break;
            }
            _ = &mut stop_signal, if !stopping => {
                // Requests the client already sent count as in hand: take
                // whatever the kernel holds, without waiting for more.
                stopping = true;
                socket.read_arrived(&mut rbuf);
            }
        }
        if wbuf.capacity() == 0 {
            wbuf = bufpool::take_write();
        }
    }
    bufpool::give_read(&mut rbuf);
    bufpool::give_write(&mut wbuf);
    // Bounded: TLS sends close_notify after whatever it still holds, which
    // a client that stopped reading would never take (plain TCP returns
    // at once).
    let _ = tokio::time::timeout(CLOSE_GRACE, socket.shutdown()).await;
    cmd::transactions::forget_watches(&mut Ctx::new(shared, &mut session));
    cmd::introspection::leave_monitor(&mut Ctx::new(shared, &mut session));
    cmd::tracking::stop(&mut Ctx::new(shared, &mut session));
    if let Some(ps) = session.pubsub.take() {
        shared.pubsub.forget(&ps);
    }
    debug!(%peer, id = session.id, "disconnected");
}

/// Logs (at most once a second) why a reply cost its client the connection.
fn output_refused(peer: SocketAddr, id: u64, why: super::reply::Refused) {
    use super::reply::Refused;
    let reason = match why {
        Refused::OverLimit => "for overcoming of output buffer limits",
        Refused::NoMemory => "for a reply there is no memory for",
        Refused::Closed => return,
    };
    if let Some(held) = super::ratelog::OUTPUT_LIMIT.allow() {
        info!(
            "Client id={id} addr={peer} closed {reason}{}",
            super::ratelog::held_note(held)
        );
    }
}

/// Resolves once `limit` has passed; never without one. The timer is
/// made only when polled, so no timeout costs nothing.
async fn idle(limit: Option<std::time::Duration>) {
    match limit {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

/// Resolves when `outbox` has news; never without one.
async fn woken(outbox: Option<&Outbox>) {
    match outbox {
        Some(o) => o.woken().await,
        None => std::future::pending().await,
    }
}

/// Writes a subscriber's buffer, giving up if publishers close its outbox
/// meanwhile: a client that does not read must not hold its queue forever.
async fn write_watching<S: Transport>(
    socket: &mut S,
    buf: &[u8],
    outbox: &Outbox,
    stats: &NetStats,
) -> bool {
    let write = send(socket, buf, stats);
    tokio::pin!(write);
    loop {
        tokio::select! {
            done = &mut write => return done.is_ok(),
            _ = outbox.woken() => {
                if outbox.is_closed() {
                    return false;
                }
            }
        }
    }
}

/// Waits for the blocking command in `req` to find something, running it
/// again on every wake-up, until it does or its timeout passes (a null
/// array, as Redis answers). `None` if the client went away meanwhile:
/// it is removed from the queues and nothing was taken for it. What the
/// client sends meanwhile is kept for after the reply. A server shutting
/// down ends the wait as a disconnect does, so it is not held up.
async fn wait_blocked<S: Transport, F: std::future::Future>(
    socket: &mut S,
    rbuf: &mut BytesMut,
    shared: &Shared,
    session: &mut Session,
    req: BlockRequest,
    stop: Option<std::pin::Pin<&mut F>>,
) -> Option<Value> {
    // Already shutting down (the signal has fired, and a finished future
    // cannot be polled again): do not start waiting.
    let mut stop = stop?;
    let waiter = Arc::new(Waiter::default());
    shared.blocked.register(&req.keys, &waiter);
    *session.info.waiting.lock() = Some(Arc::clone(&waiter));
    let deadline = req.timeout.map(|t| tokio::time::Instant::now() + t);
    let outcome = loop {
        // Registered before looking again, so a write in between is not
        // missed: its wake-up is kept until the wait below.
        waiter.retrying();
        session.mark = std::time::Instant::now();
        let reply = cmd::execute(
            &mut Ctx::new(shared, session),
            Value::Array(req.args.clone()),
        );
        if session.block.take().is_none() {
            break Some(reply);
        }
        let sleep = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = waiter.notify.notified() => match waiter.unblocked() {
                None => {}
                Some(Unblock::Timeout) => break Some(Value::NullArray),
                Some(Unblock::Error) => break Some(Value::error(
                    "UNBLOCKED client unblocked via CLIENT UNBLOCK",
                )),
            },
            _ = sleep => break Some(Value::NullArray),
            _ = stop.as_mut() => break None,
            _ = session.info.kill.killed() => break None,
            read = fill(socket, rbuf, true, READ_CHUNK) => match read {
                Ok((0, _)) | Err(_) => break None,
                Ok((n, _)) => shared.stats.net.read(n, rbuf.len()),
            },
        }
    };
    *session.info.waiting.lock() = None;
    shared.blocked.unregister(&req.keys, &waiter);
    let served = matches!(outcome, Some(ref r) if !matches!(r, Value::NullArray));
    if served || waiter.woken() {
        // There may be more, or a client that left (or timed out) as a
        // write woke it took the wake-up along: the next waiter looks.
        for (db, k) in &req.keys {
            shared.blocked.signal(Some(*db), k);
        }
    }
    if session.aof_wait != 0 {
        let offset = std::mem::take(&mut session.aof_wait);
        if let (Err(e), Some(_)) = (shared.persist.wait(offset).await, &outcome) {
            // Served, but its record could not be written: not acknowledged.
            return Some(e);
        }
    }
    outcome
}

/// Waits until the log holds the writes whose replies are in `wbuf` (as
/// far as `--appendfsync` promises). The reply of each write whose record
/// could not be written is replaced by the error that says so: it was
/// applied in memory, but it is not acknowledged.
async fn settle(
    shared: &Shared,
    session: &mut Session,
    wbuf: &mut BytesMut,
    marks: &mut Vec<(usize, usize, u64)>,
) {
    let last = std::mem::take(&mut session.aof_wait);
    if last != 0 && shared.persist.wait(last).await.is_err() {
        let mut out = BytesMut::with_capacity(wbuf.len());
        let mut at = 0;
        for &(start, end, offset) in marks.iter() {
            // Settled already: each of these resolves at once.
            if let Err(reply) = shared.persist.wait(offset).await {
                out.extend_from_slice(&wbuf[at..start]);
                encode_as(&reply, session.dialect(), &mut out);
                at = end;
            }
        }
        out.extend_from_slice(&wbuf[at..]);
        *wbuf = out;
    }
    marks.clear();
}
