//! The learner's train module (feature `train`): train_step(model, xs, ys, lr) -> loss.

use crate::args::{bind, f64_arg, list_arg};
use crate::failure::{guard, Failure};
use crate::objects::Obj;

const F: &str = "train_step";

fn points(x: &Obj) -> Result<Vec<Vec<f64>>, Failure> {
    list_arg(F, "xs", x)?
        .iter()
        .map(|point| list_arg(F, "xs", point)?.iter().map(|v| f64_arg(F, "xs", v)).collect())
        .collect()
}

pub fn train_step(args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
    let slots = bind(F, &["model", "xs", "ys", "lr"], 4, args, kwargs)?;
    let [model, xs, ys, lr] = [0, 1, 2, 3].map(|i| slots[i].as_ref().unwrap_or(&Obj::Null));
    let model = match model {
        Obj::Net(net) => net.mlp(),
        _ => None,
    }
    .ok_or_else(|| Failure::type_error(format!("train_step() takes an MLP, not '{}'", model.type_name())))?;
    let xs = points(xs)?;
    let ys = list_arg(F, "ys", ys)?.iter().map(|y| f64_arg(F, "ys", y)).collect::<Result<Vec<f64>, Failure>>()?;
    let lr = f64_arg(F, "lr", lr)?;
    Ok(Obj::Float(guard("train::train_step", || ugrad::train::train_step(model, &xs, &ys, lr))?))
}
