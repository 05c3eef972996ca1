//! Files: keeps notes under /data with `std::fs`, the agent's file system kept in its durable
//! state (decision 2191). Built with `"wasi": true` (caxton.json), so std's WASI build is linked
//! and reaches /data through WASI preview1, adapted to WASI 0.2. The same commands as
//! examples/py-files, each request's content one command, each answer an inform: write, append,
//! read, ls, mv, rm, fill, truncate, append-crash (logs the file, appends, panics: a crash
//! mid-handling) and escape.
use caxton_sdk::*;
use std::fs;
use std::io::{self, Write};

const ROOT: &str = "/data";

struct Files;

fn at(name: &str) -> String {
    format!("{ROOT}/{name}")
}

/// The errno name of an error (WASI preview1 numbers), as the tests compare them across languages.
fn err_name(e: &io::Error) -> String {
    let name = match e.raw_os_error() {
        Some(44) => "ENOENT".into(),
        Some(63) => "EPERM".into(),
        Some(29) => "EIO".into(),
        Some(22) => "EFBIG".into(),
        Some(51) => "ENOSPC".into(),
        Some(37) => "ENAMETOOLONG".into(),
        Some(20) => "EEXIST".into(),
        Some(54) => "ENOTDIR".into(),
        Some(31) => "EISDIR".into(),
        Some(55) => "ENOTEMPTY".into(),
        Some(69) => "EROFS".into(),
        Some(28) => "EINVAL".into(),
        Some(8) => "EBADF".into(),
        Some(76) => "ENOTCAPABLE".into(),
        Some(n) => n.to_string(),
        None => format!("{:?}", e.kind()),
    };
    format!("error:{name}")
}

fn run(cmd: &str, args: &[&str]) -> io::Result<String> {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    match cmd {
        "write" => {
            let path = at(arg(0));
            if let Some(parent) = std::path::Path::new(&path).parent() {
                if parent != std::path::Path::new(ROOT) {
                    fs::create_dir_all(parent)?;
                }
            }
            fs::write(path, arg(1))?;
        }
        "append" => fs::OpenOptions::new().append(true).open(at(arg(0)))?.write_all(arg(1).as_bytes())?,
        "read" => return fs::read_to_string(at(arg(0))),
        "ls" => {
            let dir = if arg(0).is_empty() { ROOT.to_string() } else { at(arg(0)) };
            let mut names = Vec::new();
            for entry in fs::read_dir(dir)? {
                let entry = entry?;
                let mut name = entry.file_name().to_string_lossy().into_owned();
                if entry.file_type()?.is_dir() {
                    name.push('/');
                }
                names.push(name);
            }
            names.sort();
            return Ok(names.join(","));
        }
        "mv" => fs::rename(at(arg(0)), at(arg(1)))?,
        "rm" => fs::remove_file(at(arg(0)))?,
        "fill" => {
            let n: usize = arg(1).parse().map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
            fs::write(at(arg(0)), vec![b'x'; n])?;
        }
        "truncate" => drop(fs::File::create(at(arg(0)))?),
        "append-crash" => {
            let before = fs::read_to_string(at(arg(0))).unwrap_or_else(|e| err_name(&e));
            let _ = info(&format!("before the crash {} holds: {before}", arg(0)));
            if let Ok(mut f) = fs::OpenOptions::new().append(true).open(at(arg(0))) {
                let _ = f.write_all(arg(1).as_bytes());
            }
            panic!("a crash mid-handling, after the append");
        }
        "escape" => {
            // (std's symlink on WASI is unstable: not tried here.)
            let attempts: [(&str, Box<dyn Fn() -> io::Result<()>>); 6] = [
                ("up", Box::new(|| fs::read(format!("{ROOT}/../etc/passwd")).map(drop))),
                ("upup", Box::new(|| fs::read(format!("{ROOT}/a/../../../etc/passwd")).map(drop))),
                ("abs", Box::new(|| fs::read("/etc/passwd").map(drop))),
                ("hardlink", Box::new(|| fs::hard_link(at("notes.txt"), at("hard")))),
                ("long", Box::new(|| fs::write(at(&"n".repeat(300)), ""))),
                ("huge", Box::new(|| fs::write(at(&"n/".repeat(50_000)), ""))),
            ];
            let parts: Vec<String> = attempts
                .iter()
                .map(|(name, f)| match f() {
                    Ok(()) => format!("{name}=ok"),
                    Err(e) => format!("{name}={}", err_name(&e)),
                })
                .collect();
            return Ok(parts.join(" "));
        }
        _ => return Ok(format!("unknown command {cmd}")),
    }
    Ok("ok".into())
}

impl Agent for Files {
    fn init(_ctx: &InitContext) -> Result<Self, String> {
        Ok(Files)
    }

    fn handle(&mut self, msg: &AclMessage) -> Result<(), String> {
        let content = msg.content.clone().unwrap_or_default();
        let words: Vec<&str> = content.splitn(3, ' ').collect();
        let answer = run(words[0], &words[1..]).unwrap_or_else(|e| err_name(&e));
        reply(msg, Performative::Inform, Some(answer))
    }
}

export_agent!(Files);
