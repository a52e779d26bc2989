//! The facts a condition can look at, the operators that compare them, and which go together.

/// What a condition looks at: a fact of the firm, or of the declaration being filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fact {
    FirmRegion,
    FirmSize,
    FirmIndustry,
    FirmCustomsCredit,
    FirmExportValue,
    FirmImportValue,
    FirmForeignInvested,
    FirmRegisteredOn,
    DeclarationDirection,
    DeclarationTradeMode,
    DeclarationPort,
    DeclarationCountry,
    DeclarationHsCode,
    DeclarationValue,
}

/// How a condition compares the fact with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Within,
    In,
    Eq,
    Prefix,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
}

/// The shape of a fact's values, which decides its operators and operands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Region,
    Size,
    Industry,
    Credit,
    Money,
    Bool,
    Date,
    Direction,
    Code4,
    Country,
    Hs,
}

const NUMERIC: &[Op] = &[Op::Eq, Op::Lt, Op::Lte, Op::Gt, Op::Gte, Op::Between];

impl Fact {
    pub const ALL: [Fact; 14] = [
        Fact::FirmRegion,
        Fact::FirmSize,
        Fact::FirmIndustry,
        Fact::FirmCustomsCredit,
        Fact::FirmExportValue,
        Fact::FirmImportValue,
        Fact::FirmForeignInvested,
        Fact::FirmRegisteredOn,
        Fact::DeclarationDirection,
        Fact::DeclarationTradeMode,
        Fact::DeclarationPort,
        Fact::DeclarationCountry,
        Fact::DeclarationHsCode,
        Fact::DeclarationValue,
    ];

    /// The name rules use.
    pub const fn name(self) -> &'static str {
        match self {
            Fact::FirmRegion => "firm.region",
            Fact::FirmSize => "firm.size",
            Fact::FirmIndustry => "firm.industry",
            Fact::FirmCustomsCredit => "firm.customsCredit",
            Fact::FirmExportValue => "firm.exportValuePrevYearUsd",
            Fact::FirmImportValue => "firm.importValuePrevYearUsd",
            Fact::FirmForeignInvested => "firm.foreignInvested",
            Fact::FirmRegisteredOn => "firm.registeredOn",
            Fact::DeclarationDirection => "declaration.direction",
            Fact::DeclarationTradeMode => "declaration.tradeMode",
            Fact::DeclarationPort => "declaration.port",
            Fact::DeclarationCountry => "declaration.country",
            Fact::DeclarationHsCode => "declaration.hsCode",
            Fact::DeclarationValue => "declaration.valueUsd",
        }
    }

    pub fn parse(name: &str) -> Option<Fact> {
        Fact::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether the fact comes from the declaration (unknown outside a filing).
    pub const fn is_declaration(self) -> bool {
        matches!(
            self,
            Fact::DeclarationDirection
                | Fact::DeclarationTradeMode
                | Fact::DeclarationPort
                | Fact::DeclarationCountry
                | Fact::DeclarationHsCode
                | Fact::DeclarationValue
        )
    }

    pub(super) const fn kind(self) -> Kind {
        match self {
            Fact::FirmRegion => Kind::Region,
            Fact::FirmSize => Kind::Size,
            Fact::FirmIndustry => Kind::Industry,
            Fact::FirmCustomsCredit => Kind::Credit,
            Fact::FirmExportValue | Fact::FirmImportValue | Fact::DeclarationValue => Kind::Money,
            Fact::FirmForeignInvested => Kind::Bool,
            Fact::FirmRegisteredOn => Kind::Date,
            Fact::DeclarationDirection => Kind::Direction,
            Fact::DeclarationTradeMode | Fact::DeclarationPort => Kind::Code4,
            Fact::DeclarationCountry => Kind::Country,
            Fact::DeclarationHsCode => Kind::Hs,
        }
    }

    /// The operators DESIGN §6 allows for the fact.
    pub fn ops(self) -> &'static [Op] {
        match self.kind() {
            Kind::Region => &[Op::Within, Op::In],
            Kind::Size | Kind::Credit | Kind::Code4 | Kind::Country => &[Op::Eq, Op::In],
            Kind::Industry => &[Op::Eq, Op::In, Op::Prefix],
            Kind::Money => NUMERIC,
            Kind::Bool | Kind::Direction => &[Op::Eq],
            Kind::Date => &[Op::Lt, Op::Lte, Op::Gt, Op::Gte, Op::Between],
            Kind::Hs => &[Op::Prefix, Op::In],
        }
    }
}

impl Op {
    pub const ALL: [Op; 9] = [
        Op::Within,
        Op::In,
        Op::Eq,
        Op::Prefix,
        Op::Lt,
        Op::Lte,
        Op::Gt,
        Op::Gte,
        Op::Between,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Op::Within => "within",
            Op::In => "in",
            Op::Eq => "eq",
            Op::Prefix => "prefix",
            Op::Lt => "lt",
            Op::Lte => "lte",
            Op::Gt => "gt",
            Op::Gte => "gte",
            Op::Between => "between",
        }
    }

    pub fn parse(name: &str) -> Option<Op> {
        Op::ALL.into_iter().find(|o| o.name() == name)
    }
}
