//! `stickylab new FILE`: a commented template scenario to start an experiment from. It
//! passes `check` and `run` as it is (a test runs it).

use std::io::Write;
use std::path::Path;

use super::{Error, Outcome, terminal};
use crate::cli::NewArgs;
use crate::text::said;

/// The template, with comments that teach the syntax.
pub(crate) const TEMPLATE: &str = include_str!("template.lab");

pub(super) fn new(args: &NewArgs) -> Result<Outcome, Error> {
    let lang = terminal::language(args.lang.as_deref());
    let path = &args.file;
    let shown = path.display().to_string();
    write_template(path, args.force).map_err(|e| {
        let text = match e {
            Refused::Exists => said!(
                "`{shown}` exists already: stickylab new does not overwrite a file \
                 (give --force to replace it)",
                "`{shown}` 已经存在：stickylab new 不会覆盖文件（加 --force 才会替换它）"
            ),
            Refused::Io(why) => said!("cannot write `{shown}`: {why}", "无法写入 `{shown}`：{why}"),
        };
        Error::said(&lang, &text)
    })?;
    let text = said!(
        "wrote {shown}: a server and a client, two sends and one recv; try\n  \
         stickylab check {shown}\n  stickylab run {shown}",
        "已写入 {shown}：一个服务端和一个客户端，两次发送、一次接收；试试\n  \
         stickylab check {shown}\n  stickylab run {shown}"
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", text.get(&lang));
    Ok(Outcome::Pass)
}

enum Refused {
    Exists,
    Io(String),
}

/// Writes the template; without `force`, only to a file that does not exist yet (created
/// with `create_new`, so a file that appears meanwhile is not overwritten either).
fn write_template(path: &Path, force: bool) -> Result<(), Refused> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            Refused::Exists
        } else {
            Refused::Io(e.to_string())
        }
    })?;
    file.write_all(TEMPLATE.as_bytes())
        .map_err(|e| Refused::Io(e.to_string()))
}
