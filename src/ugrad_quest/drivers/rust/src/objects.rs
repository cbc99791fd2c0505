//! What a handle can name: the learner's values and nn objects, the crate's items, plain data.
//!
//! The protocol was made for Python, where anything is an object with a type name, attributes and
//! maybe a call; `Obj` gives the Rust engine the same shape, with Python's names where the suites
//! read them ('Value', 'int', 'float', 'list', ...), so messages and hints keep working.

use ugrad::engine::Value;

use crate::failure::Failure;
#[cfg(feature = "nn")]
use crate::net::{self, Net, NetKind};
use crate::values;

#[derive(Clone)]
pub enum Obj {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    List(Vec<Obj>),
    Value(Value),
    Module(Module),
    Item(Item),
    #[cfg(feature = "nn")]
    Net(Net),
    /// `target.name`, a method not called yet (Python's bound method): calling it calls the method.
    Bound(Box<Obj>, String),
}

/// The crate's modules the driver was built with (a module's feature off: it is not there).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Module {
    Engine,
    #[cfg(feature = "nn")]
    Nn,
    #[cfg(feature = "train")]
    Train,
}

/// The crate's items the judge can hold: the types it constructs and the function it calls.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Item {
    ValueType,
    #[cfg(feature = "nn")]
    NetType(NetKind),
    #[cfg(feature = "train")]
    TrainStep,
}

/// What makes two descriptions the same object (Python's `is`): a value's `id()`, an nn object's
/// address, an item's name. Plain data and bound methods have none: each is a new object.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Key {
    Value(usize),
    #[cfg(feature = "nn")]
    Net(NetKind, usize),
    Module(Module),
    Item(Item),
}

pub const MODULE_NAMES: [&str; 3] = ["engine", "nn", "train"];

impl Module {
    /// The module called `name`, a Missing failure for one of the crate's modules this build left
    /// out, a protocol error for any other name.
    pub fn named(name: &str) -> Result<Module, Failure> {
        match name {
            "engine" => Ok(Module::Engine),
            #[cfg(feature = "nn")]
            "nn" => Ok(Module::Nn),
            #[cfg(feature = "train")]
            "train" => Ok(Module::Train),
            _ if MODULE_NAMES.contains(&name) => Err(Failure::Missing { module: name.to_string() }),
            _ => Err(Failure::protocol(format!("no module '{}'", name))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Module::Engine => "engine",
            #[cfg(feature = "nn")]
            Module::Nn => "nn",
            #[cfg(feature = "train")]
            Module::Train => "train",
        }
    }

    pub fn compiled() -> Vec<&'static str> {
        let mut names = vec!["engine"];
        if cfg!(feature = "nn") {
            names.push("nn");
        }
        if cfg!(feature = "train") {
            names.push("train");
        }
        names
    }

    fn items(self) -> &'static [(&'static str, Item)] {
        match self {
            Module::Engine => &[("Value", Item::ValueType)],
            #[cfg(feature = "nn")]
            Module::Nn => &[
                ("Neuron", Item::NetType(NetKind::Neuron)),
                ("Layer", Item::NetType(NetKind::Layer)),
                ("MLP", Item::NetType(NetKind::Mlp)),
            ],
            #[cfg(feature = "train")]
            Module::Train => &[("train_step", Item::TrainStep)],
        }
    }

    pub fn attr(self, name: &str) -> Result<Obj, Failure> {
        match self.items().iter().find(|(n, _)| *n == name) {
            Some((_, item)) => Ok(Obj::Item(*item)),
            None => Err(Failure::Python {
                ty: "AttributeError",
                msg: format!("module 'ugrad.{}' has no attribute '{}'", self.name(), name),
            }),
        }
    }

    pub fn has(self, name: &str) -> bool {
        self.items().iter().any(|(n, _)| *n == name)
    }
}

impl Item {
    pub fn name(self) -> &'static str {
        match self {
            Item::ValueType => "Value",
            #[cfg(feature = "nn")]
            Item::NetType(kind) => kind.name(),
            #[cfg(feature = "train")]
            Item::TrainStep => "train_step",
        }
    }

    fn path(self) -> String {
        match self {
            Item::ValueType => "ugrad::engine::Value".to_string(),
            #[cfg(feature = "nn")]
            Item::NetType(kind) => format!("ugrad::nn::{}", kind.name()),
            #[cfg(feature = "train")]
            Item::TrainStep => "ugrad::train::train_step".to_string(),
        }
    }

    /// hasattr on the item: a type has its methods (and operators), a function only its call.
    pub fn has(self, name: &str) -> bool {
        match self {
            Item::ValueType => values::has(name),
            #[cfg(feature = "nn")]
            Item::NetType(kind) => net::type_has(kind, name),
            #[cfg(feature = "train")]
            Item::TrainStep => name == "__call__",
        }
    }
}

impl Obj {
    /// Python's type(x).__name__, for messages the suites parse ("unsupported operand type(s) ...").
    pub fn type_name(&self) -> &'static str {
        match self {
            Obj::Null => "NoneType",
            Obj::Bool(_) => "bool",
            Obj::Int(_) => "int",
            Obj::Float(_) => "float",
            Obj::Str(_) => "str",
            Obj::List(_) => "list",
            Obj::Value(_) => "Value",
            Obj::Module(_) => "module",
            Obj::Item(Item::ValueType) => "type",
            #[cfg(feature = "nn")]
            Obj::Item(Item::NetType(_)) => "type",
            #[cfg(feature = "train")]
            Obj::Item(Item::TrainStep) => "function",
            #[cfg(feature = "nn")]
            Obj::Net(net) => net.kind().name(),
            Obj::Bound(..) => "method",
        }
    }

    /// The number a plain int, float or bool stands for (Python's bool is an int).
    pub fn number(&self) -> Option<f64> {
        match self {
            Obj::Int(n) => Some(*n as f64),
            Obj::Float(x) => Some(*x),
            Obj::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    pub fn is_plain(&self) -> bool {
        matches!(self, Obj::Null | Obj::Bool(_) | Obj::Int(_) | Obj::Float(_) | Obj::Str(_) | Obj::List(_))
    }

    /// The identity of an object that is not a value (a value's is its `id()`, a call into the crate).
    pub fn key(&self) -> Option<Key> {
        match self {
            Obj::Module(m) => Some(Key::Module(*m)),
            Obj::Item(item) => Some(Key::Item(*item)),
            #[cfg(feature = "nn")]
            Obj::Net(net) => Some(net.key()),
            _ => None,
        }
    }

    pub fn callable(&self) -> bool {
        match self {
            Obj::Item(_) | Obj::Bound(..) => true,
            #[cfg(feature = "nn")]
            Obj::Net(_) => true,
            _ => false,
        }
    }

    /// (class, repr, name) of an object described by handle: Python's type name, a short text for
    /// the judge's messages, and __name__ where Python has one (types, functions, methods).
    pub fn object_parts(&self) -> (&'static str, String, Option<String>) {
        match self {
            Obj::Module(m) => {
                ("module", format!("<module 'ugrad::{}'>", m.name()), Some(format!("ugrad.{}", m.name())))
            }
            Obj::Item(item) => (self.type_name(), item.path(), Some(item.name().to_string())),
            #[cfg(feature = "nn")]
            Obj::Net(net) => (net.kind().name(), net.repr(), None),
            Obj::Bound(target, name) => {
                ("method", format!("<bound method {}.{}>", target.type_name(), name), Some(name.clone()))
            }
            _ => (self.type_name(), String::new(), None),
        }
    }
}
