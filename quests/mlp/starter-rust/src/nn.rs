//! A tiny neural-net library on top of your own Value: Neuron, Layer and MLP, as in micrograd.
//!
//! A Neuron computes w . x + b (its weights times the inputs, plus a bias), then relu() unless it
//! is linear; a Layer is a list of Neurons that all see the same input; an MLP is a list of
//! Layers, each fed the previous layer's output. Everything is built from Values, so
//! loss.backward() fills in the gradient of every weight and bias, and training is: forward,
//! backward, nudge every parameter against its gradient, repeat.
//!
//! Keep micrograd's field names, later checks read them: an MLP keeps its layers in `layers` (in
//! order), a Layer its neurons in `neurons`, a Neuron its weights in `w` (one Value per input),
//! its bias in `b` and whether it applies relu in `nonlin`. Otherwise this quest's checks look at
//! your types from the outside: they call `new`, `forward`, `parameters()` and `zero_grad()`, and
//! change `p.set_data(..)` to see what each parameter does.
//!
//! Fill in the functions one task at a time; `quest check` tells you which task passes, and
//! `quest hint` helps when you are stuck. Every `todo!()` below is a stub until you write it.

// The todo!() stubs do not use their arguments yet; delete this line once they are written, and
// the compiler will tell you about a variable you forgot.
#![allow(unused_variables)]

use crate::engine::Value; // your own Value, from quest value
use std::cell::Cell;

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0x9E37_79B9_7F4A_7C15) };
}

/// A number drawn uniformly from [-1, 1), for the initial weights (given: std has no random
/// numbers, and this quest needs no crates). A xorshift64* generator with a fixed seed, so every
/// run starts from the same weights.
pub fn uniform() -> f64 {
    RNG.with(|state| {
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        let bits = x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11;
        bits as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    })
}

/// What Neuron, Layer and MLP have in common: parameters() and zero_grad().
pub trait Module {
    /// Every parameter Value of this module, in one flat list: the very Values the forward pass
    /// uses (clones of the handles, which share their nodes), not new Values with the same
    /// numbers.
    ///
    /// Tasks: neuron, layer, mlp (each type's own)
    fn parameters(&self) -> Vec<Value>;

    /// Sets the grad of every parameter of this module back to 0, ready for the next backward().
    /// Gradients accumulate (+=), so without this the second backward() adds to the first one's.
    /// A default method: Neuron, Layer and MLP all get it from parameters().
    ///
    /// Task: zero-grad
    fn zero_grad(&self) {
        todo!("Module::zero_grad is not written yet")
    }
}

/// One neuron: act = w . x + b, then act.relu() if nonlin, else act unchanged.
pub struct Neuron {
    pub w: Vec<Value>,
    pub b: Value,
    pub nonlin: bool,
}

impl Neuron {
    /// `nin` weights, each `Value::new(uniform())`, a bias `Value::new(0.0)`, and `nonlin`: true
    /// applies relu, false is linear.
    ///
    /// Task: neuron
    pub fn new(nin: usize, nonlin: bool) -> Neuron {
        todo!("Neuron::new is not written yet")
    }

    /// The forward pass: x holds `nin` Values. Returns ONE Value, b + sum of w[i] * x[i], passed
    /// through relu() when self.nonlin. Compute with the Values w and b themselves (not their
    /// numbers), so backward() reaches them.
    ///
    /// Task: neuron
    pub fn forward(&self, x: &[Value]) -> Value {
        todo!("Neuron::forward is not written yet")
    }
}

impl Module for Neuron {
    /// Every weight and the bias: the Values used in forward, nin + 1 of them.
    ///
    /// Task: neuron
    fn parameters(&self) -> Vec<Value> {
        todo!("Neuron::parameters is not written yet")
    }
}

/// `nout` neurons side by side, each seeing the whole input.
pub struct Layer {
    pub neurons: Vec<Neuron>,
}

impl Layer {
    /// `nout` Neurons with `nin` inputs each, all with the given `nonlin` (false: a linear layer).
    ///
    /// Task: layer
    pub fn new(nin: usize, nout: usize, nonlin: bool) -> Layer {
        todo!("Layer::new is not written yet")
    }

    /// Every neuron applied to the same input x: one output per neuron, in order.
    ///
    /// Task: layer
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        todo!("Layer::forward is not written yet")
    }
}

impl Module for Layer {
    /// Every parameter of every neuron, in one flat list.
    ///
    /// Task: layer
    fn parameters(&self) -> Vec<Value> {
        todo!("Layer::parameters is not written yet")
    }
}

/// A multi-layer perceptron: `MLP::new(3, &[4, 4, 1])` takes 3 inputs through layers of 4, 4 and
/// 1 neurons.
#[allow(clippy::upper_case_acronyms)] // micrograd's name, which the checks use
pub struct MLP {
    pub layers: Vec<Layer>,
}

impl MLP {
    /// One Layer per entry of `nouts`. Layer i takes as many inputs as the layer before it has
    /// outputs (the first takes `nin`). Every layer applies relu except the last, which is linear
    /// (nonlin false), so the output can be any number.
    ///
    /// Task: mlp
    pub fn new(nin: usize, nouts: &[usize]) -> MLP {
        todo!("MLP::new is not written yet")
    }

    /// x fed through the layers in order, each taking the previous layer's output; returns the
    /// last layer's output (one Value per neuron of the last layer).
    ///
    /// Task: mlp
    pub fn forward(&self, x: &[Value]) -> Vec<Value> {
        todo!("MLP::forward is not written yet")
    }
}

impl Module for MLP {
    /// Every parameter of every layer, in one flat list.
    ///
    /// Task: mlp
    fn parameters(&self) -> Vec<Value> {
        todo!("MLP::parameters is not written yet")
    }
}
