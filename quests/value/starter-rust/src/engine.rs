//! A scalar autograd engine: your Value.
//!
//! Each Value holds a number (`data`), the gradient of the final output with respect to it
//! (`grad`), and enough about how it was made to send gradients back to its inputs when you call
//! `backward()`.
//!
//! Fill in the functions one task at a time; `quest check` tells you which task passes, and
//! `quest hint` helps when you are stuck. Every `todo!()` below is a stub until you write it.
//!
//! The representation is given, so you can start with the behaviour: a `Value` is a handle (an
//! `Rc`) to a `Node` behind a `RefCell`. Clones share one node, and a backward step can add to the
//! grad of a node that other handles point to. Change any of it if you like: the checks use only
//! the functions that carry a `Task:` line, with the names and signatures they have here.

// The todo!() stubs do not use their arguments yet; delete this line once they are written, and
// the compiler will tell you about a variable you forgot.
#![allow(unused_variables)]

use std::cell::RefCell;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::rc::Rc;

/// A node's backward step. It is given the node itself (its data, grad and inputs) and adds the
/// node's grad, times the local derivative, into the grad of each input in `prev`.
///
/// It must not capture a handle to its own node: the node owns the step, so the node would keep
/// itself alive and never be freed. Everything it needs about the node comes in as the argument.
pub type BackwardFn = Box<dyn Fn(&Node)>;

/// What a Value is a handle to.
pub struct Node {
    /// The number.
    pub data: f64,
    /// d(output)/d(this number), filled in by backward(); starts at 0.
    pub grad: f64,
    /// The Values this one was made from: none for `Value::new`, two for `a + b`, one for
    /// `a.relu()`.
    pub prev: Vec<Value>,
    /// How to push this node's grad back into the grads of `prev`; `None` for a Value made from
    /// a plain number (it has no inputs).
    pub backward: Option<BackwardFn>,
}

/// A scalar that remembers how it was computed. A clone is another handle to the SAME node.
///
/// `self.0.borrow()` reads the node, `self.0.borrow_mut()` changes it. A `RefCell` allows many
/// readers or one writer at a time, and panics otherwise ("already borrowed"): end each borrow
/// before you start another one on a node that may be the same (in `a * a` both inputs are one
/// node).
#[derive(Clone)]
pub struct Value(Rc<RefCell<Node>>);

impl Value {
    /// A new node holding `data`, made from the inputs `prev`, with the backward step that pushes
    /// its grad into theirs; its grad starts at 0. (Given: the operations you write call it.)
    pub fn from_op(data: f64, prev: Vec<Value>, backward: Option<BackwardFn>) -> Value {
        Value(Rc::new(RefCell::new(Node {
            data,
            grad: 0.0,
            prev,
            backward,
        })))
    }

    /// A Value made from a plain number: grad 0, no inputs, no backward step.
    ///
    /// Task: add-mul
    pub fn new(data: f64) -> Value {
        todo!("Value::new is not written yet")
    }

    /// The number this Value holds.
    ///
    /// Task: add-mul
    pub fn data(&self) -> f64 {
        todo!("Value::data is not written yet")
    }

    /// The gradient backward() left in this Value (0 until then).
    ///
    /// Task: add-mul
    pub fn grad(&self) -> f64 {
        todo!("Value::grad is not written yet")
    }

    /// Changes the number this Value holds (the checks set weights this way).
    ///
    /// Task: add-mul
    pub fn set_data(&self, data: f64) {
        todo!("Value::set_data is not written yet")
    }

    /// Changes this Value's gradient (zero_grad() in quest mlp sets it back to 0).
    ///
    /// Task: add-mul
    pub fn set_grad(&self, grad: f64) {
        todo!("Value::set_grad is not written yet")
    }

    /// A number that is the same for every clone of one node and different for different nodes:
    /// the checks use it to tell nodes apart. The address of the node does it:
    /// `Rc::as_ptr(&self.0) as usize`.
    ///
    /// Task: add-mul (and every check after it)
    pub fn id(&self) -> usize {
        todo!("Value::id is not written yet")
    }

    /// self ** k for a plain exponent k (negative and fractional too), a NEW Value.
    /// Backward: self's grad increases by k * self.data ** (k - 1) * out.grad.
    /// (`f64::powf` raises to a float power.)
    ///
    /// Task: more-ops
    pub fn pow(&self, k: f64) -> Value {
        todo!("Value::pow is not written yet")
    }

    /// max(0, self). Backward: the gradient flows through only where the output is positive.
    ///
    /// Task: relu
    pub fn relu(&self) -> Value {
        todo!("Value::relu is not written yet")
    }

    /// tanh(self). Backward: d tanh(x)/dx = 1 - tanh(x) ** 2.
    ///
    /// Task: tanh-exp
    pub fn tanh(&self) -> Value {
        todo!("Value::tanh is not written yet")
    }

    /// e ** self. Backward: d exp(x)/dx = exp(x).
    ///
    /// Task: tanh-exp
    pub fn exp(&self) -> Value {
        todo!("Value::exp is not written yet")
    }

    /// Fills in the grad of every Value this one depends on, by the chain rule.
    ///
    /// Task add-mul already calls it, on expressions where only the inputs are used more than
    /// once (c = a * b + a), so write a first version now: set self's grad to 1, then run the
    /// backward step of every node from self back to the inputs. A `Vec<Value>` used as a stack
    /// will do: pop a node, run its backward step, push the Values it was made from. Hold the
    /// node's `borrow()` while its step runs (the step gets `&Node`); the step borrows the
    /// inputs, which are other nodes.
    ///
    /// Task backprop makes it right for every graph. A node may feed several others
    /// (d = c * c), and its grad is complete only once all of them have passed theirs on: order
    /// the graph topologically (every node after its inputs), set self's grad to 1, then run each
    /// node's backward step exactly once, in reverse order. Gradients accumulate (+=).
    ///
    /// Tasks: add-mul (the first version), backprop, deep-graphs (a chain of 10,000 nodes on a
    /// small stack: no recursion)
    pub fn backward(&self) {
        todo!(
            "Value::backward is not written yet; task add-mul already calls it: its doc comment says what a \
             first version needs"
        )
    }
}

/// a + b, a NEW Value. Backward: d(a + b)/da = 1 and d(a + b)/db = 1, so each input's grad
/// increases by out.grad. Every `+` comes here (see `binary_op!` below): `a + b`, `&a + 2.0`,
/// `2.0 + &a` (a plain number arrives as `Value::new(2.0)`).
///
/// Task: add-mul
fn add(a: &Value, b: &Value) -> Value {
    todo!("Value's + (fn add) is not written yet")
}

/// a * b, a NEW Value. Backward: a's grad increases by b.data * out.grad, and b's by
/// a.data * out.grad.
///
/// Task: add-mul
fn mul(a: &Value, b: &Value) -> Value {
    todo!("Value's * (fn mul) is not written yet")
}

/// -a. Hint: a * -1.0 reuses what you already have.
///
/// Task: more-ops
fn neg(a: &Value) -> Value {
    todo!("Value's unary - (fn neg) is not written yet")
}

/// a - b. Hint: a + (-b).
///
/// Task: more-ops
fn sub(a: &Value, b: &Value) -> Value {
    todo!("Value's - (fn sub) is not written yet")
}

/// a / b. Hint: a * b.pow(-1.0).
///
/// Task: more-ops
fn div(a: &Value, b: &Value) -> Value {
    todo!("Value's / (fn div) is not written yet")
}

/// Implements one operator for every pairing of `Value`, `&Value` and `f64` (so `a + b`,
/// `&a * 3.0`, `2.0 - &a` and `&a / &b` all work), each by calling the one function you write.
/// A plain number becomes `Value::new(number)` first. Given: nothing to change here.
macro_rules! binary_op {
    ($trait:ident, $method:ident, $func:ident) => {
        impl $trait<&Value> for &Value {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                $func(self, rhs)
            }
        }
        impl $trait<Value> for &Value {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                $func(self, &rhs)
            }
        }
        impl $trait<&Value> for Value {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                $func(&self, rhs)
            }
        }
        impl $trait<Value> for Value {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                $func(&self, &rhs)
            }
        }
        impl $trait<f64> for &Value {
            type Output = Value;
            fn $method(self, rhs: f64) -> Value {
                $func(self, &Value::new(rhs))
            }
        }
        impl $trait<f64> for Value {
            type Output = Value;
            fn $method(self, rhs: f64) -> Value {
                $func(&self, &Value::new(rhs))
            }
        }
        impl $trait<&Value> for f64 {
            type Output = Value;
            fn $method(self, rhs: &Value) -> Value {
                $func(&Value::new(self), rhs)
            }
        }
        impl $trait<Value> for f64 {
            type Output = Value;
            fn $method(self, rhs: Value) -> Value {
                $func(&Value::new(self), &rhs)
            }
        }
    };
}

binary_op!(Add, add, add);
binary_op!(Sub, sub, sub);
binary_op!(Mul, mul, mul);
binary_op!(Div, div, div);

impl Neg for &Value {
    type Output = Value;
    fn neg(self) -> Value {
        neg(self)
    }
}

impl Neg for Value {
    type Output = Value;
    fn neg(self) -> Value {
        neg(&self)
    }
}

impl Sum for Value {
    /// `values.into_iter().sum::<Value>()`: start from `Value::new(0.0)` and add each Value in
    /// turn (`Iterator::fold`), as Python's sum() starts from 0. quest mlp sums a neuron's
    /// products this way.
    ///
    /// Task: add-mul
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        todo!("Sum for Value is not written yet")
    }
}

impl fmt::Debug for Value {
    /// `Value(data=2.0, grad=0.0)`, as `{:?}` prints it (given).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.try_borrow() {
            Ok(node) => write!(f, "Value(data={:?}, grad={:?})", node.data, node.grad),
            Err(_) => write!(f, "Value(<being changed>)"),
        }
    }
}
