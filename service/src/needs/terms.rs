//! The terms of a comment: Chinese segmented into words by jieba, Latin words lowercased, and
//! what says nothing about a need (stop words, numbers, punctuation, single Chinese characters)
//! left out. Extracted once, when an acknowledgement is stored; the database counts them.

use std::collections::HashSet;
use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Which extraction wrote an acknowledgement's terms: raise it when the rules below change, and
/// the service extracts the terms of older acknowledgements again when it starts.
pub const TERMS_VERSION: i16 = 1;

/// The longest term kept (and the longest a `term` argument may be), in characters.
pub const MAX_TERM_CHARS: usize = 64;

/// At most this many terms of one comment are kept (a 2,000-character comment has fewer).
const MAX_TERMS_PER_COMMENT: usize = 200;

/// The words the segmenter knows, with their frequencies: jieba's dictionary (MIT, see
/// `dict.LICENSE`) cut to the 80,000 words seen at least 20 times and the rarer words of trade,
/// customs, finance and application forms (转口贸易, 申请材料). The whole dictionary (349,000
/// words) held about 60 MiB resident. Words it lacks are still cut by jieba's hidden Markov
/// model.
const DICTIONARY: &str = include_str!("dict.txt");

/// The segmenter and its dictionary, loaded once on first use.
static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    Jieba::with_dict(&mut DICTIONARY.as_bytes()).unwrap_or_else(|err| {
        tracing::error!(%err, "the segmenter's dictionary did not load; segmenting by model only");
        Jieba::empty()
    })
});

/// Words that carry no need: pronouns, particles, conjunctions, auxiliaries and the words every
/// comment uses to ask ("需要", "please", "need").
const STOP_WORDS: &str = include_str!("stop_words.txt");

static STOP: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    STOP_WORDS
        .lines()
        .map(str::trim)
        .filter(|w| !w.is_empty() && !w.starts_with('#'))
        .collect()
});

/// Loads the dictionary now, so the first acknowledgement with a comment does not wait for it.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
    LazyLock::force(&STOP);
}

/// The distinct terms of `comment`, in the order they first appear.
pub fn terms(comment: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut found = Vec::new();
    for token in JIEBA.cut(comment, true) {
        let Some(term) = normalize(token.word) else {
            continue;
        };
        if is_kept(&term) && seen.insert(term.clone()) {
            found.push(term);
            if found.len() == MAX_TERMS_PER_COMMENT {
                break;
            }
        }
    }
    found
}

/// A term as it is stored and looked up: trimmed, lowercased, full-width Latin letters and digits
/// made half-width; none when nothing is left or it is longer than [`MAX_TERM_CHARS`].
pub fn normalize(word: &str) -> Option<String> {
    let term: String = word
        .trim()
        .chars()
        .map(|c| match c {
            // Full-width ASCII (Ａ, ｂ, ３) as typed by Chinese input methods.
            '\u{FF01}'..='\u{FF5E}' => {
                char::from_u32(u32::from(c) - 0xFEE0).map_or(c, |c| c.to_ascii_lowercase())
            }
            _ => c.to_lowercase().next().unwrap_or(c),
        })
        .collect();
    let count = term.chars().count();
    (count > 0 && count <= MAX_TERM_CHARS).then_some(term)
}

/// Whether a normalized word says something: it has a letter, is not a number or a single
/// Chinese character (mostly particles), is not one Latin letter, and is no stop word.
fn is_kept(term: &str) -> bool {
    if !term.chars().any(char::is_alphabetic) || STOP.contains(term) {
        return false;
    }
    let mut chars = term.chars();
    match (chars.next(), chars.next()) {
        (Some(_), None) => false,
        _ => !term
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ','),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dictionary_loads_every_word() {
        assert!(Jieba::with_dict(&mut DICTIONARY.as_bytes()).is_ok());
        assert!(DICTIONARY.lines().count() > 80_000);
    }

    #[test]
    fn chinese_is_cut_into_words_without_the_asking_words() {
        let found = terms("需要申请表模板");
        assert!(found.contains(&"申请表".to_owned()), "{found:?}");
        assert!(found.contains(&"模板".to_owned()), "{found:?}");
        assert!(!found.contains(&"需要".to_owned()), "{found:?}");
    }

    #[test]
    fn particles_punctuation_and_numbers_are_left_out() {
        let found = terms("不清楚是否适用转口贸易？2024年的呢！");
        for dropped in ["不", "是否", "？", "的", "呢", "！", "2024"] {
            assert!(
                !found.contains(&dropped.to_owned()),
                "{dropped} in {found:?}"
            );
        }
        assert!(found.iter().any(|t| t.contains("转口")), "{found:?}");
        assert!(found.contains(&"适用".to_owned()), "{found:?}");
    }

    #[test]
    fn english_is_lowercased_and_its_stop_words_dropped() {
        let found = terms("Please send the APPLICATION form template, we need it");
        assert_eq!(found, ["send", "application", "form", "template"]);
    }

    #[test]
    fn a_term_used_twice_in_one_comment_counts_once() {
        assert_eq!(
            terms("模板 模板 template Template ｔｅｍｐｌａｔｅ"),
            ["模板", "template"]
        );
    }

    #[test]
    fn a_comment_of_stop_words_has_no_terms() {
        assert!(terms("我们需要这个。Please, we need it!").is_empty());
        assert!(terms("").is_empty());
    }

    #[test]
    fn terms_longer_than_the_limit_are_refused() {
        assert_eq!(normalize(&"a".repeat(65)), None);
        assert_eq!(normalize(" ＡＢＣ "), Some("abc".to_owned()));
    }
}
