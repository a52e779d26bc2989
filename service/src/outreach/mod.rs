//! Reach: presentations of policies to firms (deliveries), their responses (acknowledgements), and
//! the figures departments read from them.

pub mod acknowledge;
mod activity;
pub mod answers;
pub mod audience;
pub mod changes;
mod choice;
mod counts;
pub mod deliveries;
mod delivery;
pub mod department_reach;
mod external;
mod federation;
mod figures;
mod filing;
pub mod funnel;
mod graphql;
mod group_commit;
mod inbox;
pub mod ledger;
mod model;
mod overview;
mod reach;
pub mod recorder;
mod report;
mod seen;
mod service;
mod stats;
mod subscription;
mod unreached;
mod window;

pub use activity::Activity;
pub use federation::DeclarationEntities;
pub use graphql::{OutreachMutation, OutreachQuery};
pub use model::{Channel, Response, answered_by_firm};
pub use overview::OverviewQuery;
pub use reach::{reach_reader, unreached_condition};
pub use recorder::Recorder;
pub use report::ReportQuery;
pub use service::OutreachService;
pub use subscription::OutreachSubscription;
pub use unreached::{ExportRow, FunnelStage, brokers_of_all, export_page, stuck_at};
pub use window::Window;
