//! The phase file: what the engine is doing, for the judge to read after the process died.
//!
//! Rust aborts on a stack overflow and prints no stack on a signal, so before each call into the
//! learner's crate (and before dropping values the judge freed) the driver overwrites the start of
//! this file with a short line, `call Value::backward` or `drop 3 values`, NUL-padded to a fixed
//! length. The judge reads it when the engine died or ran out of time. Loops that call the learner
//! thousands of times (a fold, a read of many values) write one line for the whole loop.

use std::cell::{Cell, RefCell};
use std::fs::File;
use std::os::unix::fs::FileExt;

pub const PHASE_BYTES: usize = 256;

thread_local! {
    static FILE: RefCell<Option<File>> = const { RefCell::new(None) };
    static LAST: RefCell<String> = const { RefCell::new(String::new()) };
    static QUIET: Cell<u32> = const { Cell::new(0) };
}

/// Where this thread's phases go (the engine thread's, once at its start).
pub fn init(file: Option<File>) {
    FILE.with(|f| *f.borrow_mut() = file);
}

/// Say `text`, unless it is what the file says already.
pub fn set(text: &str) {
    if LAST.with(|last| *last.borrow() == text) {
        return;
    }
    write(text);
}

/// `call <api>`, unless a loop said what it is doing for all its calls.
pub fn call(api: &str) {
    if QUIET.with(Cell::get) > 0 {
        return;
    }
    let same = LAST.with(|last| {
        let last = last.borrow();
        last.len() == 5 + api.len() && last.starts_with("call ") && last.ends_with(api)
    });
    if !same {
        write(&format!("call {}", api));
    }
}

/// f() without phase lines of its own: the line already written covers it.
pub fn quietly<T>(f: impl FnOnce() -> T) -> T {
    QUIET.with(|q| q.set(q.get() + 1));
    struct Loud;
    impl Drop for Loud {
        fn drop(&mut self) {
            QUIET.with(|q| q.set(q.get() - 1));
        }
    }
    let _loud = Loud;
    f()
}

fn write(text: &str) {
    let mut end = text.len().min(PHASE_BYTES - 1);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut buffer = [0u8; PHASE_BYTES];
    buffer[..end].copy_from_slice(&text.as_bytes()[..end]);
    FILE.with(|f| {
        if let Some(file) = f.borrow().as_ref() {
            let _ = file.write_at(&buffer, 0);
        }
    });
    LAST.with(|last| {
        let mut last = last.borrow_mut();
        last.clear();
        last.push_str(&text[..end]);
    });
}
