//! A text for people in the languages stickylab speaks, written once where it is made:
//! the English and, beside it, the Chinese. The language is picked when the text is
//! shown, not when it is made, so a parser that does not know who will read its errors
//! can still say them in both languages.
//!
//! ```ignore
//! Said::both(
//!     format!("`{word}` is not a size"),
//!     format!("`{word}` 不是一个大小"),
//! )
//! ```
//!
//! A text made from a plain `String` has no Chinese yet and shows its English in every
//! language.

use std::fmt;

/// `said!("`{word}` is not a size", "`{word}` 不是大小")`: a [`Said`] of two format
/// strings, each with the variables of the place it is written in.
macro_rules! said {
    ($en:literal, $zh:literal $(,)?) => {
        $crate::text::Said::both(format!($en), format!($zh))
    };
}
pub(crate) use said;

/// One message in English and, where it has been translated, Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    en: String,
    zh: Option<String>,
}

impl Said {
    /// A text with its Chinese beside it.
    pub fn both(en: impl Into<String>, zh: impl Into<String>) -> Said {
        Said {
            en: en.into(),
            zh: Some(zh.into()),
        }
    }

    /// The English text.
    pub fn en(&self) -> &str {
        &self.en
    }

    /// The Chinese text, if it has one.
    pub fn zh(&self) -> Option<&str> {
        self.zh.as_deref()
    }

    /// The text in `lang` (`en`, `zh`): the Chinese with `zh` where there is one, else
    /// the English.
    pub fn get(&self, lang: &str) -> &str {
        match (lang, &self.zh) {
            ("zh", Some(zh)) => zh,
            _ => &self.en,
        }
    }
}

impl From<String> for Said {
    /// English only.
    fn from(en: String) -> Said {
        Said { en, zh: None }
    }
}

impl From<&str> for Said {
    /// English only.
    fn from(en: &str) -> Said {
        Said::from(en.to_string())
    }
}

impl fmt::Display for Said {
    /// The English text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

impl PartialEq<&str> for Said {
    /// Compares the English text.
    fn eq(&self, other: &&str) -> bool {
        self.en == *other
    }
}

#[cfg(test)]
mod tests {
    use super::Said;

    #[test]
    fn each_language_gets_its_text_and_english_fills_in() {
        let both = Said::both("not a size", "不是一个大小");
        assert_eq!(
            (both.get("en"), both.get("zh")),
            ("not a size", "不是一个大小")
        );
        let english = Said::from("only English");
        assert_eq!(english.get("zh"), "only English");
        assert_eq!(english.to_string(), "only English");
    }
}
