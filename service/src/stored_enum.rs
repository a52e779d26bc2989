//! Enums that are stored, exposed to GraphQL and read from rules under one name.

/// Declares an enum whose variants carry one name, used by the database, GraphQL and serde alike:
/// the rule crate's [`rules::named_enum`] with the storage and GraphQL derives added.
macro_rules! stored_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident = $text:literal,)+
    }) => {
        rules::named_enum! {
            #[derive(async_graphql::Enum, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
            #[sea_orm(rs_type = "String", db_type = "Text")]
            $(#[$meta])*
            $vis enum $name {
                $(
                    $(#[$vmeta])*
                    #[sea_orm(string_value = $text)]
                    #[graphql(name = $text)]
                    $variant = $text,
                )+
            }
        }
    };
}

pub(crate) use stored_enum;
