//! The enumerated values rules compare: a declaration's direction, a firm's size class and customs
//! credit rating. Each has one name, used by rules, storage and the API alike.

/// Declares an enum whose variants each carry one name: `ALL`, `as_str`, `parse`, `Display`, and
/// serde under that name. Attributes given pass through, so a crate can add derives of its own
/// (the service adds its storage and GraphQL ones); the calling crate needs `serde`.
#[macro_export]
macro_rules! named_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            PartialOrd,
            Ord,
            serde::Serialize,
            serde::Deserialize,
        )]
        $vis enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                $variant,
            )+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name it is known by.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// Parses the name.
            pub fn parse(value: &str) -> Option<Self> {
                match value {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// Whether a declaration brings goods in or sends them out.
    pub enum Direction {
        Import = "IMPORT",
        Export = "EXPORT",
    }
}

named_enum! {
    /// Enterprise size class (SME classification).
    pub enum FirmSize {
        Micro = "MICRO",
        Small = "SMALL",
        Medium = "MEDIUM",
        Large = "LARGE",
    }
}

named_enum! {
    /// China Customs enterprise credit rating.
    pub enum CustomsCredit {
        AdvancedCertified = "ADVANCED_CERTIFIED",
        GeneralCertified = "GENERAL_CERTIFIED",
        General = "GENERAL",
        Dishonest = "DISHONEST",
    }
}

/// The languages a rule is explained in; Chinese is the fallback.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    #[default]
    Zh,
    En,
}
