//! The starter's train_step (quests/optimize/starter-rust/src/train.rs), line for line.

use crate::engine::Value;
use crate::nn::{Module, MLP};

/// Weight of the L2 regularisation term.
pub const ALPHA: f64 = 1e-4;

/// One step of SGD on the max-margin loss; returns the loss before the update.
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
