//! What every table of the reports shares, whatever it shows: the look of a table, and
//! the text of a step as a narrow column wants it.

use comfy_table::presets::UTF8_FULL_CONDENSED;

use super::ReportOptions;

/// An empty table in the reports' style.
pub(crate) fn styled(options: &ReportOptions) -> comfy_table::Table {
    let mut table = comfy_table::Table::new();
    // Never ask the terminal: the output depends on the options only.
    table.force_no_tty();
    if options.color {
        table.enforce_styling();
    }
    table.load_style(UTF8_FULL_CONDENSED.with_rounded_corners());
    table
}

/// The step as a narrow column wants it: without the expectation after `=>` (the
/// expectations show it, by line) and with the runs of spaces that align the file's
/// columns squeezed to one, outside strings.
pub(crate) fn call_text(call: &str) -> String {
    let mut out = String::with_capacity(call.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = call.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '=' if chars.peek() == Some(&'>') => break,
            c if c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c => out.push(c),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::call_text;

    #[test]
    fn call_drops_the_expectation_and_the_alignment() {
        assert_eq!(
            call_text("recv 1024              => \"helloworld\""),
            "recv 1024"
        );
        assert_eq!(
            call_text("send \"a  =>  b\"   => 5 bytes"),
            "send \"a  =>  b\""
        );
        assert_eq!(call_text(r#"send "\"=>"   =>  ok"#), r#"send "\"=>""#);
        assert_eq!(call_text("wait   readable 10"), "wait readable 10");
    }
}
