//! Misbehaves on request (the content of a request names what to do), so the containment tests
//! can show each misbehaviour ends as a crash of this agent only:
//!   count        inform with a counter kept in memory (1, 2, … per instance)
//!   echo:<text>  inform <text>
//!   spin         an infinite loop (out of fuel)
//!   bomb         allocates until the allocator fails (the memory cap)
//!   panic        a Rust panic (an `unreachable` trap with panic=abort)
//!   recurse      unbounded recursion (stack overflow)
//!   fib:<n>      some deterministic work, answered with the result
//!   fs | env | net   what Rust's standard library does when asked for a host file, an
//!                environment variable or a socket: the answer carries the error it got
//!   envs         lists the environment (the standard library traps: unsupported here)
//!   reject:<why> an application-level failure
use caxton_sdk::*;

/// Keeps the optimiser from removing work (std::hint::black_box is unstable in rustc 1.63).
fn black_box<T>(x: T) -> T {
    let r = unsafe { std::ptr::read_volatile(&x) };
    std::mem::forget(x);
    r
}

struct Probe {
    count: u64,
}

fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[inline(never)]
fn recurse(depth: u64, pad: [u64; 8]) -> u64 {
    let mut p = pad;
    p[(depth % 8) as usize] = depth;
    recurse(black_box(depth + 1), black_box(p)) + p[0]
}

fn outcome<T: std::fmt::Debug, E: std::fmt::Display>(r: Result<T, E>) -> String {
    match r {
        Ok(v) => format!("OPENED {:?}", v),
        Err(e) => format!("denied: {}", e),
    }
}

impl Agent for Probe {
    fn init(_ctx: &InitContext) -> Result<Self, String> {
        Ok(Probe { count: 0 })
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        let content = msg.content_str();
        let (cmd, arg) = content.split_once(':').unwrap_or((content, ""));
        let answer = match cmd {
            "count" => {
                self.count += 1;
                self.count.to_string()
            }
            "echo" => arg.to_string(),
            "spin" => {
                let mut i: u64 = 0;
                loop {
                    i = black_box(i.wrapping_add(1));
                }
            }
            "bomb" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    black_box(&hoard);
                }
            }
            "panic" => panic!("the probe panics on request"),
            "recurse" => recurse(0, [0; 8]).to_string(),
            "fib" => fib(arg.parse().unwrap_or(10)).to_string(),
            "fs" => outcome(std::fs::read_to_string("/etc/passwd").map(|s| s.len())),
            "env" => outcome(std::env::var("HOME")),
            "envs" => format!("{} vars", std::env::vars().count()),
            "net" => outcome(std::net::TcpStream::connect("127.0.0.1:22").map(|_| ())),
            "reject" => return Err(arg.to_string()),
            _ => return not_understood(msg, "unknown probe command"),
        };
        inform_result(msg, &answer)
    }
}

export_agent!(Probe);
