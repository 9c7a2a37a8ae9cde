//! `--format html`: one self-contained page (inline CSS, SVG and a few lines of script;
//! nothing fetched, so it opens offline from a USB stick): the title and about text, the
//! sequence diagram, the timeline and the expectations as tables, and the run's own JSON
//! in `<script type="application/json" id="stickylab-run">`, so the page is also the
//! data of the very run it draws.

use std::fmt::Write as _;

use super::svg::{diagram, xml};
use crate::report::ReportOptions;
use crate::report::table::Finished;
use crate::report::table::cells::timeline_cells;
use crate::report::words::say;
use crate::scenario::Scenario;
use crate::wire::Wire;

/// The data column of the page's table, in characters.
const DATA_WIDTH: usize = 48;

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:100%}\
h1{font-size:1.4em;margin:0 0 .3em}p.about{max-width:60em;white-space:pre-line}\
p.meta{color:#666;font-size:.9em}.verdict{font-weight:bold;font-size:1.2em}\
.pass{color:#2a7a2a}.fail{color:#c62828}\
table{border-collapse:collapse;font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;margin:.5em 0 1.5em}\
th,td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top;white-space:pre}\
th{background:#f3f3f3}.diagram{overflow-x:auto;border:1px solid #eee;padding:4px}\
svg .arrow{opacity:.85}svg g:hover rect{stroke-width:2.5}svg .arrow.lit{stroke-width:3.5;opacity:1}";

/// Lights the arrows of the send or recv under the pointer: inline, and nothing else.
const SCRIPT: &str = "document.querySelectorAll('svg g[data-seq]').forEach(function(g){\
var s=g.getAttribute('data-seq');\
var a=document.querySelectorAll('.arrow[data-send=\"'+s+'\"],.arrow[data-recv=\"'+s+'\"]');\
g.addEventListener('mouseenter',function(){a.forEach(function(x){x.classList.add('lit')})});\
g.addEventListener('mouseleave',function(){a.forEach(function(x){x.classList.remove('lit')})});});";

pub(super) fn page(
    scenario: &Scenario,
    run: &Finished,
    json: &str,
    left_out: u64,
    options: &ReportOptions,
    wire: Option<&Wire>,
) -> String {
    let lang = options.lang.as_str();
    let record = &run.record;
    let title = scenario.title.get(lang).unwrap_or(&record.scenario);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n",
        xml(title)
    );
    let _ = writeln!(out, "<h1>{}</h1>", xml(title));
    if let Some(about) = scenario.about.get(lang) {
        let _ = writeln!(out, "<p class=\"about\">{}</p>", xml(about));
    }
    let _ = writeln!(
        out,
        "<p class=\"meta\">scenario {} · {} · seed {}</p>",
        xml(&record.scenario),
        xml(&record.file),
        record.seed
    );
    let verdict = if record.passed() {
        format!("<p class=\"verdict pass\">{}</p>", xml(say(lang, "PASS")))
    } else {
        let n = record.expectations.len() + record.blocked.len();
        let line = crate::report::words::failed(lang, record.failures(), n);
        format!("<p class=\"verdict fail\">{}</p>", xml(&line))
    };
    out.push_str(&verdict);
    out.push('\n');
    let _ = writeln!(
        out,
        "<div class=\"diagram\">{}</div>",
        diagram(scenario, &run.rows, &run.info, lang, wire)
    );

    let _ = writeln!(out, "<h2>{}</h2>", xml(say(lang, "timeline")));
    if run.info.left_out > 0 {
        let _ = writeln!(
            out,
            "<p class=\"meta\">{} events left out between the first and the last rows.</p>",
            run.info.left_out
        );
    }
    let (headers, rows) = timeline_cells(&run.rows, &run.info, lang, DATA_WIDTH);
    table(&mut out, "timeline", &headers, &rows);

    if !record.expectations.is_empty() || !record.blocked.is_empty() {
        let _ = writeln!(out, "<h2>{}</h2>", xml(say(lang, "expectations")));
        let (headers, mut rows) = super::expectation_cells(record, lang);
        rows.extend(record.blocked.iter().map(|b| {
            vec![
                "✗".to_owned(),
                b.line.to_string(),
                b.actor.clone(),
                b.call.clone(),
                format!("blocked in {}", b.blocked_in),
            ]
        }));
        table(&mut out, "expectations", &headers, &rows);
    }
    // `</` cannot end the script early: the JSON escapes `/` nowhere, so `<` is
    // written as its JSON escape.
    let json = json.trim_end().replace('<', "\\u003c");
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"stickylab-run\" data-left-out=\"{left_out}\">{json}</script>"
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body></html>");
    out
}

fn table(out: &mut String, class: &str, headers: &[String], rows: &[Vec<String>]) {
    let _ = write!(out, "<table class=\"{class}\"><thead><tr>");
    for h in headers {
        let _ = write!(out, "<th>{}</th>", xml(h));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", xml(cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
}
