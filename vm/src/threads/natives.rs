//! The thread natives (docs/threads.md) and the `newthread` / `spawn`
//! instructions.
//!
//! Waiting natives follow one pattern: check the condition; if it holds,
//! finish; otherwise record what the thread waits for, set its Java state and
//! return `NativeResult::Block { retry: true }`, so the interpreter re-runs
//! the same `callnative` when the thread is woken and the condition is
//! checked again (spurious wake-ups are harmless). Timed waits keep their
//! deadline in `SchedLink::deadline` across those retries. An interrupt is
//! checked on every attempt that would wait.
//!
//! `LockSupport.park` waits for the VM-level permit of `VmThread` (set by
//! `LockSupport.unpark`), not the runtime's, which also serves the retried
//! waits; park itself is not retried (see `park_impl`).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use runtime::{Context, SpawnOptions};

use super::vm_thread::{Blocker, JavaState};
use super::{ThreadObject, VmJob, VmThread, Wait};
use crate::builtin::{
    ILLEGAL_ARGUMENT_EXCEPTION, ILLEGAL_STATE_EXCEPTION, ILLEGAL_THREAD_STATE_EXCEPTION,
    INTERRUPTED_EXCEPTION,
};
use crate::exception::Pending;
use crate::isa::FuncIdx;
use crate::natives::NativeResult;
use crate::thread_state::{StartError, ThreadState};
use crate::value::{Ref, Value};

/// `newthread f` (`start == false`) and `spawn f` (`start == true`): a new
/// thread running `func(args)`, as a thread object.
pub(crate) fn create_thread(
    ts: &mut ThreadState,
    func: FuncIdx,
    args: &[Value],
    start: bool,
) -> Result<Value, Pending> {
    let program = ts.program.clone();
    let opts = program.threads.options;
    // Boxed at once: the state is moved twice more on its way into the
    // record, and a box moves in one word.
    let stack = ThreadState::new(program.clone(), func, args, opts.stack_size, &ts.allocs);
    let mut stack = match stack {
        Ok(s) => Box::new(s),
        Err(StartError::StackTooSmall { .. }) => return Err(Pending::stack_overflow()),
        Err(StartError::OutOfMemory { .. }) => return Err(Pending::stack_out_of_memory()),
        Err(e) => return Err(Pending::new(ILLEGAL_ARGUMENT_EXCEPTION, e.to_string())),
    };
    stack.trace = ts.trace;
    let worker = context(ts).map_or(0, |cx| cx.worker_index());
    let thread = program
        .threads
        .create(&program.heap, &mut ts.allocs, stack, worker)
        .map_err(|_| Pending::out_of_memory())?;
    let obj = thread.object();
    if start {
        start_thread(ts, thread)?;
    }
    Ok(Value::Ref(obj))
}

/// NEW → RUNNABLE: hands the thread to the scheduler.
fn start_thread(ts: &mut ThreadState, thread: Arc<VmThread>) -> Result<(), Pending> {
    let coroutine = ts.program.threads.options.coroutines;
    let Some(cx) = context(ts) else {
        return Err(Pending::new(
            ILLEGAL_STATE_EXCEPTION,
            "threads can only be started under the scheduler",
        ));
    };
    let Some(daemon) = thread.body().mark_started() else {
        return Err(Pending::new(
            ILLEGAL_THREAD_STATE_EXCEPTION,
            "thread already started",
        ));
    };
    thread.set_state(JavaState::Runnable);
    let options = SpawnOptions { daemon, name: None };
    let handle = cx.spawn(Box::new(VmJob::new(thread.clone(), coroutine)), options);
    thread.publish_handle(&handle);
    Ok(())
}

/// The runtime context of the running slice (None outside the scheduler,
/// e.g. in interpreter unit tests).
fn context(ts: &mut ThreadState) -> Option<&mut Context> {
    // SAFETY: `cx` is set by `VmJob::run` to its live `&mut Context` for the
    // duration of the slice (natives run inside it) and cleared after.
    unsafe { ts.sched.cx.as_mut() }
}

/// The calling thread's record.
fn me<'a>(ts: &ThreadState) -> Option<&'a VmThread> {
    // SAFETY: `me` is set by `VmJob::run` from the job's `Arc<VmThread>`,
    // which outlives the slice; natives use it only during the slice.
    unsafe { ts.sched.me.as_ref() }
}

/// The thread object argument `v`.
fn thread_arg(v: Value) -> Result<Ref, Pending> {
    match v {
        Value::Null => Err(Pending::null_pointer("thread is null")),
        Value::Ref(r) if r.as_thread().is_some() => Ok(r),
        _ => Err(Pending::class_cast("expected a thread")),
    }
}

fn int_arg(v: Value, what: &str) -> Result<i64, Pending> {
    match v {
        Value::Int(i) => Ok(i),
        _ => Err(Pending::class_cast(format!("{what}: expected int"))),
    }
}

macro_rules! attempt {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(p) => return NativeResult::Throw(p),
        }
    };
}

macro_rules! current {
    ($ts:expr) => {
        match me($ts) {
            Some(t) => t,
            None => {
                return NativeResult::Throw(Pending::new(
                    ILLEGAL_STATE_EXCEPTION,
                    "no current thread outside the scheduler",
                ))
            }
        }
    };
}

/// Ends a wait: forgets its deadline and blocker.
fn wait_over(ts: &mut ThreadState) {
    ts.sched.deadline = None;
    ts.sched.blocker = Blocker::None;
}

/// The interrupt check every waiting native starts with.
fn interrupted(ts: &mut ThreadState, me: &VmThread, what: &str) -> Option<NativeResult> {
    if me.take_interrupt() {
        wait_over(ts);
        return Some(NativeResult::Throw(Pending::new(
            INTERRUPTED_EXCEPTION,
            what,
        )));
    }
    None
}

/// The deadline of a timed wait of `ms` milliseconds that may be a retry.
fn deadline_after(ts: &mut ThreadState, duration: Duration) -> Instant {
    *ts.sched
        .deadline
        .get_or_insert_with(|| Instant::now() + duration)
}

/// Thread.start(t)
pub(crate) fn start(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    // A thread that has ended has no record, and cannot start again.
    let Some(thread) = r.as_thread().and_then(|o| o.live()).map(VmThread::arc) else {
        return NativeResult::Throw(Pending::new(
            ILLEGAL_THREAD_STATE_EXCEPTION,
            "thread already started",
        ));
    };
    attempt!(start_thread(ts, thread));
    NativeResult::Void
}

/// Thread.join(t) and Thread.joinMillis(t, ms): `timeout` None waits forever.
fn join_impl(ts: &mut ThreadState, target: Value, timeout: Option<Duration>) -> NativeResult {
    let me = current!(ts);
    let r = attempt!(thread_arg(target));
    let Some(object) = r.as_thread() else {
        return NativeResult::Void;
    };
    // As Java's join, which waits only while the target is alive: a thread
    // that has not started or has ended is joined at once, even when the
    // caller's interrupt flag is set.
    if !object.is_started() {
        wait_over(ts);
        return NativeResult::Return(Value::Null);
    }
    let Some(my_handle) = me.handle() else {
        return NativeResult::Return(Value::Null);
    };
    let result = match object.live() {
        Some(target) => target.result_or_register(my_handle),
        None => object.result(),
    };
    if let Some(result) = result {
        wait_over(ts);
        return NativeResult::Return(result);
    }
    if let Some(exc) = interrupted(ts, me, "join interrupted") {
        return exc;
    }
    ts.sched.blocker = Blocker::Join(r);
    match timeout {
        None => {
            me.set_state(JavaState::Waiting);
            NativeResult::Block {
                wait: Wait::Park,
                retry: true,
            }
        }
        Some(d) => {
            let deadline = deadline_after(ts, d);
            if Instant::now() >= deadline {
                wait_over(ts);
                return NativeResult::Return(Value::Null);
            }
            me.set_state(JavaState::TimedWaiting);
            NativeResult::Block {
                wait: Wait::ParkUntil(deadline),
                retry: true,
            }
        }
    }
}

/// Thread.join(t)
pub(crate) fn join(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    join_impl(ts, args[0], None)
}

/// Thread.joinMillis(t, ms); as Java's join(ms): 0 waits forever, a
/// negative timeout throws IllegalArgumentException.
pub(crate) fn join_millis(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let ms = attempt!(int_arg(args[1], "Thread.joinMillis"));
    if ms < 0 {
        return NativeResult::Throw(Pending::new(
            ILLEGAL_ARGUMENT_EXCEPTION,
            "timeout value is negative",
        ));
    }
    let timeout = (ms > 0).then(|| Duration::from_millis(ms as u64));
    join_impl(ts, args[0], timeout)
}

/// Thread.isAlive(t)
pub(crate) fn is_alive(_ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    let alive = r.as_thread().is_some_and(|t| t.is_alive());
    NativeResult::Return(Value::Int(alive as i64))
}

/// Thread.yield()
pub(crate) fn yield_now(_ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    NativeResult::Block {
        wait: Wait::Yield,
        retry: false,
    }
}

/// Thread.sleep(ms)
pub(crate) fn sleep(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let me = current!(ts);
    let ms = attempt!(int_arg(args[0], "Thread.sleep"));
    if let Some(exc) = interrupted(ts, me, "sleep interrupted") {
        return exc;
    }
    if ms < 0 {
        return NativeResult::Throw(Pending::new(
            ILLEGAL_ARGUMENT_EXCEPTION,
            "timeout value is negative",
        ));
    }
    let deadline = deadline_after(ts, Duration::from_millis(ms as u64));
    if Instant::now() >= deadline {
        wait_over(ts);
        return NativeResult::Void;
    }
    ts.sched.blocker = Blocker::Sleep;
    me.set_state(JavaState::TimedWaiting);
    NativeResult::Block {
        wait: Wait::ParkUntil(deadline),
        retry: true,
    }
}

/// Thread.current()
pub(crate) fn current(ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    let me = current!(ts);
    NativeResult::Return(Value::Ref(me.object()))
}

/// Thread.interrupt(t)
pub(crate) fn interrupt(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    // Interrupting a thread that has ended has no effect.
    let Some(t) = r.as_thread().and_then(|o| o.live()) else {
        return NativeResult::Void;
    };
    t.interrupt_flag().store(true, Ordering::SeqCst);
    wake(ts, t);
    NativeResult::Void
}

/// Thread.interrupted()
pub(crate) fn interrupted_native(ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    let me = current!(ts);
    NativeResult::Return(Value::Int(me.take_interrupt() as i64))
}

/// Thread.setDaemon(t, flag)
pub(crate) fn set_daemon(_ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    let on = attempt!(int_arg(args[1], "Thread.setDaemon")) != 0;
    if r.as_thread().is_some_and(|t| !t.set_daemon(on)) {
        return NativeResult::Throw(Pending::new(
            ILLEGAL_THREAD_STATE_EXCEPTION,
            "cannot change the daemon flag of a started thread",
        ));
    }
    NativeResult::Void
}

/// Thread.setName(t, s)
pub(crate) fn set_name(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    let name = match args[1] {
        Value::Ref(s) if s.as_str().is_some() => s,
        other => {
            let text = crate::display::to_display_string(&ts.program, other);
            match ts.alloc_string(&text) {
                Ok(s) => s,
                Err(_) => return NativeResult::Throw(Pending::out_of_memory()),
            }
        }
    };
    if let Some(t) = r.as_thread() {
        t.set_name(name);
    }
    NativeResult::Void
}

/// Thread.getName(t)
pub(crate) fn get_name(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    let Some(t) = r.as_thread() else {
        return NativeResult::Return(Value::Null);
    };
    if let Some(name) = t.name_object() {
        return NativeResult::Return(Value::Ref(name));
    }
    string_result(ts, &t.name())
}

/// Thread.getId(t)
pub(crate) fn get_id(_ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    NativeResult::Return(Value::Int(r.as_thread().map_or(0, |t| t.id() as i64)))
}

/// Thread.getState(t)
pub(crate) fn get_state(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    let Some(state) = r.as_thread().map(|t| t.state()) else {
        return NativeResult::Return(Value::Null);
    };
    let program = ts.program.clone();
    match program
        .threads
        .state_name(state, &program.heap, &mut ts.allocs)
    {
        Some(s) => NativeResult::Return(Value::Ref(s)),
        None => NativeResult::Throw(Pending::out_of_memory()),
    }
}

/// Thread.workerIndex()
pub(crate) fn worker_index(ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    let index = context(ts).map_or(0, |cx| cx.worker_index());
    NativeResult::Return(Value::Int(index as i64))
}

/// LockSupport.park() and parkNanos(ns): returns at once if the permit is
/// (or was already) given or the interrupt flag is set; otherwise blocks and,
/// unlike the retried waits, returns after the next wake-up of any kind
/// (Java allows a spurious return). The job consumes the permit that woke it
/// when the thread resumes (`VmJob::run`), so a switch runs the native once.
#[inline]
pub(crate) fn park_impl(ts: &mut ThreadState, timeout: Option<Duration>) -> NativeResult {
    let me = current!(ts);
    // As in Java, park returns at once while the interrupt flag is set (and
    // leaves it set).
    if me.take_permit() || me.interrupt_flag().load(Ordering::SeqCst) {
        return NativeResult::Void;
    }
    ts.sched.blocker = Blocker::Park;
    let wait = match timeout {
        None => {
            me.set_state(JavaState::Waiting);
            Wait::Park
        }
        Some(d) => {
            me.set_state(JavaState::TimedWaiting);
            Wait::ParkUntil(Instant::now() + d)
        }
    };
    NativeResult::Block { wait, retry: false }
}

/// LockSupport.park()
pub(crate) fn park(ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    park_impl(ts, None)
}

/// LockSupport.parkNanos(ns)
pub(crate) fn park_nanos(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let ns = attempt!(int_arg(args[0], "LockSupport.parkNanos"));
    if ns <= 0 {
        return NativeResult::Void;
    }
    park_impl(ts, Some(Duration::from_nanos(ns as u64)))
}

/// LockSupport.unpark(t)
pub(crate) fn unpark(ts: &mut ThreadState, args: &[Value]) -> NativeResult {
    let r = attempt!(thread_arg(args[0]));
    if let Some(object) = r.as_thread() {
        unpark_object(ts, object);
    }
    NativeResult::Void
}

/// `LockSupport.unpark` of a thread object, its argument checked: also the
/// interpreter's fast-path intrinsic (`interp::fuse`).
#[inline]
pub(crate) fn unpark_object(ts: &mut ThreadState, object: &ThreadObject) {
    // Unpark before start, or after the end, has no effect, as in Java.
    if object.is_started() {
        if let Some(t) = object.live() {
            t.give_permit();
            wake(ts, t);
        }
    }
}

/// Wakes `t` after its permit or interrupt flag was set. A thread that has
/// not yet published its runtime handle has not yet run, and will see the
/// flag when it does (see the fence rule in `vm_thread`).
fn wake(ts: &mut ThreadState, t: &VmThread) {
    // Common case: the handle is already visible, and the runtime's unpark
    // (an `AcqRel` transition) orders the flag store before the wake-up. Only
    // while it is not yet visible is the fence rule needed.
    let handle = match t.handle() {
        Some(handle) => handle,
        None => {
            std::sync::atomic::fence(Ordering::SeqCst);
            let Some(handle) = t.handle() else {
                return;
            };
            handle
        }
    };
    match context(ts) {
        Some(cx) => cx.unpark(handle),
        None => handle.unpark(),
    }
}

/// Runtime.workers()
pub(crate) fn workers(ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    NativeResult::Return(Value::Int(ts.program.threads.options.workers as i64))
}

/// System.rssKiB()
pub(crate) fn rss_kib(_ts: &mut ThreadState, _args: &[Value]) -> NativeResult {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<i64>().ok())
        .unwrap_or(-1);
    NativeResult::Return(Value::Int(kib))
}

fn string_result(ts: &mut ThreadState, s: &str) -> NativeResult {
    match ts.alloc_string(s) {
        Ok(r) => NativeResult::Return(Value::Ref(r)),
        Err(_) => NativeResult::Throw(Pending::out_of_memory()),
    }
}
