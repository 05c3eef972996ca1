//! TEST AGENT: the Rust twin of conformance/receivers-probe (decision 2001); logs the same lines:
//!   got self=<names in msg.receivers> param=<X-caxton-receivers or -> count=<receiver-count> countOf=<n>
//!   all=<n> first=<name> last=<name>
//!   page <offset> <limit>: ok <n> | <kind>: <message>
//! and in init "init count=<n> page: <kind>".
use caxton_sdk::message_info;
use caxton_sdk::*;

struct Probe;

fn page_line(offset: u32, limit: u32) {
    let line = match message_info::receivers(offset, limit) {
        Ok(page) => format!("page {} {}: ok {}", offset, limit, page.len()),
        Err(e) => format!("page {} {}: {}: {}", offset, limit, e.kind.name(), e.message),
    };
    info(&line);
}

impl Agent for Probe {
    fn init(_ctx: &InitContext) -> Result<Self, String> {
        let kind = match message_info::receivers(0, 1) {
            Ok(_) => "ok",
            Err(e) => e.kind.name(),
        };
        info(&format!("init count={} page: {}", message_info::receiver_count(), kind));
        Ok(Probe)
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        let names: Vec<&str> = msg.receivers.iter().map(|r| r.name.as_str()).collect();
        let count = message_info::receiver_count();
        info(&format!(
            "got self={} param={} count={} countOf={}",
            names.join(","),
            msg.user_param(message_info::RECEIVER_COUNT_PARAM).unwrap_or("-"),
            count,
            message_info::count_of(msg)
        ));
        let all = message_info::all_receivers();
        match (all.first(), all.last()) {
            (Some(f), Some(l)) => info(&format!("all={} first={} last={}", all.len(), f.name, l.name)),
            _ => info(&format!("all={}", all.len())),
        }
        for (o, l) in [(0, 0), (0, 257), (count + 1, 1), (u32::MAX, u32::MAX), (count, 1), (count.saturating_sub(1), 256)] {
            page_line(o, l);
        }
        Ok(())
    }
}

export_agent!(Probe);
