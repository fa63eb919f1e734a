//! Module-level checks: imported natives, the class table (superclasses and
//! field names) and the function table's names.
//!
//! Invariant on success: every native name resolves in
//! [`crate::builtin::NATIVES`]; every superclass index names a class and
//! every superclass chain ends at a root; field names are unique within each
//! class; function names are unique and `main`, if present, takes 0 or 1
//! parameters.

use std::collections::HashSet;

use super::error::{VerifyError, VerifyReason};
use super::function_checks::class_count;
use crate::builtin;
use crate::module::Module;

/// Runs every module-level check, in the order listed in the module header.
pub(super) fn check_module(module: &Module) -> Result<(), VerifyError> {
    check_natives(module)?;
    check_superclasses(module)?;
    check_field_names(module)?;
    check_function_names(module)
}

fn check_natives(module: &Module) -> Result<(), VerifyError> {
    match module
        .natives
        .iter()
        .find(|name| builtin::native_by_name(name).is_none())
    {
        Some(name) => Err(VerifyError::module(VerifyReason::UnknownNative {
            name: name.clone(),
        })),
        None => Ok(()),
    }
}

/// The state of a user class during the cycle search.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    /// Not looked at yet.
    Unvisited,
    /// On the chain being walked now; meeting it again means a cycle.
    OnPath,
    /// Its chain is known to end at a root.
    Done,
}

/// Every superclass index is in range and every chain ends. Each class is
/// walked at most once (linear in the number of classes).
fn check_superclasses(module: &Module) -> Result<(), VerifyError> {
    let total = class_count(module);
    for class in &module.classes {
        if let Some(sup) = class.superclass {
            if sup.0 as usize >= total {
                return Err(VerifyError::module(VerifyReason::SuperclassOutOfRange {
                    class: class.name.clone(),
                    superclass: sup.0,
                    class_count: total,
                }));
            }
        }
    }
    // Built-in classes cannot extend user classes, so only user classes can
    // form a cycle; `user_index` maps a class index to a position in
    // `module.classes`.
    let user_index =
        |idx: crate::isa::ClassIdx| (idx.0 as usize).checked_sub(builtin::BUILTIN_CLASS_COUNT);
    let mut visit = vec![Visit::Unvisited; module.classes.len()];
    for first in 0..module.classes.len() {
        let mut path = Vec::new();
        let mut current = Some(first);
        while let Some(i) = current {
            match visit[i] {
                Visit::Done => break,
                Visit::OnPath => {
                    return Err(VerifyError::module(VerifyReason::SuperclassCycle {
                        class: module.classes[i].name.clone(),
                    }))
                }
                Visit::Unvisited => {
                    visit[i] = Visit::OnPath;
                    path.push(i);
                    current = module.classes[i].superclass.and_then(user_index);
                }
            }
        }
        for i in path {
            visit[i] = Visit::Done;
        }
    }
    Ok(())
}

fn check_field_names(module: &Module) -> Result<(), VerifyError> {
    for class in &module.classes {
        let mut seen = HashSet::new();
        for field in &class.fields {
            if !seen.insert(field.name.as_str()) {
                return Err(VerifyError::module(VerifyReason::DuplicateFieldName {
                    class: class.name.clone(),
                    field: field.name.clone(),
                }));
            }
        }
    }
    Ok(())
}

fn check_function_names(module: &Module) -> Result<(), VerifyError> {
    let mut seen = HashSet::new();
    for func in &module.functions {
        if !seen.insert(func.name.as_str()) {
            return Err(VerifyError::module(VerifyReason::DuplicateFunctionName {
                name: func.name.clone(),
            }));
        }
        if func.name == "main" && func.params > 1 {
            return Err(VerifyError {
                function: Some(func.name.clone()),
                pc: None,
                mnemonic: None,
                reason: VerifyReason::MainParams {
                    params: func.params,
                },
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::builtin::EXCEPTION;
    use crate::isa::Instruction::*;
    use crate::isa::*;
    use crate::module::Module;
    use crate::verifier::test_support::*;
    use crate::verifier::{verify, VerifyReason};

    #[test]
    fn unknown_native_is_refused_at_module_level() {
        let mut m = single(vec![Return]);
        m.natives.push("launchMissiles".to_string());
        let reason = refused(&m, None, None);
        assert_eq!(
            reason,
            VerifyReason::UnknownNative {
                name: "launchMissiles".to_string()
            }
        );
    }

    #[test]
    fn module_errors_come_before_function_errors() {
        let mut m = single(vec![]); // EmptyCode, but the native is checked first
        m.natives.push("nope".to_string());
        assert!(matches!(
            refused(&m, None, None),
            VerifyReason::UnknownNative { .. }
        ));
    }

    #[test]
    fn superclass_out_of_range_is_refused() {
        let mut m = single(vec![Return]);
        m.classes.push(class("A", Some(ClassIdx(999)), &[]));
        let reason = refused(&m, None, None);
        assert!(
            matches!(reason, VerifyReason::SuperclassOutOfRange { ref class, superclass: 999, .. } if class == "A")
        );
    }

    #[test]
    fn superclass_cycles_are_refused() {
        let mut m = single(vec![Return]);
        let a = Module::user_class_idx(0);
        let b = Module::user_class_idx(1);
        m.classes.push(class("A", Some(b), &[]));
        m.classes.push(class("B", Some(a), &[]));
        assert!(matches!(
            refused(&m, None, None),
            VerifyReason::SuperclassCycle { .. }
        ));

        let mut m = single(vec![Return]);
        m.classes
            .push(class("Self", Some(Module::user_class_idx(0)), &[]));
        assert_eq!(
            refused(&m, None, None),
            VerifyReason::SuperclassCycle {
                class: "Self".to_string()
            }
        );
    }

    #[test]
    fn long_superclass_chains_are_accepted() {
        let mut m = single(vec![Return]);
        m.classes.push(class("C0", Some(EXCEPTION), &[]));
        for i in 1..200 {
            m.classes.push(class(
                &format!("C{i}"),
                Some(Module::user_class_idx(i - 1)),
                &[],
            ));
        }
        assert_eq!(verify(&m), Ok(()));
    }

    #[test]
    fn duplicate_field_names_are_refused() {
        let mut m = single(vec![Return]);
        m.classes
            .push(class("Node", None, &["value", "next", "value"]));
        assert_eq!(
            refused(&m, None, None),
            VerifyReason::DuplicateFieldName {
                class: "Node".to_string(),
                field: "value".to_string()
            }
        );
    }

    #[test]
    fn duplicate_function_names_are_refused() {
        let m = module(vec![func("f", 0, vec![Return]), func("f", 0, vec![Return])]);
        assert_eq!(
            refused(&m, None, None),
            VerifyReason::DuplicateFunctionName {
                name: "f".to_string()
            }
        );
    }

    #[test]
    fn main_with_two_params_is_refused() {
        let m = module(vec![func("main", 2, vec![Return])]);
        assert_eq!(
            refused(&m, Some("main"), None),
            VerifyReason::MainParams { params: 2 }
        );
        let m = module(vec![func("main", 1, vec![Return])]);
        assert_eq!(verify(&m), Ok(()));
    }
}
