//! State and HTTP probe (see ../README.md).
use caxton_sdk::http::{self, Request};
use caxton_sdk::*;

struct Probe;

fn run(cmd: &str) -> String {
    let words: Vec<&str> = cmd.splitn(4, ' ').collect();
    let result = |r: Result<(), StateError>| match r {
        Ok(()) => "ok".to_string(),
        Err(e) => format!("err:{}:{}", e.kind.name(), e.message),
    };
    let fetched = |r: Result<String, HttpError>| match r {
        Ok(id) => format!("id:{}", id),
        Err(e) => format!("err:{}:{}", e.kind.name(), e.message),
    };
    match words.as_slice() {
        ["get", k] => state::get(k).map(|v| format!("some:{}", v)).unwrap_or_else(|| "none".into()),
        ["set", k, v] => result(state::set(k, v)),
        ["del", k] => result(state::delete(k)),
        ["keys", p, a, l] => state::keys(p, if *a == "-" { None } else { Some(a) }, l.parse().unwrap_or(0)).join(","),
        ["fetch"] => fetched(http::fetch(
            &Request::post("https://api.example.com/x?y=1", "{\"q\":\"é\"}")
                .header("a", "1")
                .header("b", "2")
                .timeout_ms(2500)
                .context("ctx ✓"),
        )),
        ["fetch-min"] => fetched(http::fetch(&Request::get("http://h.example/"))),
        _ => format!("unknown command {}", cmd),
    }
}

impl Agent for Probe {
    fn init(_: &InitContext) -> Result<Self, String> {
        Ok(Probe)
    }
    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        reply(msg, Performative::Inform, Some(run(msg.content_str())))
    }
}

export_agent!(Probe);
