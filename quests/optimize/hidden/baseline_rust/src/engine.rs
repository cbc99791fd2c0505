//! micrograd's Value, plainly ported.

use std::cell::RefCell;
use std::collections::HashSet;
use std::iter::Sum;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::rc::Rc;

pub struct Inner {
    pub data: f64,
    pub grad: f64,
    pub prev: Vec<Value>,
    /// Given the node's own Inner (a capture of `out` would make a cycle Rc never frees).
    pub backward: Box<dyn Fn(&Inner)>,
}

#[derive(Clone)]
pub struct Value(Rc<RefCell<Inner>>);

impl Value {
    pub fn new(data: f64) -> Value {
        Value::make(data, Vec::new(), Box::new(|_| {}))
    }

    fn make(data: f64, prev: Vec<Value>, backward: Box<dyn Fn(&Inner)>) -> Value {
        Value(Rc::new(RefCell::new(Inner {
            data,
            grad: 0.0,
            prev,
            backward,
        })))
    }

    pub fn data(&self) -> f64 {
        self.0.borrow().data
    }

    pub fn grad(&self) -> f64 {
        self.0.borrow().grad
    }

    pub fn set_data(&self, data: f64) {
        self.0.borrow_mut().data = data;
    }

    pub fn set_grad(&self, grad: f64) {
        self.0.borrow_mut().grad = grad;
    }

    pub fn id(&self) -> usize {
        Rc::as_ptr(&self.0) as usize
    }

    pub fn pow(&self, k: f64) -> Value {
        let a = self.clone();
        Value::make(
            self.data().powf(k),
            vec![self.clone()],
            Box::new(move |out| {
                let d = k * a.data().powf(k - 1.0) * out.grad;
                a.0.borrow_mut().grad += d;
            }),
        )
    }

    pub fn relu(&self) -> Value {
        let a = self.clone();
        let x = self.data();
        Value::make(
            if x < 0.0 { 0.0 } else { x },
            vec![self.clone()],
            Box::new(move |out| {
                a.0.borrow_mut().grad += if out.data > 0.0 { out.grad } else { 0.0 };
            }),
        )
    }

    pub fn tanh(&self) -> Value {
        let a = self.clone();
        Value::make(
            self.data().tanh(),
            vec![self.clone()],
            Box::new(move |out| {
                a.0.borrow_mut().grad += (1.0 - out.data * out.data) * out.grad;
            }),
        )
    }

    pub fn exp(&self) -> Value {
        let a = self.clone();
        Value::make(
            self.data().exp(),
            vec![self.clone()],
            Box::new(move |out| {
                a.0.borrow_mut().grad += out.data * out.grad;
            }),
        )
    }

    pub fn backward(&self) {
        let mut topo: Vec<Value> = Vec::new();
        let mut visited: HashSet<usize> = HashSet::new();
        let mut stack = vec![(self.clone(), false)];
        while let Some((node, expanded)) = stack.pop() {
            if expanded {
                topo.push(node);
            } else if visited.insert(node.id()) {
                stack.push((node.clone(), true));
                for child in node.0.borrow().prev.iter() {
                    stack.push((child.clone(), false));
                }
            }
        }
        self.set_grad(1.0);
        for v in topo.iter().rev() {
            let inner = v.0.borrow();
            (inner.backward)(&inner);
        }
    }
}

fn add(a: &Value, b: &Value) -> Value {
    let (a2, b2) = (a.clone(), b.clone());
    Value::make(
        a.data() + b.data(),
        vec![a.clone(), b.clone()],
        Box::new(move |out| {
            a2.0.borrow_mut().grad += out.grad;
            b2.0.borrow_mut().grad += out.grad;
        }),
    )
}

fn mul(a: &Value, b: &Value) -> Value {
    let (a2, b2) = (a.clone(), b.clone());
    Value::make(
        a.data() * b.data(),
        vec![a.clone(), b.clone()],
        Box::new(move |out| {
            let da = b2.data() * out.grad;
            let db = a2.data() * out.grad;
            a2.0.borrow_mut().grad += da;
            b2.0.borrow_mut().grad += db;
        }),
    )
}

fn sub(a: &Value, b: &Value) -> Value {
    a + &(-b)
}

fn div(a: &Value, b: &Value) -> Value {
    a * &b.pow(-1.0)
}

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
        self * -1.0
    }
}

impl Neg for Value {
    type Output = Value;
    fn neg(self) -> Value {
        -&self
    }
}

impl Sum for Value {
    fn sum<I: Iterator<Item = Value>>(iter: I) -> Value {
        iter.fold(Value::new(0.0), |acc, v| acc + v)
    }
}
