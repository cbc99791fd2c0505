//! Times five training steps of the optimize quest's demo workload: MLP::new(2, &[16, 16, 1]),
//! 32 points of two moons a step, lr 0.05. Run it from your crate's folder:
//!
//!     cargo run --release --example profile_step
//!
//! `quest check` times a release build too; a debug build (without --release) is many times
//! slower and says little. To see where the time goes, profile the same run, e.g.
//! `perf record -g target/release/examples/profile_step` then `perf report`.

use std::time::Instant;
use ugrad::nn::{Module, MLP};
use ugrad::train::train_step;

/// A fixed stream of numbers in [0, 1), so every run times the same work.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn main() {
    let mut r = Lcg(1);
    let model = MLP::new(2, &[16, 16, 1]);
    let scale = 1.0 / 2f64.sqrt();
    for p in model.parameters() {
        p.set_data((r.next() * 2.0 - 1.0) * scale);
    }
    let steps = 5;
    let start = Instant::now();
    for step in 0..steps {
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for i in 0..32 {
            let t = std::f64::consts::PI * r.next();
            let (x0, x1, y) = if i % 2 == 0 {
                (t.cos(), t.sin(), 1.0)
            } else {
                (1.0 - t.cos(), 0.5 - t.sin(), -1.0)
            };
            xs.push(vec![
                x0 + (r.next() - 0.5) * 0.2,
                x1 + (r.next() - 0.5) * 0.2,
            ]);
            ys.push(y);
        }
        let loss = train_step(&model, &xs, &ys, 0.05);
        println!("step {}: loss {loss:.6}", step + 1);
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / steps as f64;
    println!("{ms:.3} ms per step ({steps} steps of MLP(2, [16, 16, 1]), 32 points each)");
}
