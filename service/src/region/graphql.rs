use std::sync::Arc;

use async_graphql::{ComplexObject, Context, SimpleObject};

use super::{RegionCatalog, RegionCode};
use crate::graphql::base;

/// An administrative division (GB/T 2260).
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Region {
    /// Six-digit code: 440000 Guangdong, 440300 Shenzhen, 440304 Futian.
    code: String,
    /// Name in Chinese.
    name: String,
    #[graphql(skip)]
    parent: Option<RegionCode>,
}

impl Region {
    pub fn new(catalog: &RegionCatalog, code: RegionCode) -> Region {
        Region {
            code: code.to_string(),
            name: catalog.name(code).to_owned(),
            parent: catalog.parent(code),
        }
    }
}

#[ComplexObject]
impl Region {
    /// The division this one belongs to; none for a province.
    async fn parent(&self, ctx: &Context<'_>) -> Option<Region> {
        let catalog: &Arc<RegionCatalog> = &base(ctx).regions;
        self.parent.map(|code| Region::new(catalog, code))
    }
}
