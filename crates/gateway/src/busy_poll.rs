//! Busy polling before the relay thread sleeps (`mcpwall wrap --busy-poll-us N`, 100 µs by
//! default, 0 to turn it off).
//!
//! On a machine whose idle CPUs take tens of microseconds to wake (virtual machines, deep
//! C-states), most of what a separate proxy process adds to a round trip is wake-ups: the
//! relay sleeps in `epoll_wait` while the server works and is woken when the answer arrives,
//! and sleeps again while the client reads the answer and writes its next request. With a
//! budget set, the runtime's park hook ([`spin`]) first polls the relay's inputs (the
//! client's stdin and the server's stdout) without sleeping, yielding the CPU between polls,
//! for up to the budget; as soon as one is readable the runtime parks and its `epoll_wait`
//! returns at once. It spins only while the relay waits for a peer's turn:
//! - an answer is due: after a message went to the server and before anything came back;
//! - the client's turn: after a message went to the client and before anything came from it.
//!
//! Each such message arms one spin of at most the budget (a slow tool or an idle client does
//! not keep it spinning). Between the server's answer and its delivery to the client the
//! relay may wait on the audit trail's background thread; those waits park at once, since a
//! spin there would only delay their wake-up (the first version spun through them and was
//! slower than none). It trades CPU time (at most two budgets per call) for latency; measured,
//! a call costs about the same CPU time with it as without (sleeping and being woken cost
//! kernel time too), and the p50 is lower in 11 of 12 fresh processes, so it is on by default;
//! `docs/performance.md` gives both sides measured.

use std::os::fd::{AsFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

static ENABLED: AtomicBool = AtomicBool::new(false);
/// A message went to the server and nothing has come back since: an answer is due.
static EXPECTING: AtomicBool = AtomicBool::new(false);
/// A message went to the client and nothing has come from it since: its turn.
static CLIENT_TURN: AtomicBool = AtomicBool::new(false);
/// Whether a CPU was free at the last look, and when that was (see [`spare_cpu`]).
static SPARE: Mutex<Option<(Instant, bool)>> = Mutex::new(None);
/// How long one look at the run queue is trusted.
const SPARE_FOR: Duration = Duration::from_millis(10);
/// Duplicates of the descriptors to watch; a duplicate keeps no pipe end alive that matters
/// (these are read ends: the writers' closing still shows as a hang-up).
static WATCHED: Mutex<Vec<OwnedFd>> = Mutex::new(Vec::new());

/// Turns watching on for this process (before the relay's inputs are opened).
pub fn enable() {
    ENABLED.store(true, Ordering::Relaxed);
}

/// Adds a readable descriptor of the relay (a duplicate of it) to the watched set, when
/// busy polling is enabled; a no-op otherwise.
pub fn watch(fd: &impl AsFd) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    if let (Ok(dup), Ok(mut set)) = (fd.as_fd().try_clone_to_owned(), WATCHED.lock()) {
        set.push(dup);
    }
}

/// Called after a message was written to the server.
pub fn sent_upstream() {
    if ENABLED.load(Ordering::Relaxed) {
        EXPECTING.store(true, Ordering::Relaxed);
    }
}

/// Called when the server's output had something (or ended).
pub fn heard_upstream() {
    EXPECTING.store(false, Ordering::Relaxed);
}

/// Called after a message was written to the client.
pub fn sent_to_client() {
    if ENABLED.load(Ordering::Relaxed) {
        CLIENT_TURN.store(true, Ordering::Relaxed);
    }
}

/// Called when the client's input had something (or ended).
pub fn heard_client() {
    CLIENT_TURN.store(false, Ordering::Relaxed);
}

/// The park hook: when an answer is due or it is the client's turn, returns as soon as a
/// watched descriptor is readable, or after `budget` (and then not again until the next
/// message to the server or the client). Descriptors whose writer has gone (hang-up without
/// data) are dropped from the set, so a dead server's pipe does not end every later spin at
/// once.
pub fn spin(budget: Duration) {
    spin_with(budget, spare_cpu);
}

/// [`spin`], with the test for a free CPU given.
fn spin_with(budget: Duration, spare_cpu: fn() -> bool) {
    if !EXPECTING.load(Ordering::Relaxed) && !CLIENT_TURN.load(Ordering::Relaxed) {
        return;
    }
    if !spare_cpu() {
        // Every CPU has work: a spin would take the time from the server or the client.
        EXPECTING.store(false, Ordering::Relaxed);
        CLIENT_TURN.store(false, Ordering::Relaxed);
        return;
    }
    if let Ok(mut set) = WATCHED.lock() {
        if !spin_on(&mut set, budget) {
            EXPECTING.store(false, Ordering::Relaxed);
            CLIENT_TURN.store(false, Ordering::Relaxed);
        }
    }
}

/// Whether the machine has a CPU that would otherwise idle: no more runnable tasks than CPUs,
/// this one included (nobody waits for a CPU), from the instantaneous count in `/proc/loadavg`, looked up at most
/// once per [`SPARE_FOR`]. Spinning only pays when it keeps an idle CPU awake; on a busy
/// machine it takes CPU time from the server and the client (measured: slower than not
/// spinning). Unknown (no `/proc`): no spin, since nobody can tell whether a CPU is free.
fn spare_cpu() -> bool {
    let Ok(mut cached) = SPARE.lock() else {
        return true;
    };
    if let Some((at, spare)) = *cached {
        if at.elapsed() < SPARE_FOR {
            return spare;
        }
    }
    let spare = match std::fs::read_to_string("/proc/loadavg") {
        Ok(s) => running_below_cpus(&s, cpus()),
        Err(_) => false,
    };
    *cached = Some((Instant::now(), spare));
    spare
}

/// The CPUs this process may run on.
fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// From `/proc/loadavg` text ("0.52 0.61 0.70 2/345 12345"): whether the runnable tasks
/// (the fourth field's numerator, this task included) are no more than the CPUs, so that
/// nobody waits for one. Unparsable: true.
fn running_below_cpus(loadavg: &str, cpus: usize) -> bool {
    loadavg
        .split_whitespace()
        .nth(3)
        .and_then(|f| f.split('/').next())
        .and_then(|n| n.parse::<usize>().ok())
        .is_none_or(|running| running <= cpus)
}

/// Polls `set` until one is readable (true) or `budget` ran out or polling failed (false).
fn spin_on(set: &mut Vec<OwnedFd>, budget: Duration) -> bool {
    let start = Instant::now();
    if set.is_empty() {
        return false;
    }
    loop {
        let mut fds: Vec<PollFd> = set
            .iter()
            .map(|f| PollFd::new(f.as_fd(), PollFlags::POLLIN))
            .collect();
        match poll(&mut fds, PollTimeout::ZERO) {
            Ok(n) if n > 0 => {
                let gone: Vec<bool> = fds
                    .iter()
                    .map(|p| {
                        p.revents().is_some_and(|r| {
                            !r.contains(PollFlags::POLLIN)
                                && r.intersects(
                                    PollFlags::POLLHUP | PollFlags::POLLERR | PollFlags::POLLNVAL,
                                )
                        })
                    })
                    .collect();
                drop(fds);
                let mut i = 0;
                set.retain(|_| {
                    let keep = !gone.get(i).copied().unwrap_or(false);
                    i += 1;
                    keep
                });
                return true;
            }
            Ok(_) => {}
            Err(_) => return false,
        }
        if start.elapsed() >= budget {
            return false;
        }
        std::thread::yield_now();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn spin_returns_when_input_arrives_and_forgets_closed_pipes() {
        let (r, w) = nix::unistd::pipe().unwrap();
        let mut set = vec![r.try_clone().unwrap()];
        // nothing to read: the whole (small) budget is spent
        let t = Instant::now();
        assert!(!spin_on(&mut set, Duration::from_millis(20)));
        assert!(t.elapsed() >= Duration::from_millis(20));
        // data waiting: returns at once (well inside a budget of an hour)
        let mut wf = std::fs::File::from(w);
        wf.write_all(b"x").unwrap();
        assert!(spin_on(&mut set, Duration::from_secs(3600)));
        assert_eq!(set.len(), 1, "a pipe with data stays watched");
        // writer gone, data read: the descriptor hangs up and is dropped from the set
        drop(wf);
        let mut rf = std::fs::File::from(r);
        let mut b = [0u8; 1];
        std::io::Read::read(&mut rf, &mut b).unwrap();
        assert!(spin_on(&mut set, Duration::from_secs(3600)));
        assert!(set.is_empty(), "a hung-up pipe is dropped");
        assert!(
            !spin_on(&mut set, Duration::from_secs(3600)),
            "empty set: at once"
        );
    }

    #[test]
    fn each_turn_arms_one_spin_that_the_peer_or_the_budget_ends() {
        enable();
        let (r, w) = nix::unistd::pipe().unwrap();
        watch(&r);
        let budget = Duration::from_millis(20);
        for (arm, heard) in [
            (sent_upstream as fn(), heard_upstream as fn()),
            (sent_to_client, heard_client),
        ] {
            // armed, nobody speaks: one spin of the whole budget, then disarmed
            arm();
            let t = Instant::now();
            spin_with(budget, || true);
            assert!(t.elapsed() >= budget);
            assert!(!EXPECTING.load(Ordering::Relaxed) && !CLIENT_TURN.load(Ordering::Relaxed));
            // armed, then the peer is heard: nothing left to spin for
            arm();
            assert!(EXPECTING.load(Ordering::Relaxed) || CLIENT_TURN.load(Ordering::Relaxed));
            heard();
            assert!(!EXPECTING.load(Ordering::Relaxed) && !CLIENT_TURN.load(Ordering::Relaxed));
        }
        // armed with input waiting: returns at once (well inside an hour) and stays armed
        // until the relay reads it
        std::fs::File::from(w).write_all(b"x").unwrap();
        sent_to_client();
        spin_with(Duration::from_secs(3600), || true);
        assert!(CLIENT_TURN.load(Ordering::Relaxed));
        // no CPU to spare: no spin, and the turn is given up
        sent_upstream();
        spin_with(Duration::from_secs(3600), || false);
        assert!(!EXPECTING.load(Ordering::Relaxed) && !CLIENT_TURN.load(Ordering::Relaxed));
    }

    #[test]
    fn spins_only_with_a_cpu_to_spare() {
        // 2 CPUs: ourselves and one other runnable task, nobody waits; and two others, one waits
        assert!(running_below_cpus("0.52 0.61 0.70 1/345 12345", 2));
        assert!(running_below_cpus("0.52 0.61 0.70 2/345 12345", 2));
        assert!(!running_below_cpus("5.35 4.66 3.33 3/113 17592", 2));
        assert!(!running_below_cpus("5.35 4.66 3.33 9/113 17592", 8 - 1));
        // unparsable: spin as asked
        assert!(running_below_cpus("", 2));
        assert!(running_below_cpus("1 2 3 x/4 5", 2));
    }

    #[test]
    fn watch_is_a_no_op_until_enabled() {
        // (each test runs in its own process under nextest; under `cargo test` another
        // test may have enabled it, and then this only shows that watching works)
        let (r, _w) = nix::unistd::pipe().unwrap();
        let before = WATCHED.lock().unwrap().len();
        watch(&r);
        let after = WATCHED.lock().unwrap().len();
        assert_eq!(after - before, usize::from(ENABLED.load(Ordering::Relaxed)));
    }
}
