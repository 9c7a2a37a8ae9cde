//! The words of the reports in each language they speak: one table, English to
//! Chinese, read by every report for its headers and verdicts. The Chinese follows the
//! tutorials a class starts from (发送, 接收, 缓冲区, 粘包).

/// English, then Chinese.
const WORDS: &[(&str, &str)] = &[
    ("timeline", "时间线"),
    ("sends", "发送（send）"),
    ("recvs", "接收（recv）"),
    ("expectations", "预期"),
    ("timers", "计时器"),
    ("t ms", "时刻 ms"),
    ("took", "耗时"),
    ("actor", "角色"),
    ("line", "行"),
    ("call", "调用"),
    ("bytes", "字节"),
    ("stream", "流区间"),
    ("queued\nbefore", "之前\n排队"),
    ("got", "收到"),
    ("data", "数据"),
    ("from\nsends", "来自\n发送"),
    ("from / note", "来源 / 说明"),
    ("conn", "连接"),
    ("queued\nafter", "之后\n排队"),
    ("result", "结果"),
    ("expected", "预期"),
    ("observed", "实际"),
    ("timer", "计时器"),
    ("count", "次数"),
    ("PASS", "通过（PASS）"),
    (
        "chunks each recv() got: how often",
        "每次 recv() 收到的块：次数",
    ),
    ("held", "满足"),
    ("wall per run", "每次运行耗时"),
    (
        "failed runs' seeds (replay with --seed)",
        "失败运行的种子（用 --seed 重放）",
    ),
    ("other outcomes", "其他结果"),
    ("scenario", "场景"),
    ("runs passed", "通过的运行"),
    ("expectations held", "满足的预期"),
    ("wall", "总耗时"),
    (
        "INTERRUPTED (Ctrl-C): what is above is what happened until then",
        "已中断（Ctrl-C）：上面是中断前发生的一切",
    ),
];

/// `word` in `lang`: the Chinese of an English word of the reports with `zh`, else the
/// word itself.
pub(crate) fn say<'a>(lang: &str, word: &'a str) -> &'a str {
    if lang != "zh" {
        return word;
    }
    WORDS
        .iter()
        .find(|(en, _)| *en == word)
        .map_or(word, |(_, zh)| zh)
}

/// `word: text`, the label in `lang` (`词：text` in Chinese, with its full-width colon).
pub(crate) fn labelled(lang: &str, word: &str, text: &str) -> String {
    if lang == "zh" {
        format!("{}：{text}", say(lang, word))
    } else {
        format!("{word}: {text}")
    }
}

/// The verdict line of many runs: all `runs` passed, or `failed` of them failed.
pub(crate) fn runs_verdict(lang: &str, failed: u64, runs: u64) -> String {
    match (lang, failed) {
        ("zh", 0) => format!("通过（PASS：{runs} 次运行全部通过）"),
        ("zh", _) => format!("失败（FAIL：{runs} 次运行中 {failed} 次失败）"),
        (_, 0) => format!("PASS ({runs} of {runs} runs)"),
        (_, _) => format!("FAIL ({failed} of {runs} runs failed)"),
    }
}

/// The verdict line of `run --all`: every one of `scenarios` passed, or `failed` of them
/// failed.
pub(crate) fn catalog_verdict(lang: &str, failed: usize, scenarios: usize) -> String {
    match (lang, failed) {
        ("zh", 0) => format!("通过（PASS：{scenarios} 个场景全部通过）"),
        ("zh", _) => format!("失败（FAIL：{scenarios} 个场景中 {failed} 个失败）"),
        (_, 0) => format!("PASS (all {scenarios} scenarios)"),
        (_, _) => format!("FAIL ({failed} of {scenarios} scenarios failed)"),
    }
}

/// The first line of a `--repeat` summary: the scenario, its file, how many runs and
/// their seeds (run k uses seed `first + k`).
pub(crate) fn summary_head(
    lang: &str,
    (scenario, file): (&str, &str),
    runs: u64,
    first: u64,
    last: u64,
) -> String {
    if lang == "zh" {
        format!(
            "{scenario}（{file}）· {runs} 次运行 · 种子 {first}..{last} · 第 k 次运行用种子 {first}+k"
        )
    } else {
        format!(
            "{scenario} ({file}) · {runs} runs · seeds {first}..{last} · run k uses seed {first}+k"
        )
    }
}

/// `min 1.2ms · mean 1.5ms · max 3.0ms`, the wall times of a `--repeat`'s runs.
pub(crate) fn min_mean_max(lang: &str, [min, mean, max]: [&str; 3]) -> String {
    if lang == "zh" {
        format!("最短 {min} · 平均 {mean} · 最长 {max}")
    } else {
        format!("min {min} · mean {mean} · max {max}")
    }
}

/// The verdict line of a failed run: `failed` of `total` expectations failed.
pub(crate) fn failed(lang: &str, failed: usize, total: usize) -> String {
    if lang == "zh" {
        format!("失败（FAIL：{total} 项预期中 {failed} 项未满足）")
    } else {
        format!("FAIL ({failed} of {total} expectations failed)")
    }
}

#[cfg(test)]
mod tests {
    use super::{
        WORDS, catalog_verdict, failed, labelled, min_mean_max, runs_verdict, say, summary_head,
    };

    #[test]
    fn english_is_itself_and_chinese_comes_from_the_table() {
        assert_eq!(say("en", "sends"), "sends");
        assert_eq!(say("zh", "sends"), "发送（send）");
        assert_eq!(say("zh", "#"), "#");
        assert_eq!(failed("en", 2, 4), "FAIL (2 of 4 expectations failed)");
        assert!(failed("zh", 2, 4).contains("4 项预期中 2 项未满足"));
    }

    #[test]
    fn the_lines_of_many_runs_in_both_languages() {
        assert_eq!(catalog_verdict("en", 0, 30), "PASS (all 30 scenarios)");
        assert_eq!(
            catalog_verdict("en", 2, 30),
            "FAIL (2 of 30 scenarios failed)"
        );
        assert_eq!(
            catalog_verdict("zh", 0, 30),
            "通过（PASS：30 个场景全部通过）"
        );
        assert_eq!(
            catalog_verdict("zh", 2, 30),
            "失败（FAIL：30 个场景中 2 个失败）"
        );
        assert_eq!(
            runs_verdict("zh", 1, 3),
            "失败（FAIL：3 次运行中 1 次失败）"
        );
        let file = ("hello-world", "scenarios/hello-world.lab");
        assert_eq!(
            summary_head("en", file, 3, 7, 9),
            "hello-world (scenarios/hello-world.lab) · 3 runs · seeds 7..9 · run k uses seed 7+k"
        );
        assert_eq!(
            summary_head("zh", file, 3, 7, 9),
            "hello-world（scenarios/hello-world.lab）· 3 次运行 · 种子 7..9 · 第 k 次运行用种子 7+k"
        );
        let times = ["1ms", "2ms", "3ms"];
        assert_eq!(
            labelled("en", "wall per run", &min_mean_max("en", times)),
            "wall per run: min 1ms · mean 2ms · max 3ms"
        );
        assert_eq!(
            labelled("zh", "wall per run", &min_mean_max("zh", times)),
            "每次运行耗时：最短 1ms · 平均 2ms · 最长 3ms"
        );
    }

    #[test]
    fn every_word_is_listed_once() {
        let mut en: Vec<&str> = WORDS.iter().map(|(e, _)| *e).collect();
        en.sort_unstable();
        en.dedup();
        assert_eq!(en.len(), WORDS.len());
    }
}
