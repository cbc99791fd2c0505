//! The commands of protocol version 1 (README "The engine protocol", worker/wire.py), run on the
//! engine thread as the Python worker (worker/main.py) runs them.

use std::panic::{self, AssertUnwindSafe};

use crate::args::{bind, f64_arg};
use crate::failure::{caught, guard, Failure};
use crate::handles::{Dropper, Table};
use crate::json::Json;
#[cfg(feature = "nn")]
use crate::net;
use crate::objects::{Item, Module, Obj};
use crate::{phase, values};

pub struct Worker {
    table: Table,
    dropper: Dropper,
}

fn field(c: &[Json], i: usize) -> Result<&Json, Failure> {
    c.get(i).ok_or_else(|| Failure::protocol(format!("command {:?} has no argument {}", c[0], i)))
}

fn out_handle(j: &Json) -> Result<Option<i64>, Failure> {
    match j {
        Json::Null => Ok(None),
        Json::Int(h) => Ok(Some(*h)),
        other => Err(Failure::protocol(format!("not a handle: {}", other.encode()))),
    }
}

fn name_of(j: &Json) -> Result<&str, Failure> {
    j.as_str().ok_or_else(|| Failure::protocol(format!("not a name: {}", j.encode())))
}

fn list_of(j: &Json) -> Result<&[Json], Failure> {
    match j {
        Json::Arr(items) => Ok(items),
        other => Err(Failure::protocol(format!("not a list: {}", other.encode()))),
    }
}

impl Worker {
    pub fn new() -> Worker {
        Worker { table: Table::default(), dropper: Dropper::start() }
    }

    /// One request: its results, and the error that stopped it (the rest of it is not run).
    pub fn run(&mut self, request: &Json) -> Json {
        let Json::Arr(commands) = request else {
            let e = Failure::protocol("a request is a list of commands").to_json(0);
            return Json::obj(vec![("r", Json::Arr(vec![])), ("e", e)]);
        };
        let mut results = Vec::with_capacity(commands.len());
        for (index, command) in commands.iter().enumerate() {
            // A panic outside the guarded calls (a learner's Clone, or the driver's own bug) still
            // answers the request.
            let result = panic::catch_unwind(AssertUnwindSafe(|| self.command(command)))
                .unwrap_or_else(|_| Err(caught("the driver")));
            match result {
                Ok(r) => results.push(r),
                Err(failure) => {
                    return Json::obj(vec![("r", Json::Arr(results)), ("e", failure.to_json(index))]);
                }
            }
        }
        Json::obj(vec![("r", Json::Arr(results))])
    }

    // -- arguments -------------------------------------------------------------------------------
    fn arg(&self, a: &Json) -> Result<Obj, Failure> {
        Ok(match a {
            Json::Null => Obj::Null,
            Json::Bool(b) => Obj::Bool(*b),
            Json::Int(n) => Obj::Int(*n),
            Json::Float(x) => Obj::Float(*x),
            Json::Str(s) => Obj::Str(s.clone()),
            Json::Arr(items) => Obj::List(items.iter().map(|x| self.arg(x)).collect::<Result<_, _>>()?),
            Json::Obj(_) => {
                if let Some(h) = a.get("h") {
                    let handle =
                        h.as_i64().ok_or_else(|| Failure::protocol(format!("unknown handle {}", h.encode())))?;
                    return self
                        .table
                        .get(handle)
                        .cloned()
                        .ok_or_else(|| Failure::protocol(format!("unknown handle {}", handle)));
                }
                if let Some(m) = a.get("m") {
                    let module = Module::named(name_of(m)?)?;
                    return match a.get("a") {
                        Some(attr) => module.attr(name_of(attr)?),
                        None => Ok(Obj::Module(module)),
                    };
                }
                if let Some(Json::Arr(items)) = a.get("u") {
                    // A tuple: Rust has no tuple of any length, and a list serves wherever one is taken.
                    return Ok(Obj::List(items.iter().map(|x| self.arg(x)).collect::<Result<_, _>>()?));
                }
                return Err(Failure::protocol(format!("not an argument: {}", a.encode())));
            }
        })
    }

    fn args(&self, a: &Json) -> Result<Vec<Obj>, Failure> {
        list_of(a)?.iter().map(|x| self.arg(x)).collect()
    }

    fn kwargs(&self, a: &Json) -> Result<Vec<(String, Obj)>, Failure> {
        match a {
            Json::Obj(pairs) => pairs.iter().map(|(k, v)| Ok((k.clone(), self.arg(v)?))).collect(),
            Json::Null => Ok(vec![]),
            _ => Err(Failure::protocol("keyword arguments must be an object")),
        }
    }

    // -- commands --------------------------------------------------------------------------------
    fn command(&mut self, command: &Json) -> Result<Json, Failure> {
        let c = match command {
            Json::Arr(c) if !c.is_empty() => c.as_slice(),
            other => return Err(Failure::protocol(format!("not a command: {}", other.encode()))),
        };
        let op = name_of(&c[0])?;
        match op {
            "op" => {
                let out = out_handle(field(c, 1)?)?;
                let symbol = name_of(field(c, 2)?)?;
                let (left, right) = (self.arg(field(c, 3)?)?, self.arg(field(c, 4)?)?);
                let result = values::binary(symbol, &left, &right)?;
                self.table.describe(result, out)
            }
            "method" => {
                let out = out_handle(field(c, 1)?)?;
                let target = self.arg(field(c, 2)?)?;
                let name = name_of(field(c, 3)?)?;
                let (args, kwargs) = (self.args(field(c, 4)?)?, self.kwargs(field(c, 5)?)?);
                // Option baseline_recursion: Rust has no recursion limit to reset; the stack the engine
                // thread was given is the only bound, and "limit_after" stays absent, as the hello's
                // recursion_limit is null.
                let result = method(&target, name, args, kwargs)?;
                self.table.describe(result, out)
            }
            "read" => {
                let targets = list_of(field(c, 1)?)?;
                let names = list_of(field(c, 2)?)?;
                let names = names.iter().map(name_of).collect::<Result<Vec<_>, _>>()?;
                let targets = targets.iter().map(|t| self.arg(t)).collect::<Result<Vec<_>, _>>()?;
                let apis: Vec<String> = names.iter().map(|n| format!("Value::{}", n)).collect();
                phase::set(&format!("call {}", apis.join(", ")));
                phase::quietly(|| {
                    let mut rows = Vec::with_capacity(targets.len());
                    for target in &targets {
                        let row = names.iter().map(|n| self.read(target, n)).collect::<Result<Vec<_>, _>>()?;
                        rows.push(Json::Arr(row));
                    }
                    Ok(Json::Arr(rows))
                })
            }
            "set" => {
                let target = self.arg(field(c, 1)?)?;
                let name = name_of(field(c, 2)?)?;
                let value = self.arg(field(c, 3)?)?;
                set(&target, name, &value).map(|_| Json::Null)
            }
            "call" => {
                let out = out_handle(field(c, 1)?)?;
                let target = self.arg(field(c, 2)?)?;
                let (args, kwargs) = (self.args(field(c, 3)?)?, self.kwargs(field(c, 4)?)?);
                let result = call(&target, args, kwargs)?;
                self.table.describe(result, out)
            }
            "attr" => {
                let out = out_handle(field(c, 1)?)?;
                let target = self.arg(field(c, 2)?)?;
                let result = attr(&target, name_of(field(c, 3)?)?)?;
                self.table.describe(result, out)
            }
            "neg" => {
                let out = out_handle(field(c, 1)?)?;
                let result = values::neg(&self.arg(field(c, 2)?)?)?;
                self.table.describe(result, out)
            }
            "iop" => Err(Failure::type_error("Rust Values have no +=")),
            "fold" => {
                let out = out_handle(field(c, 1)?)?;
                let start = self.arg(field(c, 2)?)?;
                let steps = list_of(field(c, 3)?)?
                    .iter()
                    .map(|step| match step {
                        Json::Arr(pair) if pair.len() == 2 => Ok((name_of(&pair[0])?, self.arg(&pair[1])?)),
                        other => Err(Failure::protocol(format!("not a fold step: {}", other.encode()))),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let times = field(c, 4)?.as_i64().ok_or_else(|| Failure::protocol("fold times must be an int"))?;
                let result = fold(start, &steps, times)?;
                self.table.describe(result, out)
            }
            "sum" => {
                let out = out_handle(field(c, 1)?)?;
                let items = self.args(field(c, 2)?)?;
                let result = sum(items)?;
                self.table.describe(result, out)
            }
            "same" => {
                let (a, b) = (self.arg(field(c, 1)?)?, self.arg(field(c, 2)?)?);
                same(&a, &b).map(Json::Bool)
            }
            "has" => {
                let target = self.arg(field(c, 1)?)?;
                Ok(Json::Bool(has(&target, name_of(field(c, 2)?)?)))
            }
            "free" => {
                let handles = list_of(field(c, 1)?)?;
                let freed: Vec<Obj> = handles.iter().filter_map(|h| self.table.free(h.as_i64()?)).collect();
                self.dropper.drop_all(freed);
                Ok(Json::Null)
            }
            "reset" => {
                let all = self.table.clear();
                self.dropper.drop_all(all);
                Ok(Json::Null)
            }
            "import" => {
                Module::named(name_of(field(c, 1)?)?)?;
                Ok(Json::obj(vec![("t", "n".into())]))
            }
            "trace" => Ok(Json::obj(vec![(
                "unsupported",
                "a Rust MLP's layers are fields of the learner's struct: no spies can stand in for them".into(),
            )])),
            "iter" => {
                let target = self.arg(field(c, 1)?)?;
                match target {
                    Obj::List(_) => self.table.describe(target, None),
                    other => Err(Failure::type_error(format!("'{}' object is not iterable", other.type_name()))),
                }
            }
            "repeat" => {
                let target = self.arg(field(c, 1)?)?;
                let calls = list_of(field(c, 2)?)?.iter().map(|a| self.args(a)).collect::<Result<Vec<_>, _>>()?;
                let mut results = Vec::with_capacity(calls.len());
                for args in calls {
                    let result = call(&target, args, vec![])?;
                    results.push(self.table.describe(result, None)?);
                }
                Ok(Json::Arr(results))
            }
            _ => Err(Failure::protocol(format!("unknown command {:?}", op))),
        }
    }

    /// target.name described, or the error reading it raised (told where the judge reads it).
    fn read(&mut self, target: &Obj, name: &str) -> Result<Json, Failure> {
        let got = attr(target, name).and_then(|obj| self.table.describe(obj, None));
        Ok(match got {
            Ok(desc) => desc,
            Err(Failure::Protocol(msg)) => return Err(Failure::Protocol(msg)),
            Err(failure) => {
                let mut desc = failure.to_json(0);
                desc.set("t", "x".into());
                desc
            }
        })
    }
}

/// target(*args, **kwargs): a type makes an object, a function or an nn object is called.
fn call(target: &Obj, args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
    match target {
        Obj::Item(Item::ValueType) => {
            let slots = bind("Value", &["data"], 1, args, kwargs)?;
            let x = f64_arg("Value::new", "data", slots[0].as_ref().unwrap_or(&Obj::Null))?;
            Ok(Obj::Value(values::new_value(x)?))
        }
        #[cfg(feature = "nn")]
        Obj::Item(Item::NetType(kind)) => net::construct(*kind, args, kwargs),
        #[cfg(feature = "train")]
        Obj::Item(Item::TrainStep) => crate::training::train_step(args, kwargs),
        #[cfg(feature = "nn")]
        Obj::Net(n) => n.call(args, kwargs),
        Obj::Bound(owner, name) => method(owner, name, args, kwargs),
        other => Err(Failure::type_error(format!("'{}' object is not callable", other.type_name()))),
    }
}

/// target.name(*args, **kwargs).
fn method(target: &Obj, name: &str, args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
    match target {
        Obj::Value(v) => {
            if let Some((k, _)) = kwargs.first() {
                return Err(Failure::type_error(format!(
                    "Value::{}() got an unexpected keyword argument '{}'",
                    name, k
                )));
            }
            values::method(v, name, &args)
        }
        #[cfg(feature = "nn")]
        Obj::Net(n) => n.method(name, args, kwargs),
        other => {
            let bound = attr(other, name)?;
            call(&bound, args, kwargs)
        }
    }
}

/// target.name.
fn attr(target: &Obj, name: &str) -> Result<Obj, Failure> {
    match target {
        Obj::Value(v) => values::attr(v, name),
        #[cfg(feature = "nn")]
        Obj::Net(n) => n.attr(name),
        Obj::Module(m) => m.attr(name),
        Obj::Item(_) => Err(Failure::Python {
            ty: "AttributeError",
            msg: format!("type object '{}' has no attribute '{}'", target.object_parts().2.unwrap_or_default(), name),
        }),
        other => Err(Failure::attribute_error(other.type_name(), name)),
    }
}

/// target.name = value: only a Value's data and grad.
fn set(target: &Obj, name: &str, value: &Obj) -> Result<(), Failure> {
    match target {
        Obj::Value(v) => values::set(v, name, value),
        other => Err(Failure::Python {
            ty: "AttributeError",
            msg: format!(
                "'{}' object attribute '{}' cannot be set from the judge (only a Value's data and grad can)",
                other.type_name(),
                name
            ),
        }),
    }
}

/// x = start; `times` times, for each (symbol, operand): x = x symbol operand. A chain of 10,000
/// nodes in one command; the phase file names it once.
fn fold(start: Obj, steps: &[(&str, Obj)], times: i64) -> Result<Obj, Failure> {
    let apis: Vec<&str> =
        steps.iter().map(|(symbol, operand)| values::op_api(symbol, true, matches!(operand, Obj::Value(_)))).collect();
    phase::set(&format!("call {} (a chain of {} operations)", apis.join(", "), times.max(0) as usize * steps.len()));
    phase::quietly(|| {
        let mut x = start;
        for _ in 0..times {
            for (symbol, operand) in steps {
                x = values::binary(symbol, &x, operand)?;
            }
        }
        Ok(x)
    })
}

/// `Sum` over owned clones: the learner's own sum (Python's sum() would start from 0 + a).
fn sum(items: Vec<Obj>) -> Result<Obj, Failure> {
    let values = items
        .into_iter()
        .map(|item| match item {
            Obj::Value(v) => Ok(v),
            other => Err(Failure::type_error(format!(
                "sum() of a Rust engine adds Values (Sum<Value>), not '{}'",
                other.type_name()
            ))),
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Obj::Value(guard("Sum<Value>", || values.into_iter().sum::<ugrad::engine::Value>())?))
}

/// a is b.
fn same(a: &Obj, b: &Obj) -> Result<bool, Failure> {
    Ok(match (a, b) {
        (Obj::Value(x), Obj::Value(y)) => values::id(x)? == values::id(y)?,
        (Obj::Null, Obj::Null) => true,
        (Obj::Bool(x), Obj::Bool(y)) => x == y,
        _ => a.key().is_some() && a.key() == b.key(),
    })
}

/// hasattr(target, name), from the API the contract gives each kind of object.
fn has(target: &Obj, name: &str) -> bool {
    match target {
        Obj::Value(_) => values::has(name),
        #[cfg(feature = "nn")]
        Obj::Net(n) => n.has(name),
        Obj::Module(m) => m.has(name),
        Obj::Item(item) => item.has(name),
        Obj::Bound(..) => name == "__call__",
        Obj::List(_) => matches!(name, "__iter__" | "__len__" | "__getitem__"),
        _ => false,
    }
}
