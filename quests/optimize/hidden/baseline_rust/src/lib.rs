//! The optimize quest's Rust baseline: micrograd's engine and nn, and the starter's train_step.
//!
//! Value is micrograd's engine ported as a Rust learner first writes it: a node behind
//! Rc<RefCell<..>>, its inputs in a Vec, a boxed closure per node that captures its inputs, and a
//! topological order rebuilt with a HashSet on every backward(). Like _baseline.py, the sort walks
//! an explicit stack, because the regularisation sum of the wide model is a chain ten thousand
//! nodes deep. train_step is quests/optimize/starter-rust/src/train.rs, line for line.

pub mod engine;
pub mod nn;
pub mod train;
