//! Handles and descriptors: the objects the judge holds by number, and what it is told about them.
//!
//! As in the Python worker: the judge picks positive handles for what its commands make, the
//! driver negative ones for what it hands out, one per object as long as the judge holds it (a
//! value's identity is its `id()`), so `parameters()` asked twice gives the same handles and a
//! copy gets a new one. A description of an object already held under another handle says so
//! (`"same": h`).
//!
//! Values the judge lets go are dropped on a thread of their own with a large stack: the last
//! handle of a 10,000-node chain drops the chain through Rc's recursive Drop, one frame per node,
//! which the engine thread's small stack (sized like Python's recursion limit) could not hold.

use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::thread;

use crate::failure::{quiet, Failure};
use crate::json::Json;
use crate::objects::{Key, Obj};
use crate::{phase, values};

pub const DROP_STACK_BYTES: usize = 64 << 20;

#[derive(Default)]
pub struct Table {
    objs: HashMap<i64, (Obj, Option<Key>)>,
    /// Every handle of one object, the first one canonical (what "same" names).
    handles_of: HashMap<Key, Vec<i64>>,
    next: i64,
}

impl Table {
    pub fn get(&self, handle: i64) -> Option<&Obj> {
        self.objs.get(&handle).map(|(obj, _)| obj)
    }

    /// (handle, an earlier handle of the same object), keeping obj under `out` or a handle of ours.
    fn adopt(&mut self, obj: Obj, key: Option<Key>, out: Option<i64>) -> (i64, Option<i64>) {
        let handle = match out {
            Some(h) => h,
            None => {
                let mine = key.and_then(|k| self.handles_of.get(&k)).and_then(|hs| hs.iter().find(|h| **h < 0));
                if let Some(&mine) = mine {
                    return (mine, None);
                }
                self.next -= 1;
                self.next
            }
        };
        if let Some((_, old_key)) = self.objs.insert(handle, (obj, key)) {
            self.unlink(handle, old_key); // a handle named twice: the judge's mistake, the new object wins
        }
        match key {
            Some(k) => {
                let handles = self.handles_of.entry(k).or_default();
                let first = handles.first().copied();
                handles.push(handle);
                (handle, first)
            }
            None => (handle, None),
        }
    }

    fn unlink(&mut self, handle: i64, key: Option<Key>) {
        if let Some(k) = key {
            if let Some(handles) = self.handles_of.get_mut(&k) {
                handles.retain(|h| *h != handle);
                if handles.is_empty() {
                    self.handles_of.remove(&k);
                }
            }
        }
    }

    /// Forget a handle; the object, for the caller to drop where the stack allows.
    pub fn free(&mut self, handle: i64) -> Option<Obj> {
        let (obj, key) = self.objs.remove(&handle)?;
        self.unlink(handle, key);
        Some(obj)
    }

    /// Forget every handle.
    pub fn clear(&mut self) -> Vec<Obj> {
        self.handles_of.clear();
        self.objs.drain().map(|(_, (obj, _))| obj).collect()
    }

    /// What obj is, for the judge. With `out`, obj is also kept under that handle (the judge named it
    /// in advance), whatever it is.
    pub fn describe(&mut self, obj: Obj, out: Option<i64>) -> Result<Json, Failure> {
        let (mut desc, key, value) = match &obj {
            Obj::Value(v) => {
                let key = Key::Value(phase::quietly(|| values::id(v))?);
                (Json::obj(vec![("t", "V".into())]), Some(key), out.is_none().then(|| v.clone()))
            }
            _ if obj.is_plain() => {
                let desc = self.plain(&obj)?;
                if out.is_none() {
                    return Ok(desc); // a number, a string, a list: by value, no handle
                }
                (desc, None, None)
            }
            _ => {
                let (class, repr, name) = obj.object_parts();
                let mut desc = Json::obj(vec![
                    ("t", "o".into()),
                    ("c", class.into()),
                    ("r", repr.into()),
                    ("call", obj.callable().into()),
                ]);
                if let Some(name) = name {
                    desc.set("n", name.into());
                }
                (desc, obj.key(), None)
            }
        };
        let (handle, same) = self.adopt(obj, key, out);
        desc.set("h", Json::Int(handle));
        if let Some(same) = same {
            desc.set("same", Json::Int(same));
        }
        // A value handed out carries its numbers: the judge reads them next, and need not ask.
        if let Some(v) = value {
            if let Some(d) = quiet(|| v.data()) {
                desc.set("d", Json::Float(d));
            }
            if let Some(g) = quiet(|| v.grad()) {
                desc.set("g", Json::Float(g));
            }
        }
        Ok(desc)
    }

    fn plain(&mut self, obj: &Obj) -> Result<Json, Failure> {
        let (t, v) = match obj {
            Obj::Null => return Ok(Json::obj(vec![("t", "n".into())])),
            Obj::Bool(b) => ("b", Json::Bool(*b)),
            Obj::Int(n) => ("i", Json::Int(*n)),
            Obj::Float(x) => ("f", Json::Float(*x)),
            Obj::Str(s) => ("s", Json::Str(s.clone())),
            Obj::List(items) => {
                let items = items.iter().map(|x| self.describe(x.clone(), None)).collect::<Result<Vec<_>, _>>()?;
                ("l", Json::Arr(items))
            }
            _ => unreachable!("plain() of an object"),
        };
        Ok(Json::obj(vec![("t", t.into()), ("v", v)]))
    }
}

/// Objects handed to the dropper thread while the engine thread waits for it: only one thread
/// touches the learner's Rc counts at any time, and the channel orders their accesses.
struct Doomed(Vec<Obj>);

// SAFETY: the engine thread sends these and blocks until the dropper has dropped them; the values
// they share with objects the engine thread keeps are never touched by both threads at once.
unsafe impl Send for Doomed {}

pub struct Dropper {
    doomed: Sender<Doomed>,
    done: Receiver<()>,
}

impl Dropper {
    pub fn start() -> Dropper {
        let (doomed, inbox) = channel::<Doomed>();
        let (finished, done) = channel::<()>();
        thread::Builder::new()
            .name("dropper".into())
            .stack_size(DROP_STACK_BYTES)
            .spawn(move || {
                for objs in inbox {
                    // A learner's Drop that panics loses nothing the judge asked for: ignored, as
                    // Python ignores an exception in __del__.
                    let _ = panic::catch_unwind(AssertUnwindSafe(move || drop(objs.0)));
                    if finished.send(()).is_err() {
                        break;
                    }
                }
            })
            .expect("cannot start the dropper thread");
        Dropper { doomed, done }
    }

    /// Drop objs on the dropper's large stack, and wait until it has.
    pub fn drop_all(&self, objs: Vec<Obj>) {
        if objs.is_empty() {
            return;
        }
        phase::set(&format!("drop {} values", objs.len()));
        if self.doomed.send(Doomed(objs)).is_ok() {
            let _ = self.done.recv();
        }
    }
}
