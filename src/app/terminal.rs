//! What the app learns from the terminal and the environment, to pass to the reports as
//! [`ReportOptions`]: the language, colour, and the width of the window.

use std::io::IsTerminal;

use crate::report::{ReportOptions, language_of};

/// The report options for stdout: the language of `--lang` (else `$LANG`), colour and
/// width only when stdout is a terminal.
pub(super) fn report_options(lang: Option<&str>) -> ReportOptions {
    ReportOptions {
        lang: language(lang),
        color: use_colour(),
        width: terminal_width(),
        max_data: crate::report::DEFAULT_MAX_DATA,
        full: false,
    }
}

/// The language of titles: `--lang` (already checked), else `$LANG` when the reports
/// speak it (`zh_CN.UTF-8` -> `zh`), else English: a `LANG` of `C` or `fr_FR.UTF-8` is
/// the machine's, not a request, so it quietly means English.
pub(super) fn language(flag: Option<&str>) -> String {
    if let Some(lang) = flag {
        return lang.to_string();
    }
    let env = std::env::var("LANG").unwrap_or_default();
    language_of(&env).unwrap_or("en").to_string()
}

/// Colour only on a terminal, and never with NO_COLOR set (no-color.org).
fn use_colour() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The width of the terminal on stdout (the `terminal_size` crate asks the kernel:
/// TIOCGWINSZ, tty_ioctl(4)). When stdout is not a terminal, `COLUMNS` if it is set
/// (shells set it but do not export it, so a pipe gets it only when asked for:
/// `COLUMNS=80 stickylab run ... | less`), else none, so what a pipe or a file gets
/// does not depend on the window it was typed in, even when stderr is one.
fn terminal_width() -> Option<u16> {
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        return std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<u16>().ok())
            .filter(|&c| c >= 20);
    }
    terminal_size::terminal_size_of(stdout)
        .map(|(terminal_size::Width(columns), _)| columns)
        .filter(|&columns| columns > 0)
}

#[cfg(test)]
mod tests {
    use super::language;

    #[test]
    fn the_flag_wins_over_the_environment() {
        assert_eq!(language(Some("zh")), "zh");
    }

    #[test]
    fn locale_names_map_to_the_languages_spoken() {
        use crate::report::language_of;
        for tag in ["zh", "zh_CN", "zh-CN", "zh_TW.UTF-8", "ZH"] {
            assert_eq!(language_of(tag), Some("zh"), "{tag}");
        }
        assert_eq!(language_of("en_US.UTF-8"), Some("en"));
        for tag in ["fr", "fr_FR.UTF-8", "C", "C.UTF-8", "POSIX", ""] {
            assert_eq!(language_of(tag), None, "{tag}");
        }
    }
}
