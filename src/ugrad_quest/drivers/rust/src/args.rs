//! Arguments of the judge's calls, bound to a Rust signature with Python's messages when they do
//! not fit (the suites call `Neuron(3, nonlin=False)` as they would in Python).

#[cfg(feature = "nn")]
use ugrad::engine::Value;

use crate::failure::Failure;
use crate::objects::Obj;
#[cfg(feature = "nn")]
use crate::values;

/// args and kwargs bound to `names`, the first `required` of them required: one slot per name.
pub fn bind(
    function: &str,
    names: &[&str],
    required: usize,
    args: Vec<Obj>,
    kwargs: Vec<(String, Obj)>,
) -> Result<Vec<Option<Obj>>, Failure> {
    if args.len() > names.len() {
        return Err(Failure::type_error(format!(
            "{}() takes {} positional arguments but {} were given",
            function,
            names.len(),
            args.len()
        )));
    }
    let mut slots: Vec<Option<Obj>> = vec![None; names.len()];
    for (slot, arg) in slots.iter_mut().zip(args) {
        *slot = Some(arg);
    }
    for (key, value) in kwargs {
        let Some(at) = names.iter().position(|n| *n == key) else {
            return Err(Failure::type_error(format!("{}() got an unexpected keyword argument '{}'", function, key)));
        };
        if slots[at].is_some() {
            return Err(Failure::type_error(format!("{}() got multiple values for argument '{}'", function, key)));
        }
        slots[at] = Some(value);
    }
    if let Some(at) = slots[..required].iter().position(Option::is_none) {
        return Err(Failure::type_error(format!(
            "{}() missing 1 required positional argument: '{}'",
            function, names[at]
        )));
    }
    Ok(slots)
}

#[cfg(feature = "nn")]
pub fn usize_arg(function: &str, name: &str, x: &Obj) -> Result<usize, Failure> {
    match x {
        Obj::Int(n) if *n >= 0 => Ok(*n as usize),
        Obj::Int(n) => Err(Failure::Python {
            ty: "ValueError",
            msg: format!("{}() argument '{}' is a usize: {} is negative", function, name, n),
        }),
        other => Err(Failure::type_error(format!(
            "'{}' object cannot be interpreted as an integer ({}() argument '{}' is a usize)",
            other.type_name(),
            function,
            name
        ))),
    }
}

#[cfg(feature = "nn")]
pub fn bool_arg(function: &str, name: &str, x: &Obj) -> Result<bool, Failure> {
    match x {
        Obj::Bool(b) => Ok(*b),
        Obj::Int(n) => Ok(*n != 0),
        other => Err(Failure::type_error(format!(
            "{}() argument '{}' is a bool, not '{}'",
            function,
            name,
            other.type_name()
        ))),
    }
}

pub fn f64_arg(function: &str, name: &str, x: &Obj) -> Result<f64, Failure> {
    x.number().ok_or_else(|| {
        Failure::type_error(format!("{}() argument '{}' is an f64, not '{}'", function, name, x.type_name()))
    })
}

#[cfg(feature = "nn")]
pub fn list_arg<'a>(function: &str, name: &str, x: &'a Obj) -> Result<&'a [Obj], Failure> {
    match x {
        Obj::List(items) => Ok(items),
        other => Err(Failure::type_error(format!(
            "{}() argument '{}' is a list, not '{}'",
            function,
            name,
            other.type_name()
        ))),
    }
}

/// A forward pass's input: Values as they are, plain numbers made into new Values.
#[cfg(feature = "nn")]
pub fn values_arg(function: &str, x: &Obj) -> Result<Vec<Value>, Failure> {
    let items = list_arg(function, "x", x)?;
    items
        .iter()
        .map(|item| match item {
            Obj::Value(v) => Ok(v.clone()),
            other => match other.number() {
                Some(k) => values::new_value(k),
                None => Err(Failure::type_error(format!(
                    "{}() takes a list of Values and numbers, not one holding a '{}'",
                    function,
                    other.type_name()
                ))),
            },
        })
        .collect()
}
