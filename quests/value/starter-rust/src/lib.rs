//! ugrad: micrograd rebuilt in Rust, one quest at a time.
//!
//! - quest value (this one): `engine`, a scalar `Value` that remembers how it was computed and,
//!   with `backward()`, fills in the gradient of every input by the chain rule.
//! - quest mlp adds `nn` (src/nn.rs): `Neuron`, `Layer` and `MLP` built from your Values.
//! - quest optimize adds `train` (src/train.rs): one training step, made as fast as you can.
//!
//! `quest check` builds this crate with a driver of its own and runs the quest's checks against
//! it; keep the names and signatures the doc comments give (they are what the checks call).

pub mod engine;
