//! Errors as the protocol reports them, and the learner's panics caught as errors.
//!
//! A panic of the learner's code must not end the engine: every call into the learner's crate goes
//! through `guard`, which catches the unwind and reports the panic's message, the learner's file and
//! line, what kind of panic it was and which API item the driver was calling. The panic hook only
//! records (the learner's stderr stays theirs); threads that never run learner code keep Rust's
//! default hook, so a bug of the driver itself still prints.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use crate::json::Json;
use crate::phase;

/// Threads whose panics are the learner's (the one running their code, the one dropping it).
pub const LEARNER_THREADS: [&str; 2] = ["engine", "dropper"];
const MESSAGE_LIMIT: usize = 2000;

/// Where a panic happened: the file as rustc named it, and the line.
type Location = (String, u32);

pub enum Failure {
    /// An exception the suites know from Python, by its builtin name (TypeError, AttributeError, ...).
    Python { ty: &'static str, msg: String },
    /// The request makes no sense: a judge bug or a corrupted line, never the learner's code.
    Protocol(String),
    /// The learner's code panicked while the driver called `api`.
    Panic { msg: String, location: Option<Location>, api: String },
    /// A module of the crate the driver was not built with (its feature was off).
    Missing { module: String },
}

impl Failure {
    pub fn type_error(msg: impl Into<String>) -> Failure {
        Failure::Python { ty: "TypeError", msg: msg.into() }
    }

    pub fn attribute_error(owner: &str, name: &str) -> Failure {
        Failure::Python { ty: "AttributeError", msg: format!("'{}' object has no attribute '{}'", owner, name) }
    }

    pub fn protocol(msg: impl Into<String>) -> Failure {
        Failure::Protocol(msg.into())
    }

    pub fn to_json(&self, index: usize) -> Json {
        let (ty, builtin, place) = match self {
            Failure::Python { ty, .. } => (*ty, true, Json::Null),
            Failure::Protocol(_) => ("ProtocolError", false, Json::Null),
            Failure::Panic { location, .. } => {
                let place = location.as_ref().and_then(|(file, line)| Some((learner_file(file)?, *line)));
                // Rust gives no function name with a panic's location: "api" says what was called.
                let place = place.map(|(file, line)| Json::Arr(vec![file.into(), Json::Int(line as i64), Json::Null]));
                ("Panic", false, place.unwrap_or(Json::Null))
            }
            Failure::Missing { .. } => ("ModuleNotFoundError", true, Json::Null),
        };
        let mut error = Json::obj(vec![
            ("i", Json::Int(index as i64)),
            ("type", ty.into()),
            ("builtin", builtin.into()),
            ("msg", self.message().into()),
            ("where", place),
        ]);
        match self {
            Failure::Panic { msg, api, .. } => {
                error.set("rust", Json::obj(vec![("kind", kind_of(msg).into()), ("api", api.as_str().into())]))
            }
            Failure::Missing { module } => {
                let name = format!("ugrad.{}", module);
                let info = vec![("module", name.as_str().into()), ("kind", "missing".into()), ("name", name.into())];
                error.set("import", Json::obj(info))
            }
            _ => {}
        }
        error
    }

    fn message(&self) -> String {
        match self {
            Failure::Python { msg, .. } | Failure::Protocol(msg) | Failure::Panic { msg, .. } => msg.clone(),
            Failure::Missing { module } => format!("No module named 'ugrad.{}'", module),
        }
    }
}

fn kind_of(msg: &str) -> &'static str {
    if msg.starts_with("not yet implemented") {
        "todo"
    } else if msg.starts_with("not implemented") {
        "unimplemented"
    } else if msg.contains("already borrowed") || msg.contains("already mutably borrowed") {
        "borrow"
    } else {
        "panic"
    }
}

/// `src/engine.rs` for a location in the learner's crate, None for std's or the driver's files.
///
/// cargo names a file of the crate relative to the build's workspace (`crate/src/engine.rs`), or
/// absolutely when it is built from elsewhere.
fn learner_file(file: &str) -> Option<String> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).parent()?.join("crate");
    let rest = file.strip_prefix("crate/").or_else(|| {
        let crate_dir = crate_dir.to_str()?;
        file.strip_prefix(crate_dir)?.strip_prefix('/')
    })?;
    let at = rest.find("src/")?;
    Some(rest[at..].to_string())
}

thread_local! {
    /// The message and location of the last panic on this thread, until `caught` takes them.
    static LAST_PANIC: RefCell<Option<(String, Option<Location>)>> = const { RefCell::new(None) };
}

pub fn install_panic_hook() {
    let default = panic::take_hook();
    panic::set_hook(Box::new(move |info| {
        let name = std::thread::current().name().map(str::to_string);
        if !name.as_deref().is_some_and(|n| LEARNER_THREADS.contains(&n)) {
            default(info);
            return;
        }
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "Box<dyn Any>".to_string());
        let location = info.location().map(|l| (l.file().to_string(), l.line()));
        LAST_PANIC.with(|last| *last.borrow_mut() = Some((msg, location)));
    }));
}

/// The panic just caught on this thread, as a failure of `api`.
pub fn caught(api: &str) -> Failure {
    let (mut msg, location) = LAST_PANIC.with(|last| last.borrow_mut().take()).unwrap_or_default();
    if msg.len() > MESSAGE_LIMIT {
        let mut end = MESSAGE_LIMIT;
        while !msg.is_char_boundary(end) {
            end -= 1;
        }
        msg.truncate(end);
    }
    Failure::Panic { msg, location, api: api.to_string() }
}

/// f(), a call into the learner's crate named `api` ("Value::relu"): its panic becomes a Failure.
pub fn guard<T>(api: &str, f: impl FnOnce() -> T) -> Result<T, Failure> {
    phase::call(api);
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| caught(api))
}

/// f() when it returns without panicking, else None: for numbers sent along unasked.
pub fn quiet<T>(f: impl FnOnce() -> T) -> Option<T> {
    let result = phase::quietly(|| panic::catch_unwind(AssertUnwindSafe(f)).ok());
    if result.is_none() {
        LAST_PANIC.with(|last| last.borrow_mut().take());
    }
    result
}
