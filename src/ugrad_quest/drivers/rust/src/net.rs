//! The learner's nn module (feature `nn`): Neuron, Layer and MLP as objects the judge holds.
//!
//! A model the judge made lives in an `Rc` of the driver's; the objects inside it (`mlp.layers[0]`,
//! `layer.neurons[2]`) are handed out as paths into that model, so they are the live objects, not
//! copies: setting `model.layers[0].neurons[0].b.data` changes the model's own bias. Nothing moves
//! inside a model once built (the judge only holds shared references), so a path's address is the
//! object's identity, as `id()` is in Python.

use std::rc::Rc;

use ugrad::engine::Value;
use ugrad::nn::{Layer, Module, Neuron, MLP};

use crate::args::{bind, bool_arg, list_arg, usize_arg, values_arg};
use crate::failure::{guard, Failure};
use crate::objects::{Key, Obj};

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum NetKind {
    Neuron,
    Layer,
    Mlp,
}

impl NetKind {
    pub fn name(self) -> &'static str {
        match self {
            NetKind::Neuron => "Neuron",
            NetKind::Layer => "Layer",
            NetKind::Mlp => "MLP",
        }
    }

    fn fields(self) -> &'static [&'static str] {
        match self {
            NetKind::Neuron => &["w", "b", "nonlin"],
            NetKind::Layer => &["neurons"],
            NetKind::Mlp => &["layers"],
        }
    }
}

const METHODS: [&str; 4] = ["parameters", "zero_grad", "forward", "__call__"];

/// hasattr on the type: its methods (an instance also has its fields).
pub fn type_has(_kind: NetKind, name: &str) -> bool {
    METHODS.contains(&name)
}

enum Root {
    Neuron(Neuron),
    Layer(Layer),
    Mlp(MLP),
}

enum NetRef<'a> {
    Neuron(&'a Neuron),
    Layer(&'a Layer),
    Mlp(&'a MLP),
}

/// One of the learner's nn objects: a model the judge made, or an object inside it.
#[derive(Clone)]
pub struct Net {
    root: Rc<Root>,
    path: [usize; 2],
    depth: usize,
}

impl Net {
    fn new(root: Root) -> Net {
        Net { root: Rc::new(root), path: [0, 0], depth: 0 }
    }

    fn child(&self, index: usize) -> Net {
        let mut path = self.path;
        path[self.depth] = index;
        Net { root: self.root.clone(), path, depth: self.depth + 1 }
    }

    fn get(&self) -> NetRef<'_> {
        let [i, j] = self.path;
        match (&*self.root, self.depth) {
            (Root::Neuron(n), _) => NetRef::Neuron(n),
            (Root::Layer(l), 0) => NetRef::Layer(l),
            (Root::Layer(l), _) => NetRef::Neuron(&l.neurons[i]),
            (Root::Mlp(m), 0) => NetRef::Mlp(m),
            (Root::Mlp(m), 1) => NetRef::Layer(&m.layers[i]),
            (Root::Mlp(m), _) => NetRef::Neuron(&m.layers[i].neurons[j]),
        }
    }

    pub fn kind(&self) -> NetKind {
        match self.get() {
            NetRef::Neuron(_) => NetKind::Neuron,
            NetRef::Layer(_) => NetKind::Layer,
            NetRef::Mlp(_) => NetKind::Mlp,
        }
    }

    pub fn key(&self) -> Key {
        let address = match self.get() {
            NetRef::Neuron(n) => n as *const Neuron as usize,
            NetRef::Layer(l) => l as *const Layer as usize,
            NetRef::Mlp(m) => m as *const MLP as usize,
        };
        Key::Net(self.kind(), address)
    }

    /// The model for train_step, when this is one.
    #[cfg(feature = "train")]
    pub fn mlp(&self) -> Option<&MLP> {
        match self.get() {
            NetRef::Mlp(m) => Some(m),
            _ => None,
        }
    }

    pub fn repr(&self) -> String {
        match self.get() {
            NetRef::Neuron(n) => format!("Neuron(nin={}, nonlin={})", n.w.len(), n.nonlin),
            NetRef::Layer(l) => {
                format!("Layer(nin={}, nout={})", l.neurons.first().map_or(0, |n| n.w.len()), l.neurons.len())
            }
            NetRef::Mlp(m) => {
                let nin = m.layers.first().and_then(|l| l.neurons.first()).map_or(0, |n| n.w.len());
                let nouts: Vec<String> = m.layers.iter().map(|l| l.neurons.len().to_string()).collect();
                format!("MLP(nin={}, nouts=[{}])", nin, nouts.join(", "))
            }
        }
    }

    pub fn has(&self, name: &str) -> bool {
        METHODS.contains(&name) || self.kind().fields().contains(&name)
    }

    /// self(x): the forward pass (a Neuron gives a Value, a Layer and an MLP a list of them).
    pub fn call(&self, args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
        let kind = self.kind().name();
        let x = bind(kind, &["x"], 1, args, kwargs)?.pop().flatten().unwrap_or(Obj::Null);
        let x = values_arg(&format!("{}::forward", kind), &x)?;
        Ok(match self.get() {
            NetRef::Neuron(n) => Obj::Value(guard("Neuron::forward", || n.forward(&x))?),
            NetRef::Layer(l) => value_list(guard("Layer::forward", || l.forward(&x))?),
            NetRef::Mlp(m) => value_list(guard("MLP::forward", || m.forward(&x))?),
        })
    }

    pub fn method(&self, name: &str, args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
        let kind = self.kind().name();
        match name {
            "forward" | "__call__" => self.call(args, kwargs),
            "parameters" | "zero_grad" => {
                bind(&format!("{}.{}", kind, name), &[], 0, args, kwargs)?;
                let api = format!("{}::{}", kind, name);
                let module: &dyn Module = match self.get() {
                    NetRef::Neuron(n) => n,
                    NetRef::Layer(l) => l,
                    NetRef::Mlp(m) => m,
                };
                if name == "parameters" {
                    Ok(value_list(guard(&api, || module.parameters())?))
                } else {
                    guard(&api, || module.zero_grad()).map(|_| Obj::Null)
                }
            }
            _ => Err(Failure::attribute_error(kind, name)),
        }
    }

    /// self.name: a field (w, b and nonlin of a Neuron, a Layer's neurons, an MLP's layers, the
    /// objects inside as live references) or a method, called later.
    pub fn attr(&self, name: &str) -> Result<Obj, Failure> {
        if METHODS.contains(&name) {
            return Ok(Obj::Bound(Box::new(Obj::Net(self.clone())), name.to_string()));
        }
        match (self.get(), name) {
            (NetRef::Neuron(n), "w") => Ok(value_list(guard("Value::clone", || n.w.clone())?)),
            (NetRef::Neuron(n), "b") => Ok(Obj::Value(guard("Value::clone", || n.b.clone())?)),
            (NetRef::Neuron(n), "nonlin") => Ok(Obj::Bool(n.nonlin)),
            (NetRef::Layer(l), "neurons") => {
                Ok(Obj::List((0..l.neurons.len()).map(|i| Obj::Net(self.child(i))).collect()))
            }
            (NetRef::Mlp(m), "layers") => Ok(Obj::List((0..m.layers.len()).map(|i| Obj::Net(self.child(i))).collect())),
            _ => Err(Failure::attribute_error(self.kind().name(), name)),
        }
    }
}

fn value_list(values: Vec<Value>) -> Obj {
    Obj::List(values.into_iter().map(Obj::Value).collect())
}

/// Neuron(nin, nonlin=True), Layer(nin, nout, nonlin=True), MLP(nin, nouts).
pub fn construct(kind: NetKind, args: Vec<Obj>, kwargs: Vec<(String, Obj)>) -> Result<Obj, Failure> {
    let f = kind.name();
    let root = match kind {
        NetKind::Neuron => {
            let slots = bind(f, &["nin", "nonlin"], 1, args, kwargs)?;
            let nin = usize_arg(f, "nin", slots[0].as_ref().unwrap_or(&Obj::Null))?;
            let nonlin = slots[1].as_ref().map_or(Ok(true), |x| bool_arg(f, "nonlin", x))?;
            Root::Neuron(guard("Neuron::new", || Neuron::new(nin, nonlin))?)
        }
        NetKind::Layer => {
            let slots = bind(f, &["nin", "nout", "nonlin"], 2, args, kwargs)?;
            let nin = usize_arg(f, "nin", slots[0].as_ref().unwrap_or(&Obj::Null))?;
            let nout = usize_arg(f, "nout", slots[1].as_ref().unwrap_or(&Obj::Null))?;
            let nonlin = slots[2].as_ref().map_or(Ok(true), |x| bool_arg(f, "nonlin", x))?;
            Root::Layer(guard("Layer::new", || Layer::new(nin, nout, nonlin))?)
        }
        NetKind::Mlp => {
            let slots = bind(f, &["nin", "nouts"], 2, args, kwargs)?;
            let nin = usize_arg(f, "nin", slots[0].as_ref().unwrap_or(&Obj::Null))?;
            let nouts = list_arg(f, "nouts", slots[1].as_ref().unwrap_or(&Obj::Null))?
                .iter()
                .map(|n| usize_arg(f, "nouts", n))
                .collect::<Result<Vec<usize>, Failure>>()?;
            Root::Mlp(guard("MLP::new", || MLP::new(nin, &nouts))?)
        }
    };
    Ok(Obj::Net(Net::new(root)))
}
