//! Training: one step of gradient descent, the loop that `quest check` times.
//!
//! `train_step` below is correct and plain: it builds a fresh graph of Values for every step,
//! exactly as micrograd's demo does. The optimize quest times it on two workloads (micrograd's
//! demo net, `MLP::new(2, &[16, 16, 1])`, and a wide one, `MLP::new(2, &[100, 100, 1])`) against a
//! baseline as plain as this step, and asks you to make it 2x, 5x, 20x and 60x faster (the last on the
//! demo net). You may change anything here and in engine.rs and nn.rs, as long as every step computes
//! what this one computes:
//!
//! ```text
//! scores    = model.forward(x)[0] for every x in xs         (one Value per point)
//! data_loss = mean over the batch of (1 - y * score).relu()  (the SVM max-margin loss)
//! loss      = data_loss + ALPHA * sum(p * p for p in model.parameters())
//! then      model.zero_grad(); loss.backward()
//! and       p.data -= lr * p.grad for every p in model.parameters()
//! returning loss.data(), the loss BEFORE the update,
//! and leaving each p.grad() as loss.backward() left it (the step goes through your Values).
//! ```
//!
//! `xs` holds the points (each a Vec of plain floats), `ys` the labels (+1.0 or -1.0), `lr` is a
//! float; every call may bring new points and a new lr, and several models may be trained in turn.
//! Task still-correct compares your losses, updated weights and gradients with the baseline's after
//! several steps, so the answer must stay the same up to float rounding (summing in another order is
//! fine). A step that leaks memory from step to step earns no speed tier, nor does one computed
//! outside your Values (hand-written backprop on slices of floats): the quest is to make your engine
//! fast.
//!
//! Start by measuring: `cargo run --release --example profile_step` (from your crate's folder)
//! times a few steps of the demo workload, and its doc comment shows how to profile them. A
//! release build is what `quest check` times.

use crate::engine::Value;
use crate::nn::{Module, MLP};

/// Weight of the L2 regularisation term.
pub const ALPHA: f64 = 1e-4;

/// One step of SGD on the max-margin loss; returns the loss before the update.
///
/// Tasks: still-correct (the same numbers as this plain step), speedup-2x, -5x, -20x, -60x (faster).
pub fn train_step(model: &MLP, xs: &[Vec<f64>], ys: &[f64], lr: f64) -> f64 {
    let scores: Vec<Value> = xs
        .iter()
        .map(|x| {
            let x: Vec<Value> = x.iter().map(|&xi| Value::new(xi)).collect();
            model.forward(&x)[0].clone()
        })
        .collect();
    let losses: Vec<Value> = ys
        .iter()
        .zip(&scores)
        .map(|(&y, score)| (1.0 - y * score).relu())
        .collect();
    let n = losses.len() as f64;
    let data_loss = losses.into_iter().sum::<Value>() * (1.0 / n);
    let reg_loss = ALPHA * model.parameters().iter().map(|p| p * p).sum::<Value>();
    let loss = data_loss + reg_loss;
    model.zero_grad();
    loss.backward();
    for p in model.parameters() {
        p.set_data(p.data() - lr * p.grad());
    }
    loss.data()
}
