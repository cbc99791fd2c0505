//! ugrad-driver: the engine worker for a Rust learner (std only, built offline against their crate).
//!
//! `ugrad-driver CONFIG_JSON`. It speaks protocol version 1 exactly as the Python worker does
//! (worker/main.py; README "The engine protocol"), so the same hidden suites drive a Rust engine:
//! requests on stdin, one JSON array of commands per line; one answer line per request on the pipe
//! `reply_fd` (stdout and stderr are the learner's println!/eprintln!). The judge started it already
//! confined (`python -m ugrad_quest.worker.confine POLICY -- ugrad-driver CONFIG`), with the
//! confinement report in UGRAD_CONFINEMENT.
//!
//! The learner's values are Rc's, not Send: they all live on one engine thread, spawned with
//! `stack_bytes` of stack, which reads, runs and answers every request (the main thread only waits
//! for it: its stack size is the OS's, not ours to choose). A stack overflow aborts the process
//! (Rust cannot recover from one): the phase file tells the judge where it happened.

mod args;
mod commands;
mod failure;
mod handles;
mod json;
#[cfg(feature = "nn")]
mod net;
mod objects;
mod phase;
#[cfg(feature = "train")]
mod training;
mod values;

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::fd::FromRawFd;
use std::os::raw::c_int;
use std::process;
use std::thread;

use json::Json;

/// A stack for the engine thread when the judge names none (the default of a Rust main thread).
const DEFAULT_STACK_BYTES: usize = 8 << 20;
const PROTOCOL_VERSION: i64 = 1;

extern "C" {
    fn dup(fd: c_int) -> c_int;
    fn dup2(old: c_int, new: c_int) -> c_int;
}

/// What the judge tells the driver at start (JSON, the last argument).
struct Config {
    /// Where answers go, one line each.
    reply_fd: c_int,
    /// The stack of the thread that runs the learner's code.
    stack_bytes: usize,
    /// The worker's own folder, the only writable place: the driver works there.
    tmp: Option<String>,
    /// Where the driver says what it is doing (see phase.rs).
    phase_file: Option<String>,
    // dump_fd (the Python worker's stack dumps) and judge_pid (confine already made us die with the
    // judge) are not used here.
}

fn die(message: &str) -> ! {
    eprintln!("ugrad-driver: {}", message);
    process::exit(2)
}

fn read_config() -> Config {
    let text = std::env::args().next_back().unwrap_or_default();
    let config = json::parse(text.as_bytes()).unwrap_or_else(|e| die(&format!("the config is not JSON ({})", e)));
    let int = |name: &str| config.get(name).and_then(Json::as_i64);
    let string = |name: &str| config.get(name).and_then(Json::as_str).map(str::to_string);
    Config {
        reply_fd: int("reply_fd").unwrap_or_else(|| die("the config has no reply_fd")) as c_int,
        stack_bytes: int("stack_bytes").map_or(DEFAULT_STACK_BYTES, |n| n.max(0) as usize),
        tmp: string("tmp"),
        phase_file: string("phase_file"),
    }
}

/// The requests' stdin, moved to a descriptor of its own: the learner's code reads an empty stdin.
fn take_stdin() -> File {
    // SAFETY: plain descriptor calls on descriptors this process owns; the new one is owned by the File.
    unsafe {
        let requests = dup(0);
        if requests < 0 {
            die("cannot duplicate stdin");
        }
        if let Ok(null) = File::open("/dev/null") {
            dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0);
        }
        File::from_raw_fd(requests)
    }
}

fn hello(config: &Config) -> Json {
    let confinement = std::env::var("UGRAD_CONFINEMENT").ok().and_then(|text| json::parse(text.as_bytes()).ok());
    Json::obj(vec![
        ("hello", Json::Int(PROTOCOL_VERSION)),
        ("lang", "rust".into()),
        ("confinement", confinement.unwrap_or(Json::Null)),
        ("recursion_limit", Json::Null),
        ("stack_bytes", Json::Int(config.stack_bytes as i64)),
        ("modules", Json::Arr(objects::Module::compiled().into_iter().map(Json::from).collect())),
    ])
}

fn send(out: &mut File, message: &Json) {
    let mut line = message.encode();
    line.push('\n');
    if out.write_all(line.as_bytes()).is_err() {
        process::exit(0); // the judge is gone
    }
}

fn main() {
    let config = read_config();
    let requests = take_stdin();
    if let Some(tmp) = &config.tmp {
        let _ = std::env::set_current_dir(tmp);
    }
    // SAFETY: the judge opened reply_fd for us and nothing else in this process uses it.
    let mut replies = unsafe { File::from_raw_fd(config.reply_fd) };
    let phase_file = config.phase_file.as_ref().map(|path| {
        OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .unwrap_or_else(|e| die(&format!("cannot open the phase file {} ({})", path, e)))
    });
    failure::install_panic_hook();
    send(&mut replies, &hello(&config));

    let engine = thread::Builder::new()
        .name(failure::LEARNER_THREADS[0].into())
        .stack_size(config.stack_bytes)
        .spawn(move || serve(requests, replies, phase_file));
    match engine.map(|thread| thread.join()) {
        Ok(_) => die("the engine thread failed"),
        Err(e) => die(&format!("cannot start the engine thread with {} bytes of stack ({})", config.stack_bytes, e)),
    }
}

/// The engine thread: answer each request line until the judge closes stdin.
///
/// Reading and parsing happen here too, not on another thread: their frames are gone before any
/// command runs, so the learner's code gets the same stack, and a round trip saves two thread
/// switches (about 10 us, half the driver's CPU time per request).
fn serve(requests: File, mut replies: File, phase_file: Option<File>) -> ! {
    phase::init(phase_file);
    let mut worker = commands::Worker::new();
    let mut reader = BufReader::with_capacity(1 << 16, requests);
    let mut line = Vec::new();
    loop {
        line.clear();
        match reader.read_until(b'\n', &mut line) {
            // The judge closed our stdin: done, without dropping the learner's values on this stack.
            Ok(0) | Err(_) => process::exit(0),
            Ok(_) => {}
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let reply = match json::parse(&line) {
            Ok(commands) => worker.run(&commands),
            Err(why) => {
                let e = failure::Failure::protocol(format!("the request is not JSON ({})", why)).to_json(0);
                Json::obj(vec![("r", Json::Arr(vec![])), ("e", e)])
            }
        };
        send(&mut replies, &reply);
    }
}
