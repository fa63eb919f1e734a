//! End-to-end tests of `verify` and `infer_max_stack` over hand-built modules.

use super::test_support::*;
use super::*;
use crate::isa::Instruction::*;
use crate::isa::Target;

#[test]
fn infer_max_stack_of_straight_line_code() {
    let m = module(vec![func(
        "main",
        0,
        vec![IConst(1), IConst(2), IAdd, Pop, Return],
    )]);
    assert_eq!(infer_max_stack(&m, 0), Ok(2));
}
