//! A long-lived pool of engine threads (エンジンスレッドプール), for callers that sanitize many
//! messages: the gateway, the benchmark.
//!
//! Each thread has the policy's known stack size and runs one message at a time inside
//! [`catch_unwind`]; a thread whose message panicked answers with an `internal-error`
//! quarantine, starts its replacement and ends, so no state a panic may have left behind
//! (a half-updated thread-local of a third-party parser) reaches the next message.
//!
//! Time: the budget of a message counts from the moment a thread takes it, not from when it was
//! queued, and is asked by the engine as usual. One third-party call is not interrupted, so the
//! caller also keeps a wall clock: a message still running after [`EnginePool::hard_limit`]
//! (twice the policy's `limits.time_limit_seconds`) is answered with the same `time-limit`
//! quarantine as a budget that ran out; its thread is abandoned (its eventual result dropped, and
//! it ends instead of taking another message) and a new one takes its place, so the pool keeps
//! its size.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvError, Sender, TryRecvError, channel};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::{
    Ambiguity, AmbiguityKind, Budget, DigestIds, Outcome, Policy, PolicyError, QuarantineIds,
    engine,
};

/// The function a pool thread runs for one message: [`crate::sanitize_with_budget`]'s work,
/// without its own thread. Another one may be given for tests ([`EnginePool::with_engine`]).
pub type Engine = fn(&[u8], &Policy, &dyn Budget) -> Outcome;

/// A message's bytes as the pool takes them: shared, so that an abandoned thread may keep them.
pub type Input = Arc<dyn AsRef<[u8]> + Send + Sync>;

/// How long a thread polls for a message, and a caller for its answer, before sleeping. Waking a
/// sleeping thread on another core costs more than a small message's whole work, so a short
/// poll keeps the fixed cost of a message low while messages keep coming; an idle pool sleeps.
const SPIN: Duration = Duration::from_micros(100);

/// How often a caller whose message is still queued checks that the pool has threads at all.
const QUEUED_CHECK: Duration = Duration::from_secs(1);

/// Counts kept by the pool, for tests and metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Threads that take messages (the size asked for, unless a replacement could not start).
    pub threads: usize,
    /// Threads ended after a panic in their message.
    pub panicked: usize,
    /// Threads given up on after their message ran past the hard limit.
    pub abandoned: usize,
}

/// A pool of engine threads. Dropping it lets idle threads end; a message in flight finishes.
pub struct EnginePool {
    shared: Arc<Shared>,
    jobs: Mutex<Sender<Job>>,
    size: usize,
}

struct Shared {
    engine: Engine,
    policy: Arc<Policy>,
    ids: DigestIds,
    queue: Mutex<Receiver<Job>>,
    threads: AtomicUsize,
    panicked: AtomicUsize,
    abandoned: AtomicUsize,
}

struct Job {
    input: Input,
    slot: Arc<Slot>,
}

/// Where a message's state is handed between its caller and the thread that runs it.
struct Slot {
    state: Mutex<State>,
    changed: Condvar,
    /// Set with `State::Done`, for a caller that polls before it sleeps.
    done: AtomicBool,
    /// Set, under `state`'s lock, by a caller about to sleep on `changed`: a change of state is
    /// announced only then (an announcement is a system call, and a caller that polls needs
    /// none). Read under the same lock, so that no announcement is missed.
    sleeping: AtomicBool,
}

impl Slot {
    /// Wakes the caller if it sleeps; `state`'s lock is held.
    fn announce(&self) {
        if self.sleeping.load(Ordering::Relaxed) {
            self.changed.notify_all();
        }
    }

    /// Sleeps until the state changes or `timeout` passes; `state` is this slot's locked state.
    fn sleep<'a>(&self, state: MutexGuard<'a, State>, timeout: Duration) -> MutexGuard<'a, State> {
        self.sleeping.store(true, Ordering::Relaxed);
        self.changed
            .wait_timeout(state, timeout)
            .unwrap_or_else(PoisonError::into_inner)
            .0
    }
}

enum State {
    Queued,
    Running(Instant),
    Done(Result<Outcome, String>),
    /// The caller gave up waiting; the thread drops its result and ends.
    Abandoned,
    /// The caller has taken the result.
    Taken,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing panics while one of these locks is held; a poisoned lock still holds valid data.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EnginePool {
    /// A pool of `threads` (at least one) threads running the engine under `policy`.
    pub fn new(policy: Arc<Policy>, threads: usize) -> Result<Self, PolicyError> {
        Self::with_engine(policy, threads, run_with_digest_ids)
    }

    /// A pool running another engine in the same fence (tests, wrappers).
    pub fn with_engine(
        policy: Arc<Policy>,
        threads: usize,
        engine: Engine,
    ) -> Result<Self, PolicyError> {
        policy.validate()?;
        let (jobs, queue) = channel();
        let shared = Arc::new(Shared {
            engine,
            ids: DigestIds {
                prefix: policy.quarantine_id_prefix.clone(),
            },
            policy,
            queue: Mutex::new(queue),
            threads: AtomicUsize::new(0),
            panicked: AtomicUsize::new(0),
            abandoned: AtomicUsize::new(0),
        });
        let size = threads.max(1);
        for _ in 0..size {
            // A thread that cannot start now is started when a message finds the pool empty.
            let _ = Shared::spawn(&shared);
        }
        Ok(Self {
            shared,
            jobs: Mutex::new(jobs),
            size,
        })
    }

    /// The policy every message of this pool is sanitized under.
    pub fn policy(&self) -> &Policy {
        &self.shared.policy
    }

    /// How long a caller waits for a running message before giving up on its thread.
    pub fn hard_limit(&self) -> Duration {
        Duration::from_secs(
            self.shared
                .policy
                .limits
                .time_limit_seconds
                .saturating_mul(2),
        )
    }

    pub fn stats(&self) -> PoolStats {
        PoolStats {
            threads: self.shared.threads.load(Ordering::SeqCst),
            panicked: self.shared.panicked.load(Ordering::SeqCst),
            abandoned: self.shared.abandoned.load(Ordering::SeqCst),
        }
    }

    /// Sanitizes one message on a pool thread and waits for the outcome. Never panics: a panic
    /// or a thread that cannot start is an `internal-error` quarantine, a message past the hard
    /// limit a `time-limit` quarantine (see the module documentation).
    pub fn sanitize(&self, input: Input) -> Outcome {
        let slot = Arc::new(Slot {
            state: Mutex::new(State::Queued),
            changed: Condvar::new(),
            done: AtomicBool::new(false),
            sleeping: AtomicBool::new(false),
        });
        let job = Job {
            input: input.clone(),
            slot: slot.clone(),
        };
        if self.shared.threads.load(Ordering::SeqCst) == 0 && !self.refill() {
            return self.failed(&input, "cannot start an engine thread".into());
        }
        if lock(&self.jobs).send(job).is_err() {
            return self.failed(&input, "the engine pool is closed".into());
        }
        let hard = self.hard_limit();
        spin_until(|| slot.done.load(Ordering::Acquire).then_some(()));
        let mut state = lock(&slot.state);
        loop {
            match &*state {
                State::Queued => {
                    state = slot.sleep(state, QUEUED_CHECK);
                    if matches!(*state, State::Queued)
                        && self.shared.threads.load(Ordering::SeqCst) == 0
                        && !self.refill()
                    {
                        // The job stays queued; a thread started later runs it for nobody.
                        *state = State::Abandoned;
                        drop(state);
                        return self.failed(&input, "cannot start an engine thread".into());
                    }
                }
                State::Running(started) => {
                    let left = (*started + hard).saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        *state = State::Abandoned;
                        drop(state);
                        self.shared.abandoned.fetch_add(1, Ordering::SeqCst);
                        // The replacement first, so that the count never shows an empty pool.
                        let _ = Shared::spawn(&self.shared);
                        self.shared.threads.fetch_sub(1, Ordering::SeqCst);
                        return engine::quarantine(
                            input.as_ref().as_ref(),
                            self.message_id(&input),
                            vec![Ambiguity {
                                kind: AmbiguityKind::TimeLimit,
                                part: "0".into(),
                                detail: format!(
                                    "the engine did not answer within {} s; its thread was abandoned",
                                    hard.as_secs()
                                ),
                                tolerated: false,
                            }],
                        );
                    }
                    state = slot.sleep(state, left);
                }
                State::Done(_) => {
                    let State::Done(result) = std::mem::replace(&mut *state, State::Taken) else {
                        unreachable!("matched above")
                    };
                    drop(state);
                    return match result {
                        Ok(outcome) => outcome,
                        Err(detail) => self.failed(&input, detail),
                    };
                }
                State::Abandoned | State::Taken => {
                    unreachable!("only this caller abandons or takes its message")
                }
            }
        }
    }

    /// Starts threads until the pool has its size again; whether it has at least one.
    fn refill(&self) -> bool {
        while self.shared.threads.load(Ordering::SeqCst) < self.size {
            if Shared::spawn(&self.shared).is_err() {
                break;
            }
        }
        self.shared.threads.load(Ordering::SeqCst) > 0
    }

    fn message_id(&self, input: &Input) -> String {
        let digest = engine::sha256_hex(input.as_ref().as_ref());
        catch_unwind(AssertUnwindSafe(|| self.shared.ids.message_id(&digest)))
            .unwrap_or_else(|_| format!("q-{}", &digest[..24]))
    }

    fn failed(&self, input: &Input, detail: String) -> Outcome {
        crate::internal_error(input.as_ref().as_ref(), self.message_id(input), detail)
    }
}

impl Shared {
    /// Starts one more thread; counted before it runs so that callers see it at once.
    fn spawn(this: &Arc<Self>) -> std::io::Result<()> {
        this.threads.fetch_add(1, Ordering::SeqCst);
        let shared = this.clone();
        let started = std::thread::Builder::new()
            .name("mamori-sanitize".into())
            .stack_size(this.policy.stack_bytes)
            .spawn(move || shared.serve());
        if started.is_err() {
            this.threads.fetch_sub(1, Ordering::SeqCst);
        }
        started.map(drop)
    }

    fn serve(self: Arc<Self>) {
        loop {
            let next = {
                let queue = lock(&self.queue);
                spin_until(|| match queue.try_recv() {
                    Ok(job) => Some(Ok(job)),
                    Err(TryRecvError::Empty) => None,
                    Err(TryRecvError::Disconnected) => Some(Err(RecvError)),
                })
                .unwrap_or_else(|| queue.recv())
            };
            let Ok(job) = next else {
                // The pool was dropped.
                self.threads.fetch_sub(1, Ordering::SeqCst);
                return;
            };
            let started = Instant::now();
            {
                let mut state = lock(&job.slot.state);
                if !matches!(*state, State::Queued) {
                    // Its caller gave up before a thread was free.
                    continue;
                }
                *state = State::Running(started);
                job.slot.announce();
            }
            let deadline = started + Duration::from_secs(self.policy.limits.time_limit_seconds);
            let budget = || Instant::now() >= deadline;
            let engine = self.engine;
            let input = job.input.as_ref().as_ref();
            let result = catch_unwind(AssertUnwindSafe(|| engine(input, &self.policy, &budget)));
            let panicked = result.is_err();
            let mut state = lock(&job.slot.state);
            if matches!(*state, State::Abandoned) {
                // The caller already answered and started this thread's replacement.
                return;
            }
            if panicked {
                // Counted before the answer, so that its caller sees the pool whole again.
                self.panicked.fetch_add(1, Ordering::SeqCst);
                let _ = Self::spawn(&self);
                self.threads.fetch_sub(1, Ordering::SeqCst);
            }
            *state = State::Done(result.map_err(|p| panic_text(p.as_ref())));
            job.slot.done.store(true, Ordering::Release);
            job.slot.announce();
            drop(state);
            if panicked {
                return;
            }
        }
    }
}

/// Polls `ready` for up to [`SPIN`], letting other threads run in between.
fn spin_until<T>(mut ready: impl FnMut() -> Option<T>) -> Option<T> {
    let start = Instant::now();
    loop {
        if let Some(t) = ready() {
            return Some(t);
        }
        if start.elapsed() >= SPIN {
            return None;
        }
        std::thread::yield_now();
    }
}

pub(crate) fn panic_text(p: &(dyn Any + Send)) -> String {
    let what = p
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    format!("panic while sanitizing: {what}")
}

/// The engine with ids derived from the message digest, on the calling thread.
fn run_with_digest_ids(input: &[u8], policy: &Policy, budget: &dyn Budget) -> Outcome {
    let ids = DigestIds {
        prefix: policy.quarantine_id_prefix.clone(),
    };
    engine::run(input, policy, &ids, budget)
}

#[cfg(test)]
mod tests {
    use std::thread::ThreadId;

    use super::*;
    use crate::{AmbiguityKind, Verdict};

    const MESSAGE: &[u8] = b"Subject: x\r\n\r\nbody\r\n";

    fn input(bytes: &[u8]) -> Input {
        Arc::new(bytes.to_vec())
    }

    fn pool(threads: usize, engine: Engine) -> EnginePool {
        EnginePool::with_engine(Arc::new(Policy::default()), threads, engine).expect("pool")
    }

    fn assert_sanitized_as_the_fenced_call_does(out: &Outcome) {
        let expected = crate::sanitize(MESSAGE, &Policy::default());
        assert_eq!(out.report.verdict, Verdict::Sanitized);
        assert_eq!(out.message, expected.message);
    }

    /// Panics on a message that says so; sanitizes the others.
    fn panics_on_request(input: &[u8], policy: &Policy, budget: &dyn Budget) -> Outcome {
        assert!(input != b"PANIC", "parser exploded");
        run_with_digest_ids(input, policy, budget)
    }

    #[test]
    fn the_pool_sanitizes_as_the_fenced_call_does() {
        let pool = EnginePool::new(Arc::new(Policy::default()), 2).expect("pool");
        for _ in 0..4 {
            assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        }
        let s = pool.stats();
        assert_eq!((s.threads, s.panicked, s.abandoned), (2, 0, 0));
    }

    #[test]
    fn a_panic_in_one_message_does_not_affect_the_next() {
        let pool = pool(1, panics_on_request);
        let out = pool.sanitize(input(b"PANIC"));
        assert_eq!(out.report.verdict, Verdict::Quarantined);
        assert!(out.message.is_none());
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::InternalError);
        assert!(
            out.report.ambiguities[0].detail.contains("parser exploded"),
            "{:?}",
            out.report.ambiguities
        );
        assert_eq!(out.report.message_sha256, engine::sha256_hex(b"PANIC"));
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
    }

    static RAN_ON: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());

    fn records_its_thread(input: &[u8], policy: &Policy, budget: &dyn Budget) -> Outcome {
        lock(&RAN_ON).push(std::thread::current().id());
        panics_on_request(input, policy, budget)
    }

    #[test]
    fn a_thread_whose_message_panicked_is_replaced() {
        let pool = pool(1, records_its_thread);
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        let out = pool.sanitize(input(b"PANIC"));
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::InternalError);
        let s = pool.stats();
        assert_eq!((s.threads, s.panicked, s.abandoned), (1, 1, 0));
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        let ran_on = lock(&RAN_ON).clone();
        assert_eq!(ran_on.len(), 4);
        // The thread that panicked ran the first two messages and none after.
        assert_eq!(ran_on[0], ran_on[1]);
        assert_ne!(ran_on[2], ran_on[1]);
        assert_eq!(ran_on[2], ran_on[3]);
    }

    static STUCK: (Mutex<bool>, Condvar) = (Mutex::new(true), Condvar::new());
    static STUCK_ENDED: AtomicBool = AtomicBool::new(false);

    /// Ignores its budget on a message that says so, as a third-party call that does not
    /// return would, until the test lets it go.
    fn hangs_on_request(input: &[u8], policy: &Policy, budget: &dyn Budget) -> Outcome {
        if input == b"HANG" {
            let (stuck, released) = &STUCK;
            let mut s = lock(stuck);
            while *s {
                s = released.wait(s).unwrap_or_else(PoisonError::into_inner);
            }
            drop(s);
            STUCK_ENDED.store(true, Ordering::SeqCst);
        }
        run_with_digest_ids(input, policy, budget)
    }

    #[test]
    fn a_message_past_the_hard_limit_is_quarantined_and_its_thread_replaced() {
        let mut policy = Policy::default();
        policy.limits.time_limit_seconds = 1;
        let pool = EnginePool::with_engine(Arc::new(policy), 1, hangs_on_request).expect("pool");
        let out = pool.sanitize(input(b"HANG"));
        assert_eq!(out.report.verdict, Verdict::Quarantined);
        assert!(out.message.is_none());
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::TimeLimit);
        assert!(
            !STUCK_ENDED.load(Ordering::SeqCst),
            "the stuck thread is still stuck"
        );
        let s = pool.stats();
        assert_eq!((s.threads, s.panicked, s.abandoned), (1, 0, 1));
        // The only thread is stuck: this message runs on its replacement.
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        *lock(&STUCK.0) = false;
        STUCK.1.notify_all();
        assert_sanitized_as_the_fenced_call_does(&pool.sanitize(input(MESSAGE)));
        assert_eq!(pool.stats().threads, 1);
    }

    /// Answers only once its budget has run out, as a very slow message would.
    fn works_until_the_budget_runs_out(
        input: &[u8],
        policy: &Policy,
        budget: &dyn Budget,
    ) -> Outcome {
        while !budget.exhausted() {
            std::thread::sleep(Duration::from_millis(10));
        }
        crate::sanitize_with_budget(input, policy, budget)
    }

    #[test]
    fn a_message_past_its_budget_is_quarantined_by_the_engine() {
        let mut policy = Policy::default();
        policy.limits.time_limit_seconds = 1;
        let pool = EnginePool::with_engine(Arc::new(policy), 1, works_until_the_budget_runs_out)
            .expect("pool");
        let out = pool.sanitize(input(MESSAGE));
        assert_eq!(out.report.verdict, Verdict::Quarantined);
        assert_eq!(out.report.ambiguities[0].kind, AmbiguityKind::TimeLimit);
        let s = pool.stats();
        assert_eq!((s.threads, s.panicked, s.abandoned), (1, 0, 0));
    }

    #[test]
    fn an_invalid_policy_is_refused() {
        let policy = Policy {
            stack_bytes: 1,
            ..Policy::default()
        };
        assert!(EnginePool::new(Arc::new(policy), 1).is_err());
    }
}
