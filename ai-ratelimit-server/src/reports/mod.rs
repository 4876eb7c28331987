//! Usage reports at scale: per-day rollups kept beside the counters ([`rollup`]), the reads
//! of reports over them ([`query`]), report intervals ([`periods`]), CSV answers ([`csv`]),
//! the raw log's retention ([`retention`]) and the erasure of an identity ([`forget`]).

pub mod csv;
pub mod forget;
pub mod periods;
pub mod query;
pub mod retention;
pub mod rollup;
