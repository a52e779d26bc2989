//! The declaration a frontend sends inline, validated into [`DeclarationFacts`].

use async_graphql::InputObject;

use rules::{CountryCode, CustomsCode4, DeclarationFacts, HsCode};

use super::declaration_id::DeclarationId;
use crate::error::InputErrors;
use crate::firm::Uscc;
use crate::validate;

/// Most items one declaration may carry.
pub const MAX_ITEMS: usize = 500;

/// Whether a declaration brings goods in or sends them out.
#[derive(async_graphql::Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "rules::Direction")]
pub enum Direction {
    Import,
    Export,
}

/// The customs declaration being filed. Only its id is stored, on deliveries.
#[derive(InputObject, Clone, Debug)]
pub struct DeclarationInput {
    /// Single-window declaration id; deliveries are tied to it.
    pub id: Option<String>,
    pub firm_uscc: String,
    pub direction: Direction,
    /// Four-digit trade mode (0110 general trade, 9610 cross-border e-commerce).
    pub trade_mode: Option<String>,
    /// Destination (export) or origin (import), ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Four-digit customs port code.
    pub port: Option<String>,
    pub items: Option<Vec<DeclarationItemInput>>,
    /// Defaults to the sum of the item values.
    pub value_usd: Option<f64>,
}

/// One line of goods.
#[derive(InputObject, Clone, Debug)]
pub struct DeclarationItemInput {
    /// HS code, 2 to 10 digits.
    pub hs_code: String,
    pub value_usd: Option<f64>,
}

impl DeclarationInput {
    /// Validates every field under `path` (`declaration.items[2].hsCode`), returning the firm
    /// and the facts.
    pub fn validate(self, path: &str) -> Result<(Uscc, DeclarationFacts), InputErrors> {
        let mut errors = InputErrors::default();
        let at = |field: &str| format!("{path}.{field}");
        let id = self.id.and_then(|id| {
            errors.check(
                at("id"),
                DeclarationId::parse(&id).map(DeclarationId::into_string),
            )
        });
        let uscc = errors.check(at("firmUscc"), Uscc::parse(&self.firm_uscc));
        let trade_mode = self
            .trade_mode
            .and_then(|t| errors.check(at("tradeMode"), CustomsCode4::parse(&t)));
        let country = self
            .country
            .and_then(|c| errors.check(at("country"), CountryCode::parse(&c)));
        let port = self
            .port
            .and_then(|p| errors.check(at("port"), CustomsCode4::parse(&p)));
        let items = self.items.unwrap_or_default();
        if items.len() > MAX_ITEMS {
            errors.push(at("items"), format!("at most {MAX_ITEMS} items"));
        }
        let mut hs_codes = Vec::with_capacity(items.len());
        let mut item_total: Option<f64> = None;
        for (i, item) in items.iter().enumerate().take(MAX_ITEMS) {
            if let Some(code) = errors.check(
                format!("{path}.items[{i}].hsCode"),
                HsCode::parse(&item.hs_code),
            ) {
                hs_codes.push(code);
            }
            let value = item.value_usd.and_then(|v| {
                errors.check(format!("{path}.items[{i}].valueUsd"), validate::usd(v))
            });
            if let Some(value) = value {
                item_total = Some(item_total.unwrap_or(0.0) + value);
            }
        }
        let value_usd = match self.value_usd {
            Some(v) => errors.check(at("valueUsd"), validate::usd(v)),
            None => item_total,
        };
        match uscc {
            Some(uscc) if errors.is_empty() => Ok((
                uscc,
                DeclarationFacts {
                    id,
                    direction: self.direction.into(),
                    trade_mode,
                    country,
                    port,
                    hs_codes,
                    value_usd,
                },
            )),
            _ => Err(errors),
        }
    }
}
