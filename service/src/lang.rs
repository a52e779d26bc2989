/// The languages content is written in; Chinese is the fallback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, async_graphql::Enum)]
#[graphql(remote = "rules::Lang")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// The preferred of Chinese and English in an `Accept-Language` header (`en-US,en;q=0.9,zh;q=0.5`).
    pub fn from_accept_language(header: &str) -> Lang {
        header
            .split(',')
            .filter_map(|part| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
                let lang = if tag.starts_with("en") {
                    Lang::En
                } else if tag.starts_with("zh") {
                    Lang::Zh
                } else {
                    return None;
                };
                (quality > 0.0).then_some((lang, quality))
            })
            .fold(None, |best: Option<(Lang, f32)>, (lang, q)| match best {
                Some((_, best_q)) if best_q >= q => best,
                _ => Some((lang, q)),
            })
            .map_or(Lang::Zh, |(lang, _)| lang)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_quality_of_chinese_and_english_wins() {
        assert_eq!(
            Lang::from_accept_language("en-US,en;q=0.9,zh;q=0.5"),
            Lang::En
        );
        assert_eq!(
            Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"),
            Lang::Zh
        );
        assert_eq!(Lang::from_accept_language("fr;q=1,en;q=0.3"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr, de"), Lang::Zh);
        assert_eq!(Lang::from_accept_language("en;q=0"), Lang::Zh);
        assert_eq!(Lang::from_accept_language(""), Lang::Zh);
    }
}
