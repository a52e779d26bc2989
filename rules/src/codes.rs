//! Validated codes that appear in declarations and rules.

use std::fmt;

/// ISO 3166-1 alpha-2, as published (249 codes).
const ISO_3166_ALPHA2: &str = "\
AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS \
BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE \
EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM \
HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC \
LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA \
NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW \
SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO \
TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

macro_rules! code_type {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }
    };
}

code_type!(
    /// An ISO 3166-1 alpha-2 country code (CN, US, DE).
    CountryCode
);
code_type!(
    /// A Harmonized System code or heading: 2 to 10 digits (85, 8517, 8517130000).
    HsCode
);
code_type!(
    /// A four-digit customs code: a trade mode (0110 general trade) or a customs port (5301).
    CustomsCode4
);

/// GB/T 4754-2017: a section letter A–T, optionally its division (2 digits), group (3) or class (4).
pub fn validate_industry(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let ok = matches!(bytes.first(), Some(b'A'..=b'T'))
        && matches!(bytes.len(), 1 | 3 | 4 | 5)
        && bytes[1..].iter().all(u8::is_ascii_digit);
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} is not a GB/T 4754 industry code: a section letter A-T and up to four digits, like C3911"
        ))
    }
}

impl CountryCode {
    pub fn parse(text: &str) -> Result<CountryCode, String> {
        let known = text.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == text);
        if known {
            Ok(CountryCode(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not an ISO 3166-1 alpha-2 country code (two capitals, like US)"
            ))
        }
    }
}

impl HsCode {
    pub fn parse(text: &str) -> Result<HsCode, String> {
        if (2..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(HsCode(text.to_owned()))
        } else {
            Err(format!(
                "{text:?} is not an HS code: 2 to 10 digits, like 8517"
            ))
        }
    }
}

impl CustomsCode4 {
    pub fn parse(text: &str) -> Result<CustomsCode4, String> {
        if text.len() == 4 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(CustomsCode4(text.to_owned()))
        } else {
            Err(format!("{text:?} must be 4 digits, like 0110"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn country_codes_come_from_the_iso_list() {
        assert_eq!(ISO_3166_ALPHA2.split(' ').count(), 249);
        assert!(CountryCode::parse("US").is_ok());
        assert!(CountryCode::parse("DE").is_ok());
        for bad in ["XX", "us", "USA", "", "UK"] {
            assert!(CountryCode::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hs_codes_have_two_to_ten_digits() {
        assert!(HsCode::parse("85").is_ok());
        assert!(HsCode::parse("8517130000").is_ok());
        for bad in ["8", "85171300001", "85a7", "85.17"] {
            assert!(HsCode::parse(bad).is_err(), "{bad}");
        }
    }
}
