//! The engine's Value as the protocol sees it: operators with a number on either side, methods,
//! data and grad as attributes, and what hasattr says.

use ugrad::engine::Value;

use crate::failure::{guard, Failure};
use crate::objects::Obj;

/// Python's names for the operators a Value has (asked by the suites' hints, through `has`).
const OPERATORS: [&str; 10] = [
    "__add__",
    "__radd__",
    "__sub__",
    "__rsub__",
    "__mul__",
    "__rmul__",
    "__truediv__",
    "__rtruediv__",
    "__neg__",
    "__pow__",
];
/// The Value methods the protocol can call (data and grad are read as attributes).
const METHODS: [&str; 9] = ["relu", "tanh", "exp", "backward", "pow", "id", "clone", "set_data", "set_grad"];

pub fn has(name: &str) -> bool {
    OPERATORS.contains(&name) || METHODS.contains(&name) || name == "data" || name == "grad"
}

pub fn new_value(x: f64) -> Result<Value, Failure> {
    guard("Value::new", || Value::new(x))
}

pub fn id(v: &Value) -> Result<usize, Failure> {
    guard("Value::id", || v.id())
}

/// The API item `left symbol right` calls, for errors and the phase file.
pub fn op_api(symbol: &str, left_is_value: bool, right_is_value: bool) -> &'static str {
    match (symbol, left_is_value, right_is_value) {
        ("+", true, true) => "&Value + &Value",
        ("+", true, false) => "&Value + f64",
        ("+", false, true) => "f64 + &Value",
        ("-", true, true) => "&Value - &Value",
        ("-", true, false) => "&Value - f64",
        ("-", false, true) => "f64 - &Value",
        ("*", true, true) => "&Value * &Value",
        ("*", true, false) => "&Value * f64",
        ("*", false, true) => "f64 * &Value",
        ("/", true, true) => "&Value / &Value",
        ("/", true, false) => "&Value / f64",
        ("/", false, true) => "f64 / &Value",
        ("**", true, false) => "Value::pow",
        _ => "",
    }
}

fn unsupported(symbol: &str, left: &Obj, right: &Obj) -> Failure {
    let shown = if symbol == "**" { "** or pow()" } else { symbol };
    Failure::type_error(format!(
        "unsupported operand type(s) for {}: '{}' and '{}'",
        shown,
        left.type_name(),
        right.type_name()
    ))
}

/// `left symbol right` (+ - * / **), a plain number allowed on either side; `**` only with a number
/// exponent (`a.pow(k)`): Rust has no `2 ** a`.
pub fn binary(symbol: &str, left: &Obj, right: &Obj) -> Result<Obj, Failure> {
    let value = match (left, right) {
        (Obj::Value(a), Obj::Value(b)) => {
            let api = op_api(symbol, true, true);
            match symbol {
                "+" => guard(api, || a + b)?,
                "-" => guard(api, || a - b)?,
                "*" => guard(api, || a * b)?,
                "/" => guard(api, || a / b)?,
                _ => return Err(unsupported(symbol, left, right)),
            }
        }
        (Obj::Value(a), other) => {
            let k = other.number().ok_or_else(|| unsupported(symbol, left, right))?;
            let api = op_api(symbol, true, false);
            match symbol {
                "+" => guard(api, || a + k)?,
                "-" => guard(api, || a - k)?,
                "*" => guard(api, || a * k)?,
                "/" => guard(api, || a / k)?,
                "**" => guard(api, || a.pow(k))?,
                _ => return Err(unsupported(symbol, left, right)),
            }
        }
        (other, Obj::Value(b)) => {
            let k = other.number().ok_or_else(|| unsupported(symbol, left, right))?;
            let api = op_api(symbol, false, true);
            match symbol {
                "+" => guard(api, || k + b)?,
                "-" => guard(api, || k - b)?,
                "*" => guard(api, || k * b)?,
                "/" => guard(api, || k / b)?,
                _ => return Err(unsupported(symbol, left, right)),
            }
        }
        _ => return plain_binary(symbol, left, right),
    };
    Ok(Obj::Value(value))
}

/// Two plain numbers, as Python computes them (ints stay ints where Python keeps them so).
fn plain_binary(symbol: &str, left: &Obj, right: &Obj) -> Result<Obj, Failure> {
    let (Some(x), Some(y)) = (left.number(), right.number()) else {
        return Err(unsupported(symbol, left, right));
    };
    if let (Obj::Int(a), Obj::Int(b)) = (left, right) {
        let exact = match symbol {
            "+" => a.checked_add(*b),
            "-" => a.checked_sub(*b),
            "*" => a.checked_mul(*b),
            "**" if (0..=u32::MAX as i64).contains(b) => a.checked_pow(*b as u32),
            _ => None,
        };
        if let Some(n) = exact {
            return Ok(Obj::Int(n));
        }
    }
    match symbol {
        "+" => Ok(Obj::Float(x + y)),
        "-" => Ok(Obj::Float(x - y)),
        "*" => Ok(Obj::Float(x * y)),
        "/" if y == 0.0 => Err(Failure::Python { ty: "ZeroDivisionError", msg: "division by zero".into() }),
        "/" => Ok(Obj::Float(x / y)),
        "**" => Ok(Obj::Float(x.powf(y))),
        _ => Err(Failure::protocol(format!("unknown operator {:?}", symbol))),
    }
}

pub fn neg(operand: &Obj) -> Result<Obj, Failure> {
    match operand {
        Obj::Value(a) => Ok(Obj::Value(guard("-&Value", || -a)?)),
        Obj::Int(n) => Ok(n.checked_neg().map(Obj::Int).unwrap_or(Obj::Float(-(*n as f64)))),
        Obj::Float(x) => Ok(Obj::Float(-x)),
        other => Err(Failure::type_error(format!("bad operand type for unary -: '{}'", other.type_name()))),
    }
}

fn number_arg(method: &str, args: &[Obj]) -> Result<f64, Failure> {
    match args {
        [x] => x.number().ok_or_else(|| {
            Failure::type_error(format!("Value::{} takes a number (f64), not '{}'", method, x.type_name()))
        }),
        _ => Err(Failure::type_error(format!("Value::{} takes 1 argument, {} given", method, args.len()))),
    }
}

/// v.name(*args) for the Value methods the protocol knows.
pub fn method(v: &Value, name: &str, args: &[Obj]) -> Result<Obj, Failure> {
    if let "pow" | "set_data" | "set_grad" = name {
        let k = number_arg(name, args)?;
        return match name {
            "pow" => Ok(Obj::Value(guard("Value::pow", || v.pow(k))?)),
            "set_data" => guard("Value::set_data", || v.set_data(k)).map(|_| Obj::Null),
            _ => guard("Value::set_grad", || v.set_grad(k)).map(|_| Obj::Null),
        };
    }
    if !METHODS.contains(&name) {
        return Err(match name {
            "data" | "grad" => Failure::type_error("'float' object is not callable"),
            _ => Failure::attribute_error("Value", name),
        });
    }
    if !args.is_empty() {
        return Err(Failure::type_error(format!("Value::{} takes no arguments, {} given", name, args.len())));
    }
    Ok(match name {
        "relu" => Obj::Value(guard("Value::relu", || v.relu())?),
        "tanh" => Obj::Value(guard("Value::tanh", || v.tanh())?),
        "exp" => Obj::Value(guard("Value::exp", || v.exp())?),
        "backward" => guard("Value::backward", || v.backward()).map(|_| Obj::Null)?,
        "clone" => Obj::Value(guard("Value::clone", || v.clone())?),
        _ => Obj::Int(id(v)? as i64),
    })
}

/// v.name: data and grad are numbers, methods are bound methods (called later).
pub fn attr(v: &Value, name: &str) -> Result<Obj, Failure> {
    match name {
        "data" => Ok(Obj::Float(guard("Value::data", || v.data())?)),
        "grad" => Ok(Obj::Float(guard("Value::grad", || v.grad())?)),
        _ if METHODS.contains(&name) => Ok(Obj::Bound(Box::new(Obj::Value(v.clone())), name.to_string())),
        _ => Err(Failure::attribute_error("Value", name)),
    }
}

/// v.data = x (set_data) or v.grad = x (set_grad).
pub fn set(v: &Value, name: &str, x: &Obj) -> Result<(), Failure> {
    if name != "data" && name != "grad" {
        return Err(Failure::attribute_error("Value", name));
    }
    method(v, &format!("set_{}", name), std::slice::from_ref(x)).map(|_| ())
}
