//! The firm-level part of a rule as a SQL condition over the `firm` table, so the database counts
//! audiences without the service loading firms.
//!
//! SQL's NULL logic is Kleene logic: a missing column makes a comparison NULL (UNKNOWN), and
//! AND, OR and NOT treat NULL as the in-memory evaluator treats UNKNOWN. Conditions on the
//! declaration become NULL, so the firm is kept, as DESIGN §6 defines the audience.

use sea_query::{Alias, Expr, ExprTrait, Func};

use super::compiled::CompiledRule;
use super::fact::{Fact, Op};
use super::outcome::Outcome;
use super::rule::{Condition, Operand, Rule};
use crate::region::{RegionCatalog, RegionCode, RegionLevel};

/// The table the conditions read: one row per firm, with these columns.
pub const FIRM_TABLE: &str = "firm";

/// The columns of [`FIRM_TABLE`] a rule can look at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FirmColumn {
    /// The registered region's six-digit code.
    RegionCode,
    /// The province it lies in (the region's own code for a province).
    ProvinceCode,
    /// The prefecture it lies in; NULL for a firm registered at province level.
    PrefectureCode,
    Size,
    CustomsCredit,
    Industry,
    ExportValuePrevYearUsd,
    ImportValuePrevYearUsd,
    RegisteredOn,
    ForeignInvested,
}

impl FirmColumn {
    pub const ALL: [FirmColumn; 10] = [
        FirmColumn::RegionCode,
        FirmColumn::ProvinceCode,
        FirmColumn::PrefectureCode,
        FirmColumn::Size,
        FirmColumn::CustomsCredit,
        FirmColumn::Industry,
        FirmColumn::ExportValuePrevYearUsd,
        FirmColumn::ImportValuePrevYearUsd,
        FirmColumn::RegisteredOn,
        FirmColumn::ForeignInvested,
    ];

    /// The column's name in [`FIRM_TABLE`].
    pub const fn name(self) -> &'static str {
        match self {
            FirmColumn::RegionCode => "region_code",
            FirmColumn::ProvinceCode => "province_code",
            FirmColumn::PrefectureCode => "prefecture_code",
            FirmColumn::Size => "size",
            FirmColumn::CustomsCredit => "customs_credit",
            FirmColumn::Industry => "industry",
            FirmColumn::ExportValuePrevYearUsd => "export_value_prev_year_usd",
            FirmColumn::ImportValuePrevYearUsd => "import_value_prev_year_usd",
            FirmColumn::RegisteredOn => "registered_on",
            FirmColumn::ForeignInvested => "foreign_invested",
        }
    }
}

/// A firm column, named with its table: audiences are joined to tables with columns of their own.
fn column(name: FirmColumn) -> Expr {
    Expr::col((Alias::new(FIRM_TABLE), Alias::new(name.name())))
}

/// A three-valued SQL boolean, folded to a constant where the rule allows.
enum Sql {
    Const(Outcome),
    Expr(Expr),
}

impl Sql {
    fn into_expr(self) -> Expr {
        match self {
            Sql::Const(Outcome::True) => Expr::cust("TRUE"),
            Sql::Const(Outcome::False) => Expr::cust("FALSE"),
            Sql::Const(Outcome::Unknown) => Expr::cust("CAST(NULL AS BOOLEAN)"),
            Sql::Expr(expr) => expr,
        }
    }
}

impl CompiledRule {
    /// The outcome for each firm row as a SQL boolean: TRUE, FALSE or NULL for UNKNOWN.
    pub fn firm_outcome_sql(&self, regions: &RegionCatalog) -> Expr {
        let scope = if self.scope.is_empty() {
            Sql::Const(Outcome::True)
        } else {
            any(self.scope.iter().map(|r| Sql::Expr(within(*r, regions))))
        };
        and([scope, compile(&self.rule, regions)]).into_expr()
    }

    /// The audience: firms in scope whose firm facts do not rule them out (TRUE or UNKNOWN). The
    /// scope is never UNKNOWN, so it stays outside the COALESCE, where an index can serve it.
    pub fn audience_sql(&self, regions: &RegionCatalog) -> Expr {
        let rule = match compile(&self.rule, regions) {
            Sql::Const(Outcome::False) => Expr::cust("FALSE"),
            Sql::Const(_) => Expr::cust("TRUE"),
            Sql::Expr(expr) => Func::coalesce([expr, Expr::cust("TRUE")]).into(),
        };
        if self.scope.is_empty() {
            return rule;
        }
        let scope = any(self.scope.iter().map(|r| Sql::Expr(inside(*r, regions)))).into_expr();
        scope.and(rule)
    }
}

fn compile(rule: &Rule, regions: &RegionCatalog) -> Sql {
    match rule {
        Rule::All(children) => and(children.iter().map(|c| compile(c, regions))),
        Rule::Any(children) => any(children.iter().map(|c| compile(c, regions))),
        Rule::Not(child) => match compile(child, regions) {
            Sql::Const(outcome) => Sql::Const(outcome.not()),
            Sql::Expr(expr) => Sql::Expr(expr.not()),
        },
        Rule::Condition(c) if c.fact.is_declaration() => Sql::Const(Outcome::Unknown),
        Rule::Condition(c) => condition(c, regions),
    }
}

/// Kleene AND: constants fold; an UNKNOWN constant stays in the SQL as NULL.
fn and(parts: impl IntoIterator<Item = Sql>) -> Sql {
    fold(parts, Outcome::True, Outcome::False, ExprTrait::and)
}

/// Kleene OR, the dual of [`and`].
fn any(parts: impl IntoIterator<Item = Sql>) -> Sql {
    fold(parts, Outcome::False, Outcome::True, ExprTrait::or)
}

fn fold(
    parts: impl IntoIterator<Item = Sql>,
    identity: Outcome,
    absorbing: Outcome,
    join: fn(Expr, Expr) -> Expr,
) -> Sql {
    let mut exprs: Vec<Expr> = Vec::new();
    let mut unknown = false;
    for part in parts {
        match part {
            Sql::Const(o) if o == absorbing => return Sql::Const(absorbing),
            Sql::Const(o) if o == identity => {}
            Sql::Const(_) => unknown = true,
            Sql::Expr(expr) => exprs.push(expr),
        }
    }
    if unknown {
        exprs.push(Sql::Const(Outcome::Unknown).into_expr());
    }
    let mut exprs = exprs.into_iter();
    match exprs.next() {
        None => Sql::Const(identity),
        Some(first) => Sql::Expr(exprs.fold(first, join)),
    }
}

/// For a top-level filter (never under NOT): a firm registered in `region` or inside it, as a plain
/// comparison an index serves. A province-level firm's missing prefecture gives NULL, which a
/// WHERE treats as not inside, as it should.
pub fn inside(region: RegionCode, regions: &RegionCatalog) -> Expr {
    let code = region.to_string();
    match regions.level(region) {
        RegionLevel::Province => column(FirmColumn::ProvinceCode).eq(code),
        RegionLevel::Prefecture => column(FirmColumn::PrefectureCode).eq(code),
        RegionLevel::County => column(FirmColumn::RegionCode).eq(code),
    }
}

/// A firm registered in `region` or inside it, by the denormalised province and prefecture codes,
/// never NULL: exact under NOT inside a rule.
pub fn within(region: RegionCode, regions: &RegionCatalog) -> Expr {
    let code = region.to_string();
    match regions.level(region) {
        RegionLevel::Province => column(FirmColumn::ProvinceCode).eq(code),
        // A firm registered at province level has no prefecture: it is not inside this one.
        RegionLevel::Prefecture => Expr::expr(Func::coalesce([
            column(FirmColumn::PrefectureCode),
            Expr::val(""),
        ]))
        .eq(code),
        RegionLevel::County => column(FirmColumn::RegionCode).eq(code),
    }
}

fn condition(c: &Condition, regions: &RegionCatalog) -> Sql {
    let expr = match (c.fact, &c.operand) {
        (Fact::FirmRegion, Operand::Regions(list)) => {
            return any(list.iter().map(|r| Sql::Expr(within(*r, regions))));
        }
        (Fact::FirmSize, Operand::Sizes(sizes)) => {
            column(FirmColumn::Size).is_in(sizes.iter().map(|s| s.as_str()))
        }
        (Fact::FirmCustomsCredit, Operand::Credits(credits)) => {
            column(FirmColumn::CustomsCredit).is_in(credits.iter().map(|c| c.as_str()))
        }
        (Fact::FirmIndustry, Operand::Codes(codes)) if c.op == Op::Prefix => {
            // Codes are capitals and digits only: no LIKE wildcard can hide in them.
            return any(codes
                .iter()
                .map(|p| Sql::Expr(column(FirmColumn::Industry).like(format!("{p}%")))));
        }
        (Fact::FirmIndustry, Operand::Codes(codes)) => {
            column(FirmColumn::Industry).is_in(codes.iter().map(String::as_str))
        }
        (Fact::FirmExportValue, operand) => {
            ordered(FirmColumn::ExportValuePrevYearUsd, c.op, operand)
        }
        (Fact::FirmImportValue, operand) => {
            ordered(FirmColumn::ImportValuePrevYearUsd, c.op, operand)
        }
        (Fact::FirmRegisteredOn, operand) => ordered(FirmColumn::RegisteredOn, c.op, operand),
        (Fact::FirmForeignInvested, Operand::Bool(expected)) => {
            column(FirmColumn::ForeignInvested).eq(*expected)
        }
        _ => return Sql::Const(Outcome::Unknown),
    };
    Sql::Expr(expr)
}

fn ordered(name: FirmColumn, op: Op, operand: &Operand) -> Expr {
    let col = || column(name);
    match (operand, op) {
        (Operand::NumberRange(low, high), _) => col().gte(*low).and(col().lte(*high)),
        (Operand::DateRange(low, high), _) => col().gte(*low).and(col().lte(*high)),
        (Operand::Number(v), op) => compare(col(), op, Expr::val(*v)),
        (Operand::Date(d), op) => compare(col(), op, Expr::val(*d)),
        _ => Sql::Const(Outcome::Unknown).into_expr(),
    }
}

fn compare(column: Expr, op: Op, value: Expr) -> Expr {
    match op {
        Op::Lt => column.lt(value),
        Op::Lte => column.lte(value),
        Op::Gt => column.gt(value),
        Op::Gte => column.gte(value),
        _ => column.eq(value),
    }
}
