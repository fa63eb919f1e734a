//! Recursive fib(32) on one VM thread: the call-heavy interpreter benchmark.
//!
//!   cargo bench -p greenvm --bench fib [-- N RUNS]
//!
//! Prints each run's time and the median. Compare with
//! `lua5.4 -e 'local function fib(n) if n<2 then return n end return fib(n-1)+fib(n-2) end print(fib(32))'`.

use std::sync::Arc;
use std::time::Instant;

use vm::heap::AllocList;
use vm::interp::{self, RunExit};
use vm::output::Output;
use vm::program::{LinkOptions, Program};
use vm::thread_state::{ThreadState, DEFAULT_STACK_SIZE};
use vm::value::Value;

const SOURCE: &str = "
.func main(n) -> value
    load n
    call fib
    vreturn
.end
.func fib(n) -> value
    load n
    iconst 2
    if_icmplt small
    load n
    iconst 1
    isub
    call fib
    load n
    iconst 2
    isub
    call fib
    iadd
    vreturn
small:
    load n
    vreturn
.end
";

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let n: i64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(32);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(5);
    let module = vm::asm::assemble(SOURCE, "fib.gasm").expect("assembles");
    vm::verifier::verify(&module).expect("verifies");
    let main = module.main_function().expect("main");
    let program = Arc::new(
        Program::link(
            module,
            LinkOptions {
                max_heap: 1 << 30,
                output: Output::capture(),
                ..LinkOptions::default()
            },
        )
        .expect("links"),
    );
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut thread = ThreadState::new(
            program.clone(),
            main,
            &[Value::Int(n)],
            DEFAULT_STACK_SIZE,
            &AllocList::new(),
        )
        .expect("starts");
        let start = Instant::now();
        let result = loop {
            match interp::run(&mut thread, 10_000) {
                RunExit::BudgetSpent => {}
                RunExit::Finished(v) => break v,
                other => panic!("unexpected {other:?}"),
            }
        };
        let t = start.elapsed().as_secs_f64();
        println!("fib({n}) = {result:?} in {t:.3} s");
        times.push(t);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    println!("median of {runs}: {:.3} s", times[times.len() / 2]);
}
