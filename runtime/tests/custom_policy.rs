//! The worked example of docs/scheduling.md ("How to add a policy"), compiled and run.

mod common;

use std::sync::Arc;

use runtime::policy::{Injector, LocalDeque, Policy, Steal, Stealer};
use runtime::{Config, Context, Outcome, Runtime, SpawnOptions, Step, ThreadRef};

pub struct StealHalfFifoGlobal;

impl Policy for StealHalfFifoGlobal {
    fn name(&self) -> &'static str {
        "steal-half-fifo-global"
    }
    fn take_global(
        &self,
        injector: &Injector<ThreadRef>,
        _: &LocalDeque<ThreadRef>,
        _: usize,
    ) -> Steal<ThreadRef> {
        injector.steal()
    }
    fn steal(
        &self,
        victim: &Stealer<ThreadRef>,
        local: &LocalDeque<ThreadRef>,
        limit: usize,
    ) -> Steal<ThreadRef> {
        victim.steal_batch_with_limit_and_pop(local, limit)
    }
}

#[test]
fn a_custom_policy_runs_a_fan_out() {
    let (done, result) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let config = Config {
            workers: 2,
            ..Config::default()
        };
        let mut join: Option<Arc<common::Join>> = None;
        let main = move |cx: &mut Context| match &join {
            None => {
                let j = common::Join::new(500, cx.current().clone());
                for _ in 0..500 {
                    let (j, mut yields) = (j.clone(), 3);
                    cx.spawn(
                        Box::new(move |_: &mut Context| {
                            if yields == 0 {
                                j.done();
                                return Step::Exit;
                            }
                            yields -= 1;
                            Step::Yield
                        }),
                        SpawnOptions::default(),
                    );
                }
                join = Some(j);
                Step::Park
            }
            Some(j) => common::park_until_true(j.finished()),
        };
        let runtime = Runtime::new(config).with_policy(Arc::new(StealHalfFifoGlobal));
        let _ = done.send(runtime.run(Box::new(main)));
    });
    let outcome = result
        .recv_timeout(common::TIMEOUT)
        .expect("custom policy run hung");
    assert_eq!(outcome, Outcome::Completed);
}
